"""`tsqa policy publish`: checked against the workspace file and the library, queued once as a durable
timer, and performed by the running bot's timer (posted once, the admins told once)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot import timers
from bot.workspace import load_workspace
from handlers.policy.cascade_routes import PUBLISH
from storage.engine import Database
from storage.migrate import upgrade
from tests.unit.policy_cascade_fixtures import ADMIN, NORTHWIND, members_port, services
from tests.unit.test_policy_cli import ROOT, tsqa
from tests.unit.test_quiz_assign import texts


async def cli(tmp_path: Path, *args: str):  # noqa: ANN201
    """The CLI runs its own event loop: from a test's loop, in a thread."""
    return await asyncio.to_thread(tsqa, tmp_path, *args)


def ack_by() -> str:
    """A day to come on the real clock, which the CLI reads."""
    return (date.today() + timedelta(days=7)).isoformat()


async def test_a_publish_is_queued_once_and_the_running_bot_posts_it_and_tells_the_admins(
    tmp_path: Path,
) -> None:
    (tmp_path / "policies").mkdir()
    for name in ("spam-v1.md", "spam-v2.md"):
        (tmp_path / "policies" / name).write_bytes((ROOT / "examples" / "policies" / name).read_bytes())
    assert (await cli(tmp_path, "load")).exit_code == 0
    first = await cli(
        tmp_path, "publish", "spam", "--to", "northwind,#vendor-bluebird", "--ack-by", ack_by(), "--json"
    )
    assert first.exit_code == 0, first.output
    queued = json.loads(first.output)
    assert queued["queued"] and queued["version"] == "2"
    assert [t["channel"] for t in queued["targets"]] == [NORTHWIND, "C0BLUEB01"]
    again = await cli(
        tmp_path, "publish", "spam", "--to", "northwind", "--to", "vendor-bluebird", "--ack-by", ack_by()
    )
    assert "already queued" in again.output

    db = Database(f"sqlite+aiosqlite:///{tmp_path}/p.db")
    await upgrade(db)
    port = members_port()
    svc = services(db, port, [datetime.now(UTC)], load_workspace(ROOT / "examples" / "workspace.yml"))
    svc.timers = {PUBLISH.kind: PUBLISH}
    assert await timers.run_due(svc, svc.timers) == 1
    assert await timers.run_due(svc, svc.timers) == 0
    assert sorted(c for c, _ in port.posts) == ["C0BLUEB01", NORTHWIND]
    assert [u for u, m in port.dms] == [ADMIN] and "published to 2 channel(s)" in texts(port.dms[0][1])
    await db.dispose()


def test_an_unknown_target_a_past_day_or_an_unknown_policy_queues_nothing(tmp_path: Path) -> None:
    nowhere = tsqa(tmp_path, "publish", "spam", "--to", "nowhere", "--ack-by", ack_by())
    assert nowhere.exit_code == 2 and "nowhere" in nowhere.output
    past = tsqa(tmp_path, "publish", "spam", "--to", "northwind", "--ack-by", "2020-01-01")
    assert past.exit_code == 2 and "has passed" in past.output
    unknown = tsqa(tmp_path, "publish", "spam", "--to", "northwind", "--ack-by", ack_by())
    assert unknown.exit_code == 1 and "no policy 'spam'" in unknown.output
