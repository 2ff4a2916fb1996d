"""The local workspace kept in the database: surviving a restart, snapshots, debounced saves, the
migration, and an unreadable snapshot set aside."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.local.persist import DebouncedSaver, SnapshotStore, restore, snapshot
from bot.workspace import Workspace
from storage.engine import Database
from tests.unit.local_workspace_harness import LABELER, LEAD, QA, TOKEN, StubBot, _blocks, _started

# ----- persistence -----


async def test_the_workspace_survives_a_restart(workspace: Workspace, sqlite_db: Database) -> None:
    bot = StubBot()
    local, server = await _started(workspace, sqlite_db, bot)
    client = AsyncWebClient(token=TOKEN, base_url=local.api.base_url + "/api/")
    posted = await client.chat_postMessage(channel=QA, text="before the restart")
    await client.chat_postMessage(channel=QA, thread_ts=posted["ts"], text="a reply")
    await client.files_upload_v2(
        channel=QA, content=b"\x89PNG chart", filename="chart.png", thread_ts=posted["ts"]
    )
    await client.views_publish(user_id=LEAD, view={"type": "home", "blocks": _blocks("Home")})
    await client.views_open(trigger_id=local.api.new_trigger_id(LEAD), view={"type": "modal", "blocks": []})
    await server.close()  # on_cleanup saves

    again, server = await _started(workspace, sqlite_db, StubBot())
    st = again.api.state
    parent = st.find_message(QA, posted["ts"])
    assert parent is not None and parent.text == "before the restart" and parent.reply_count == 2
    assert [f.data for f in st.files.values()] == [b"\x89PNG chart"]
    assert [v.type for v in st.views.values()] == ["home"]  # open modals belong to the stopped run
    assert set(st.channels[QA].members) >= {LEAD, LABELER, "UBOT0001"}
    later = await AsyncWebClient(token=TOKEN, base_url=again.api.base_url + "/api/").chat_postMessage(
        channel=QA, text="after"
    )
    assert float(later["ts"]) > float(posted["ts"]) and st.sequence > 0
    await server.close()


async def test_message_metadata_survives_a_restart(workspace: Workspace, db: Database) -> None:
    """The key a post carries must still be found after a restart, or the bot would post it again."""
    key = {"event_type": "tsqa_post", "event_payload": {"key": "digest:spam-pt:2026-11-29", "n": 1}}
    local, server = await _started(workspace, db, StubBot())
    client = AsyncWebClient(token=TOKEN, base_url=local.api.base_url + "/api/")
    posted = await client.chat_postMessage(channel=QA, text="Digest", metadata=key)
    await server.close()  # on_cleanup saves

    again, server = await _started(workspace, db, StubBot())
    client = AsyncWebClient(token=TOKEN, base_url=again.api.base_url + "/api/")
    found = await client.conversations_history(channel=QA, include_all_metadata=True)
    assert [(m["ts"], m["metadata"]) for m in found["messages"]] == [(posted["ts"], key)]
    await server.close()


def test_snapshot_round_trips_and_ignores_unknown_keys(workspace: Workspace) -> None:
    from bot.local.webapi import SlackWebAPI

    api = SlackWebAPI()
    api.add_user(LEAD, "quinn", real_name="Quinn Lead")
    api.add_channel(QA, "qa-ops", members=[LEAD])
    api.add_message(QA, LEAD, "hello")
    data = json.loads(json.dumps(snapshot(api.state)))
    data["messages"][0]["from_the_future"] = True
    restored = restore(data)
    assert restored.messages[0].text == "hello" and restored.channels[QA].members == {LEAD, "UBOT0001"}
    assert snapshot(restored)["messages"] == snapshot(api.state)["messages"]


async def test_saves_are_debounced_and_the_last_change_is_kept(sqlite_db: Database) -> None:
    from bot.local.state import WorkspaceState

    class Counting(SnapshotStore):
        writes = 0

        async def save(self, state: WorkspaceState) -> None:
            Counting.writes += 1
            await super().save(state)

    state = WorkspaceState()
    saver = DebouncedSaver(Counting(sqlite_db), state, delay=0.05)
    for n in range(20):
        state.sequence = n
        saver.schedule()
    await asyncio.sleep(0.2)
    assert Counting.writes == 1
    state.sequence = 99
    saver.schedule()
    await saver.close()
    loaded = await SnapshotStore(sqlite_db).load()
    assert loaded is not None and loaded.sequence == 99


async def test_migration_0002_matches_the_models(sqlite_db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    def diff(connection: Any) -> list[Any]:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with sqlite_db.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert [c for c in changes if "local_workspace" in repr(c)] == []


async def test_an_unreadable_snapshot_is_set_aside_not_lost(sqlite_db: Database) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from storage.models.local import LocalWorkspaceSnapshot

    async with sqlite_db.transaction() as session:
        session.add(
            LocalWorkspaceSnapshot(name="default", data='{"format": 99}', updated_at=datetime.now(UTC))
        )
    assert await SnapshotStore(sqlite_db).load() is None
    async with sqlite_db.transaction() as session:
        rows = (await session.execute(select(LocalWorkspaceSnapshot))).scalars().all()
    assert [r.data for r in rows] == ['{"format": 99}'] and rows[0].name.startswith("default.unreadable.")
