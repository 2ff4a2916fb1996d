"""Queue data arriving as files: uploaded into an ingest channel, or dropped into a watched folder.

Each file is taken in once; its outcome goes back where a person will see it (the upload's thread,
or the admins' DMs for the folder).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from bot.chat.events import FileShared
from bot.chat.model import Message, MessageRef
from bot.context import Context, Services
from handlers.digest.ingest import IngestReport, ingest_backlog, ingest_decisions, refusal
from handlers.digest.validate import FileRejected
from storage import queue_data
from storage.claims import insert_once
from storage.models.digest import IngestedFile

log = logging.getLogger("tsqa.digest.files")
SUFFIXES = (".csv", ".parquet", ".pq")


def kind_of(content: bytes) -> str:
    """Backlog snapshots have a `backlog` column; everything else is read as decisions."""
    header = content.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").lower()
    return "backlog" if "backlog" in [c.strip().strip('"') for c in header.split(",")] else "decisions"


async def take_in(services: Services, name: str, content: bytes) -> tuple[IngestReport | None, str]:
    """Ingest one file; returns the report (None when refused) and the sentence to show."""
    try:
        if kind_of(content) == "backlog":
            report = await ingest_backlog(services.db, services.workspace, content, name)
        else:
            report = await ingest_decisions(
                services.db, services.workspace, content, name, now=services.clock()
            )
    except FileRejected as exc:
        return None, refusal(name, exc)
    return report, report.summary()


def _message(report: IngestReport | None, text: str) -> Message:
    icon = ":white_check_mark:" if report else ":x:"
    return Message.text(f"{icon} {text}" if report else f"{icon} ```{text}```")


async def file_shared(ctx: Context, event: FileShared) -> bool:
    if event.channel not in ctx.workspace.ingest.channels:
        return False
    shared = await ctx.port.download_file(event.file_id, event.channel)
    if not shared.name.lower().endswith(SUFFIXES):
        return False  # screenshots and documents shared in the channel are not queue data
    report, text = await take_in(ctx.services, shared.name, shared.content)
    thread = shared.thread or MessageRef(event.channel, event.ts or "")
    if thread.ts:
        await ctx.port.reply(thread, _message(report, text))
    else:
        await ctx.port.post(event.channel, _message(report, text))
    return True


async def _claim_file(services: Services, digest: str, name: str) -> bool:
    async with services.db.transaction() as session:
        return await insert_once(
            session, IngestedFile, ["sha256"],
            sha256=digest, name=name[:255], kind="", outcome="in progress", stored=0, at=services.clock(),
        )  # fmt: skip


async def _record(services: Services, digest: str, kind: str, report: IngestReport | None, text: str) -> None:
    async with services.db.transaction() as session:
        await session.execute(
            update(IngestedFile)
            .where(IngestedFile.sha256 == digest)
            .values(kind=kind, outcome=text, stored=report.stored if report else 0)
        )


async def poll_watch_dir(services: Services) -> None:
    """Ingest every new file in `ingest.watch_dir` once (by content), and tell the admins."""
    folder = Path(services.workspace.ingest.watch_dir or "")
    if not folder.is_dir():
        return
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES):
        content = path.read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        if not await _claim_file(services, digest, path.name):
            continue
        report, text = await take_in(services, path.name, content)
        await _record(services, digest, kind_of(content), report, text)
        log.info("watched folder: %s", text.splitlines()[0])
        await services.tell_admins(_message(report, text))


async def purge_expired(services: Services) -> None:
    """Raw decisions past `retention_days` go; the daily figures stay for good."""
    cutoff = services.clock() - timedelta(days=services.workspace.ingest.retention_days)
    async with services.db.transaction() as session:
        removed = await queue_data.purge_decisions_before(session, int(cutoff.timestamp() * 1_000_000))
    log.info("retention: removed %d raw decisions completed before %s", removed, cutoff.date())
