"""Queue data arriving as files: uploaded into an ingest channel, or dropped into a watched folder.

Each file is taken in once; its outcome goes back where a person will see it (the upload's thread,
or the admins' DMs for the folder). A failure always gets an answer with a reference that is also
in the log, next to the traceback.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy.exc import InterfaceError, OperationalError

from bot.chat.events import FileShared
from bot.chat.model import Message, MessageRef, md
from bot.chat.port import ChatError
from bot.context import Context, Services
from bot.roles import UserRoles
from handlers.digest.ingest import IngestReport, ingest_backlog, ingest_decisions, refusal
from handlers.digest.validate import FileRejected
from storage import queue_data
from storage.claims import insert_once
from storage.models.digest import IngestedFile

log = logging.getLogger("tsqa.digest.files")
SUFFIXES = (".csv", ".parquet", ".pq")
MB = 1024 * 1024
WHO_MAY = (
    "Queue data is loaded from admins (QA leads), and from vendor leads for their own vendor's queues only"
)


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
        return Message.text(md(":white_check_mark: {}", text))
    return Message.text(md(":x: ```{}```", text))


def failure_message(name: str, reference: str) -> Message:
    return Message.text(
        md(
            ":warning: {}: could not be loaded because of an error on my side; nothing was stored. "
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


def upload_scope(workspace_queues: dict[str, str], roles: UserRoles) -> tuple[list[str] | None, str] | None:
    """Which queues this uploader may load: all (admins), their vendor's (vendor leads), or None."""
    if roles.is_admin:
        return None, ""
    if not roles.lead_of:
        return None
    vendors = ", ".join(sorted(roles.lead_of))
    own = sorted(queue for queue, vendor in workspace_queues.items() if vendor in roles.lead_of)
    return own, f"another vendor's queue: as a lead of {vendors} you may load {vendors}'s queues only"


async def file_shared(ctx: Context, event: FileShared) -> bool:
    """A file shared in an ingest channel: checked for who sent it and its size before download,
    then ingested; the uploader always gets an answer in the upload's thread."""
    if event.channel not in ctx.workspace.ingest.channels:
        return False
    shared = await ctx.port.download_file(event.file_id, event.channel, content=False)
    if not shared.name.lower().endswith(SUFFIXES):
        return False  # screenshots and documents shared in the channel are not queue data
    thread = shared.thread or MessageRef(event.channel, event.ts or "")

    async def answer(message: Message) -> None:
        if thread.ts:
            await ctx.port.reply(thread, message)
        else:
            await ctx.port.post(event.channel, message)

    await answer(await _upload_outcome(ctx, event, shared.name, shared.size))
    return True


async def _upload_outcome(ctx: Context, event: FileShared, name: str, size: int) -> Message:
    scope = upload_scope({q.id: q.vendor for q in ctx.workspace.queues}, await ctx.roles())
    if scope is None:
        return Message.text(
            md(":no_entry: {}: not loaded. " + WHO_MAY + ": ask a QA lead to upload it.", name)
        )
    limit = ctx.workspace.ingest.max_upload_mb
    if size > limit * MB:
        return too_large(name, f"it is {size / MB:,.0f} MB", limit)
    try:
        shared = await ctx.port.download_file(event.file_id, event.channel, max_bytes=limit * MB)
        report, text = await take_in(
            ctx.services, name, shared.content, queues=scope[0], queues_reason=scope[1]
        )
    except ChatError as exc:
        if exc.code == "file_too_large":  # grew past the limit after Slack reported its size
            return too_large(name, "it is larger than announced", limit)
        return failure_message(name, new_reference("upload", name))
    except Exception:
        return failure_message(name, new_reference("upload", name))
    return outcome_message(report, text)


def too_large(name: str, size: str, limit: int) -> Message:
    return Message.text(
        md(
            ":x: {}: not loaded: {}, above the upload limit of {} MB (ingest.max_upload_mb). "
            "Split it into smaller files, or load it with `tsqa ingest`.",
            name,
            size,
            limit,
        )
    )


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


# ----- the watched folder -----
#
# Convention for whoever drops files: write the file in place or write it elsewhere and rename it
# in; either way it is taken once its size and modification time are unchanged since the previous
# poll, so a file still being written is never read half.

Version = tuple[int, int]  # (size, mtime in ns)


