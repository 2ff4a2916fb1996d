"""A cohort's timers: which are scheduled when it is made and when a session moves, keyed by the
session's sequence, and the weekly summary's next time in the workspace zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.context import Services
from bot.roles import RoleResolver
from handlers.training import lifecycle, store
from handlers.training.cohort import Member
from handlers.training.plan import load_plan
from handlers.training.schedule import lay_out, move
from storage.migrate import upgrade
from storage.models import Claim
from tests.conftest import ROOT

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # Monday


async def _no_groups(_: str) -> list[str]:
    return []


def _services(db, workspace) -> Services:  # noqa: ANN001
    roles = RoleResolver(workspace, _no_groups)
    return Services(port=None, db=db, workspace=workspace, roles=roles, settings=None, clock=lambda: NOW)  # type: ignore[arg-type]


def _draft(workspace) -> store.CohortDraft:  # noqa: ANN001
    plan = load_plan(ROOT / "examples" / "training" / "new-labeler.yml")
    site = workspace.site("lisbon")
    layout = lay_out(plan, site, NOW.date() + timedelta(days=2), NOW.date() + timedelta(days=31))
    return store.CohortDraft(
        name="lisbon-dec", vendor="northwind", site="lisbon", queues=("hate-en",), plan_name="new-labeler",
        plan=plan, start=layout.start, target=layout.target, channel="C0QAOPS01", created_by="U0TRAINER1",
        sessions=layout.sessions,
        members=(Member("U0TRAINER1", "trainer"), Member("U0LABEL01", "labeler", "lab-01")),
    )  # fmt: skip


async def _timers(db) -> dict[str, datetime]:  # noqa: ANN001
    async with db.transaction() as session:
        rows = (await session.execute(select(Claim.key, Claim.due_at).where(Claim.done_at.is_(None)))).all()
    return {key: due for key, due in rows if key.startswith("training-")}


async def test_a_new_cohort_schedules_reminders_checks_rolls_its_welcome_and_summary(db, workspace) -> None:
    await upgrade(db)
    services = _services(db, workspace)
    draft = _draft(workspace)
    created = await lifecycle.create(services, "training-new:abc", draft)
    assert created.cohort_id is not None
    again = await lifecycle.create(services, "training-new:abc", draft)
    assert again.cohort_id is None  # the same form twice: one cohort
    timers = await _timers(db)
    cid = created.cohort_id
    welcome = draft.sessions[0]
    assert timers[f"training-remind:{cid}:{welcome.id}:0:1440"] == welcome.start - timedelta(days=1)
    assert timers[f"training-remind:{cid}:{welcome.id}:0:15"] == welcome.start - timedelta(minutes=15)
    assert timers[f"training-roll:{cid}:{welcome.id}:0"] == welcome.end
    check = next(s for s in draft.sessions if s.kind == "knowledge_check")
    assert timers[f"training-check:{cid}:{check.id}:0"] == check.start
    assert f"training-roll:{cid}:{check.id}:0" not in timers  # a check is passed, not attended
    nesting = [s for s in draft.sessions if s.kind == "nesting"]
    assert f"training-remind:{cid}:{nesting[0].id}:0:15" in timers
    assert not any(f":{s.id}:" in key for s in nesting[1:] for key in timers)  # one reminder for nesting
    assert timers[f"training-welcome:{cid}"] == NOW
    # The next Monday 09:00 in the workspace zone (Europe/Dublin, UTC+0 in December).
    assert timers[f"training-summary:{cid}:2026-12-07"] == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


async def test_a_move_gives_the_moved_sessions_fresh_timers_and_one_notice(db, workspace) -> None:
    await upgrade(db)
    services = _services(db, workspace)
    cid = (await lifecycle.create(services, "training-new:abc", _draft(workspace))).cohort_id
    cohort = await lifecycle.load(services, cid)
    site = workspace.site("lisbon")
    moved = move(cohort.layout(site), "process-1", datetime(2026, 12, 3, 9, 0))
    assert moved.changed  # process-1 and the sessions after it
    applied = await lifecycle.apply_move(services, "training-move:x", cohort, moved)
    assert applied.applied and applied.move == 1
    assert not (await lifecycle.apply_move(services, "training-move:x", cohort, moved)).applied
    timers = await _timers(db)
    new = moved.session("process-1")
    assert new.sequence == 1
    assert timers[f"training-remind:{cid}:process-1:1:15"] == new.start - timedelta(minutes=15)
    assert f"training-moved:{cid}:1" in timers
    stored = await lifecycle.load(services, cid)
    assert stored.session("process-1").start == new.start and stored.session("process-1").sequence == 1
    assert stored.session("welcome-1").sequence == 0  # before the moved one: untouched


def test_the_weekly_summary_falls_on_the_configured_day_and_time(workspace) -> None:
    friday = workspace.training.model_copy(update={"summary_day": "fri", "summary_time": "16:30"})
    ws = workspace.model_copy(update={"training": friday})
    dublin = ZoneInfo(ws.timezone)
    assert lifecycle.next_summary(ws, NOW) == datetime(2026, 12, 4, 16, 30, tzinfo=dublin)
    at = datetime(2026, 12, 4, 16, 30, tzinfo=dublin)
    assert lifecycle.next_summary(ws, at) == at + timedelta(days=7)  # not the same moment again
