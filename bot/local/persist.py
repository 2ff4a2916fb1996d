"""Keep the local workspace in the bot's database, so a restart finds the conversation where it was.

The state is saved as one JSON snapshot (debounced after changes, and on stop); file bytes go to their
own table once each, so the snapshot stays small however many charts were posted.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.local.state import Channel, File, Message, User, View, WorkspaceState
from storage.engine import Database
from storage.models.local import LocalWorkspaceFile, LocalWorkspaceSnapshot

log = logging.getLogger("tsqa.local")

FORMAT = 1
SNAPSHOT_NAME = "default"
_SCALARS = ("team_id", "team_domain", "bot_user_id", "bot_id", "app_id", "sequence", "last_ts_micros")


def snapshot(state: WorkspaceState) -> dict[str, Any]:
    """What survives a restart: people, conversations, messages, home tabs and file metadata.

    Open modals, triggers, response URLs and the call log belong to a running bot and are left out."""
    out: dict[str, Any] = {"format": FORMAT, **{key: getattr(state, key) for key in _SCALARS}}
    out["users"] = [dataclasses.asdict(u) for u in state.users.values()]
    out["channels"] = [
        {**dataclasses.asdict(c), "members": sorted(c.members)} for c in state.channels.values()
    ]
    out["usergroups"] = {k: list(v) for k, v in state.usergroups.items()}
    out["messages"] = [dataclasses.asdict(m) for m in state.messages if not m.deleted]
    out["views"] = [dataclasses.asdict(v) for v in state.views.values() if v.type == "home"]
    out["files"] = [
        {k: v for k, v in dataclasses.asdict(f).items() if k != "data"} for f in state.files.values()
    ]
    out["dms"] = dict(state.dms)
    return out


def _build(cls: type, data: dict[str, Any]) -> Any:
    """Ignore keys a newer or older version wrote, so a snapshot never blocks a start."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def restore(data: dict[str, Any]) -> WorkspaceState:
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown local workspace snapshot format {data.get('format')!r}")
    state = WorkspaceState(**{key: data[key] for key in _SCALARS if key in data})
    for item in data.get("users", []):
        user = _build(User, item)
        state.users[user.id] = user
    for item in data.get("channels", []):
        channel = _build(Channel, item)
        channel.members = set(channel.members)
        state.channels[channel.id] = channel
    state.usergroups = {k: list(v) for k, v in data.get("usergroups", {}).items()}
    state.messages = [_build(Message, item) for item in data.get("messages", [])]
    for item in data.get("views", []):
        view = _build(View, item)
        state.views[view.id] = view
    for item in data.get("files", []):
        file = _build(File, item)
        state.files[file.id] = file
    state.dms = dict(data.get("dms", {}))
    return state


class SnapshotStore:
    """Reads and writes the snapshot and the file bytes; remembers which files are already stored."""

    def __init__(self, db: Database, name: str = SNAPSHOT_NAME) -> None:
        self.db = db
        self.name = name
        self._stored_files: set[str] = set()

    async def load(self) -> WorkspaceState | None:
        """The saved state, or None; an unreadable snapshot is set aside (not lost) and None returned."""
        async with self.db.transaction() as session:
            row = await session.get(LocalWorkspaceSnapshot, self.name)
            if row is None:
                return None
            try:
                state = restore(json.loads(row.data))
            except (ValueError, KeyError, TypeError) as exc:
                kept = f"{self.name}.unreadable.{int(row.updated_at.timestamp())}"[:64]
                log.warning(
                    "the saved local workspace cannot be read (%s); kept as %r, starting afresh", exc, kept
                )
                session.add(LocalWorkspaceSnapshot(name=kept, data=row.data, updated_at=row.updated_at))
                await session.delete(row)
                return None
            files = (await session.execute(select(LocalWorkspaceFile))).scalars()
            for stored in files:
                self._stored_files.add(stored.id)
                if stored.id in state.files:
                    state.files[stored.id].data = stored.data
        return state

    async def save(self, state: WorkspaceState) -> None:
        # Serialise before the first await: the state is not touched while the write is under way.
        text = json.dumps(snapshot(state), separators=(",", ":"))
        new_files = {
            f.id: f.data
            for f in state.files.values()
            if f.data is not None and f.id not in self._stored_files
        }
        now = datetime.now(UTC)
        async with self.db.transaction() as session:
            row = await session.get(LocalWorkspaceSnapshot, self.name)
            if row is None:
                session.add(LocalWorkspaceSnapshot(name=self.name, data=text, updated_at=now))
            else:
                row.data, row.updated_at = text, now
            for file_id, data in new_files.items():
                if await session.get(LocalWorkspaceFile, file_id) is None:
                    session.add(LocalWorkspaceFile(id=file_id, data=data, created_at=now))
        self._stored_files.update(new_files)


class DebouncedSaver:
    """Saves a moment after the last change, never two writes at once; `close()` saves what is left."""

    def __init__(self, store: SnapshotStore, state: WorkspaceState, *, delay: float = 0.5) -> None:
        self.store = store
        self.state = state
        self.delay = delay
        self._dirty = False
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def schedule(self) -> None:
        if self._closed:
            return
        self._dirty = True
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="local-workspace-save")

    async def _run(self) -> None:
        try:
            while self._dirty:
                await asyncio.sleep(self.delay)
                self._dirty = False
                await self._save()
        finally:
            self._task = None

    async def _save(self) -> None:
        try:
            await self.store.save(self.state)
        except Exception:  # a failed write must not stop the workspace; the next change retries
            log.exception("could not save the local workspace")

    async def close(self) -> None:
        """Stop scheduling, wait for a write in progress, then write the final state."""
        self._closed = True
        task = self._task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._save()