@dataclass
class _Folder:
    """What this process saw in a folder: versions waiting for a second look, versions handled."""

    waiting: dict[str, Version] = field(default_factory=dict)
    handled: dict[str, Version] = field(default_factory=dict)


_FOLDERS: dict[str, _Folder] = {}


@dataclass(frozen=True)
class _Entry:
    name: str
    path: Path
    version: Version
    problem: str = ""  # why it cannot be read as a file here: reported once, then skipped


def _scan(folder: Path) -> list[_Entry]:
    """The folder's queue-data entries with their versions (stat only: nothing is read)."""
    inside = folder.resolve()
    entries = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in SUFFIXES:
            continue
        try:
            link = path.is_symlink()
            stat = path.stat() if not link or path.resolve().is_relative_to(inside) else path.lstat()
        except OSError as exc:
            entries.append(_Entry(path.name, path, (0, 0), f"cannot be read ({exc.strerror})"))
            continue
        version = (stat.st_size, stat.st_mtime_ns)
        problem = ""
        if link and not path.resolve().is_relative_to(inside):
            problem = "is a link to a file outside the watched folder, which is not followed"
        elif path.is_dir():
            problem = "is a folder, not a file"
        entries.append(_Entry(path.name, path, version, problem))
    return entries


def _read(path: Path) -> tuple[bytes, str]:
    content = path.read_bytes()
    return content, hashlib.sha256(content).hexdigest()


def _version_key(entry: _Entry) -> str:
    """The key an unreadable entry's report is recorded under: once per name and version."""
    return hashlib.sha256(f"skipped\0{entry.name}\0{entry.version}".encode()).hexdigest()


def is_transient(exc: BaseException) -> bool:
    """A failure that says nothing about the file (the database was locked or away): try later."""
    return isinstance(exc, OperationalError | InterfaceError | ConnectionError | TimeoutError) or bool(
        getattr(exc, "connection_invalidated", False)
    )


async def _skip(services: Services, entry: _Entry, problem: str) -> None:
    text = f"{entry.name}: skipped: it {problem}"
    log.warning("watched folder: %s", text)
    if await record_once(services, _version_key(entry), entry.name, "skipped", text):
        await services.tell_admins(Message.text(md(":warning: {}", text)))


async def _take_file(services: Services, entry: _Entry) -> None:
    """Ingest one stable file unless its content was recorded before; the first replica to record
    the outcome tells the admins. Raises on a transient failure (the caller tries again later)."""
    try:
        content, digest = await asyncio.to_thread(_read, entry.path)
    except OSError as exc:
        await _skip(services, entry, f"cannot be read ({exc.strerror})")
        return
    if await already_recorded(services, digest):
        return
    try:
        report, text = await take_in(services, entry.name, content)
    except Exception as exc:
        if is_transient(exc):
            raise
        report, text = None, f"{entry.name}: failed (reference {new_reference('watched file', entry.name)})"
    stored = report.stored if report else 0
    log.info("watched folder: %s", text.splitlines()[0])
    if await record_once(services, digest, entry.name, kind_of(content), text, stored):
        await services.tell_admins(outcome_message(report, text))


async def poll_watch_dir(services: Services) -> None:
    """Ingest every new, finished file in `ingest.watch_dir` once, and tell the admins. A file that
    cannot be taken is reported once and skipped; one that met a transient failure waits a poll."""
    folder = Path(services.workspace.ingest.watch_dir or "")
    if not await asyncio.to_thread(folder.is_dir):
        return
    seen = _FOLDERS.setdefault(str(folder.resolve()), _Folder())
    entries = await asyncio.to_thread(_scan, folder)
    for entry in entries:
        if seen.handled.get(entry.name) == entry.version:
            continue  # unchanged since it was taken: not read or hashed again
        if seen.waiting.get(entry.name) != entry.version and not entry.problem:
            seen.waiting[entry.name] = entry.version  # new or still changing: look again next poll
            continue
        try:
            if entry.problem:
                await _skip(services, entry, entry.problem)
            else:
                await _take_file(services, entry)
        except Exception as exc:
            if is_transient(exc):
                log.warning("watched folder: %s will be tried again on the next poll: %s", entry.name, exc)
                continue
            new_reference("watched file", entry.name)  # logged; the files after it still go ahead
        seen.waiting.pop(entry.name, None)
        seen.handled[entry.name] = entry.version
    present = {entry.name for entry in entries}
    for names in (seen.waiting, seen.handled):
        for name in set(names) - present:
            del names[name]
