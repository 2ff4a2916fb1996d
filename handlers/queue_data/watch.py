"""Queue data dropped into a watched folder (`ingest.watch_dir`), polled by a job.

Convention for whoever drops files: write the file in place or write it elsewhere and rename it in;
either way it is taken once its size and modification time are unchanged since the previous poll, so
a file still being written is never read half. Entries that cannot be read are reported to the
admins once and skipped; a file that met a transient failure (the database away) waits a poll.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import InterfaceError, OperationalError

from bot.chat.model import Message, md
from bot.context import Services
from handlers.queue_data.files import (
    SUFFIXES,
    already_recorded,
    kind_of,
    new_reference,
    outcome_message,
    record_once,
    take_in,
)
from storage import claims

log = logging.getLogger("tsqa.digest.watch")

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
        await services.tell_admins(Message.text(md("⚠️ {}", text)))


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

    async def ingest(_taken: claims.Taken) -> str:
        try:
            report, text = await take_in(services, entry.name, content)
        except Exception as exc:
            if is_transient(exc):
                raise
            report, text = (
                None,
                f"{entry.name}: failed (reference {new_reference('watched file', entry.name)})",
            )
        stored = report.stored if report else 0
        log.info("watched folder: %s", text.splitlines()[0])
        if await record_once(services, digest, entry.name, kind_of(content), text, stored):
            await services.tell_admins(outcome_message(report, text))
        return text.splitlines()[0][:200]

    # Replicas sharing the folder: one of them reads the file in; a crash leaves a lease, not a gap.
    await claims.once(services.db, f"ingest-file:{digest}", "ingest", services.clock, ingest)


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
