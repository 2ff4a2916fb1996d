"""Queue data arriving as files, what uploads (`uploads`) and the watched folder (`watch`) share:
telling decisions from backlog, ingesting, the answer to show, the record that a file was taken,
and the retention job. A failure always gets an answer with a reference that is also in the log,
next to the traceback.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection
from datetime import timedelta

from bot.chat.model import Message, md
from bot.context import Services
from handlers.queue_data.ingest import IngestReport, ingest_backlog, ingest_decisions, refusal
from handlers.queue_data.validate import FileRejected
from storage import queue_data
from storage.claims import insert_once
from storage.models.digest import IngestedFile

log = logging.getLogger("tsqa.digest.files")
SUFFIXES = (".csv", ".parquet", ".pq")


def kind_of(content: bytes) -> str:
    """Backlog snapshots have a `backlog` column; everything else is read as decisions."""
    end = content.find(b"\n")  # not split(): that would copy the whole file for its first line
    header = (content if end < 0 else content[:end]).decode("utf-8-sig", errors="replace").lower()
    return "backlog" if "backlog" in [c.strip().strip('"') for c in header.split(",")] else "decisions"


async def take_in(
    services: Services,
    name: str,
    content: bytes,
    *,
    queues: Collection[str] | None = None,
    queues_reason: str = "",
) -> tuple[IngestReport | None, str]:
    """Ingest one file; returns the report (None when refused) and the sentence to show.
    `queues` limits which queues it may hold (a vendor lead's upload)."""
    db, workspace, now = services.db, services.workspace, services.clock()
    limits = {"now": now, "queues": queues, "queues_reason": queues_reason}
    try:
        if kind_of(content) == "backlog":
            report = await ingest_backlog(db, workspace, content, name, **limits)
        else:
            report = await ingest_decisions(db, workspace, content, name, **limits)
    except FileRejected as exc:
        return None, refusal(name, exc)
    return report, report.summary()


def outcome_message(report: IngestReport | None, text: str) -> Message:
    if report:
        return Message.text(md("✅ {}", text))
    return Message.text(md("❌ ```{}```", text))


def failure_message(name: str, reference: str) -> Message:
    return Message.text(
        md(
            "⚠️ {}: could not be loaded because of an error on my side; nothing was stored. "
            "The error is logged as `{}`: tell a QA admin if it happens again.",
            name,
            reference,
        )
    )


def new_reference(what: str, name: str) -> str:
    """A short id for a failure, logged here with the traceback and shown to the person."""
    reference = uuid.uuid4().hex[:8]
    log.exception("%s %s failed (ref %s)", what, name, reference)
    return reference


async def record_once(
    services: Services, key: str, name: str, kind: str, outcome: str, stored: int = 0
) -> bool:
    """Record a file's outcome under `key` (its content hash, or its version for an unreadable
    entry); True for the first to record it, which then tells the admins."""
    async with services.db.transaction() as session:
        return await insert_once(
            session, IngestedFile, ["sha256"],
            sha256=key, name=name[:255], kind=kind, outcome=outcome, stored=stored, at=services.clock(),
        )  # fmt: skip


async def already_recorded(services: Services, key: str) -> bool:
    async with services.db.transaction() as session:
        return await session.get(IngestedFile, key) is not None


async def purge_expired(services: Services) -> None:
    """Raw decisions past `retention_days` go; the daily figures stay for good."""
    cutoff = services.clock() - timedelta(days=services.workspace.ingest.retention_days)
    async with services.db.transaction() as session:
        removed = await queue_data.purge_decisions_before(session, int(cutoff.timestamp() * 1_000_000))
    log.info("retention: removed %d raw decisions completed before %s", removed, cutoff.date())
