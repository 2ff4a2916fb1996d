"""A move applies only to what it read; a DM another worker still holds is waited for, not counted;
knowledge checks without a quiz are attended; quiz tries from before the cohort do not count."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.chat.model import MessageRef
from handlers.training import attendance, lifecycle, reminders, store
from handlers.training.plan import parse_plan
from handlers.training.schedule import lay_out, move
from storage import claims
from storage.migrate import upgrade
from storage.models import Claim, QuizAttempt, QuizTopic
from tests.unit.test_training_lifecycle import NOW, _draft, _services


async def _made(db, workspace):  # noqa: ANN001, ANN202
    await upgrade(db)
    services = _services(db, workspace)
    cid = (await lifecycle.create(services, "training-new:abc", _draft(workspace))).cohort_id
    return services, cid


async def test_a_move_back_and_forth_and_again_is_applied_each_time(db, workspace) -> None:
    services, cid = await _made(db, workspace)
    site = workspace.site("lisbon")
    original = (await lifecycle.load(services, cid)).session("process-1").start.replace(tzinfo=None)
    for when in (datetime(2026, 12, 3, 9, 0), original, datetime(2026, 12, 3, 9, 0)):
        cohort = await lifecycle.load(services, cid)
        moved = move(cohort.layout(site), "process-1", when)
        key = f"training-move:{cid}:{cohort.moves}:process-1:{when.isoformat()}"
        assert (await lifecycle.apply_move(services, key, cohort, moved)).applied
    stored = await lifecycle.load(services, cid)
    assert stored.moves == 3 and stored.session("process-1").sequence == 3
    assert stored.session("process-1").start.replace(tzinfo=None) == datetime(2026, 12, 3, 9, 0)


async def test_a_move_worked_out_from_a_stale_read_is_refused(db, workspace) -> None:
    services, cid = await _made(db, workspace)
    site = workspace.site("lisbon")
    stale = await lifecycle.load(services, cid)
    first = move(stale.layout(site), "process-1", datetime(2026, 12, 3, 9, 0))
    assert (await lifecycle.apply_move(services, "training-move:a", stale, first)).applied
    second = move(stale.layout(site), "welcome-1", datetime(2026, 12, 2, 10, 0))
    with pytest.raises(lifecycle.MovedMeanwhile):
        await lifecycle.apply_move(services, "training-move:b", stale, second)
    stored = await lifecycle.load(services, cid)
    assert stored.session("welcome-1").sequence == 0  # nothing of the stale move was stored


async def test_an_early_check_in_of_a_moved_session_is_dropped(db, workspace) -> None:
    services, cid = await _made(db, workspace)
    cohort = await lifecycle.load(services, cid)
    await attendance.check_in(db, cid, "process-1", "U0LABEL01", NOW)
    moved = move(cohort.layout(workspace.site("lisbon")), "process-1", datetime(2026, 12, 3, 9, 0))
    await lifecycle.apply_move(services, "training-move:a", cohort, moved)
    assert [m for m in await attendance.marks(db, cid) if m.session_id == "process-1"] == []


async def test_a_dm_still_held_by_another_worker_makes_the_timer_wait(db, workspace) -> None:
    services, cid = await _made(db, workspace)
    key = f"training-welcome:{cid}"
    # Another worker took the labeler's DM and has not finished (it may have crashed mid-send).
    held = await claims.take(db, f"{key}:U0LABEL01", "training", NOW, owner="other:1")
    assert held.won
    taken = claims.Taken(key, True, payload={"cohort": cid, "notes": []})
    services.port = _Port()
    with pytest.raises(claims.Held):
        await reminders.run_welcome(services, taken)
    assert "U0LABEL01" not in services.port.dms  # not sent twice, and not counted as told


class _Port:
    """Records DMs and posts; the platform itself is outside the product."""

    def __init__(self) -> None:
        self.dms: list[str] = []

    async def dm(self, user, message, *, key=None, look_first=False):  # noqa: ANN001, ANN201
        self.dms.append(user)
        return MessageRef(f"D-{user}", f"{len(self.dms)}.0")

    async def post(self, channel, message, *, key=None, look_first=False):  # noqa: ANN001, ANN201
        return MessageRef(channel, "1.0")


async def test_a_knowledge_check_without_a_quiz_is_attended_with_a_roll_call(db, workspace) -> None:
    await upgrade(db)
    plan = parse_plan(
        "name: Short\nmodules:\n"
        "  - {id: intro, title: Intro, kind: classroom, duration: 2}\n"
        "  - {id: oral, title: Oral check, kind: knowledge_check, duration: 1}\n",
        "short.yml",
    )
    draft = _draft(workspace)
    layout = lay_out(plan, workspace.site("lisbon"), draft.start, draft.target)
    draft = replace(draft, plan=plan, sessions=layout.sessions, name="short")
    services = _services(db, workspace)
    cid = (await lifecycle.create(services, "training-new:short", draft)).cohort_id
    async with db.transaction() as session:
        keys = set(await session.scalars(select(Claim.key)))
    assert f"training-roll:{cid}:oral-1:0" in keys
    assert f"training-check:{cid}:oral-1:0" not in keys  # no quiz to assign
    assert (await lifecycle.load(services, cid)).attended(layout.session("oral-1"))


async def test_quiz_tries_from_before_the_cohort_do_not_count(db, workspace) -> None:
    services, cid = await _made(db, workspace)
    cohort = await lifecycle.load(services, cid)
    async with db.transaction() as session:
        session.add(QuizTopic(topic_id="spam-basics", title="Spam basics", pass_mark=0.8, updated_at=NOW))
    async with db.transaction() as session:  # the topic first: attempts refer to it
        for n, (finished, passed) in enumerate(
            [(NOW - timedelta(days=30), True), (NOW + timedelta(days=4), False)]
        ):
            session.add(
                QuizAttempt(
                    attempt_id=f"a{n}", topic_id="spam-basics", user_id="U0LABEL01", kind="quiz", plan="[]",
                    started_at=finished, finished_at=finished, credit=1.0 if passed else 0.2, passed=passed,
                )
            )  # fmt: skip
    results = {r.user_id: r for r in await store.check_results(db, cohort)}
    assert results["U0LABEL01"].attempted and not results["U0LABEL01"].passed  # the old pass is ignored
    assert results["U0LABEL01"].best_score == pytest.approx(0.2)


async def test_calendar_ids_carry_what_made_the_cohort_not_only_its_number(db, workspace) -> None:
    """Cohort 1 of one installation and cohort 1 of another (or after a reset) must not share UIDs."""
    services, cid = await _made(db, workspace)
    other = await lifecycle.create(services, "training-new:def", replace(_draft(workspace), name="other"))
    first, second = await lifecycle.load(services, cid), await lifecycle.load(services, other.cohort_id)
    assert first.calendar_id.startswith(f"{cid}-") and first.calendar_id != str(cid)
    assert first.calendar_id.removeprefix(f"{cid}-") != second.calendar_id.removeprefix(f"{other.cohort_id}-")
