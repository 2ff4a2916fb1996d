"""Policy cascades: one post per channel, members tracked (bot left out), an acknowledgement counted
once, a quiz pass tracked, directly and through the quiz's routes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.routing import Router
from handlers.policy import (
    cascade,
    cascade_members,
    cascade_reminders,
    cascade_status,
    cascade_targets,
    routes,
    store,
)
from handlers.policy.cascade_views import status_message
from handlers.quiz import assign
from handlers.quiz.attempts import answer, start
from handlers.quiz.bank import Answer
from storage import claims
from storage.engine import Database
from storage.models import PolicyCascadeMember
from tests.unit.policy_cascade_fixtures import (
    ADMIN,
    BLUEBIRD,
    KAI,
    LEE,
    NICO,
    NORTHWIND,
    NOW,
    FakePort,
    members_port,
    services,
)
from tests.unit.policy_cascade_fixtures import library as library  # a fixture
from tests.unit.policy_cascade_fixtures import workspace as workspace  # a fixture, in place of conftest's
from tests.unit.test_quiz_assign import texts

# ----- publishing and acknowledging -----


async def test_publishing_posts_once_per_channel_tracks_members_and_schedules_reminders_and_the_summary(
    library: Database, workspace
) -> None:  # noqa: ANN001
    port, clock = members_port(), [NOW]
    svc = services(library, port, clock, workspace)
    req = cascade_targets.parse(
        "spam --to northwind #vendor-bluebird --ack-by 2026-12-04", workspace, NOW.date()
    )
    done = await cascade.publish(svc, req, ADMIN)
    assert done.outcomes == {NORTHWIND: "posted", BLUEBIRD: "posted"} and done.members == {
        NORTHWIND: 2,
        BLUEBIRD: 1,
    }
    post = texts(port.posts[0][1])
    assert "Spam and platform manipulation · version 2" in post and "Added: _Engagement bait_" in post
    assert "Effective 2026-11-01" in post and "I have read and understood" in post
    again = await cascade.publish(svc, req, ADMIN)
    assert again.outcomes == {NORTHWIND: "posted_before", BLUEBIRD: "posted_before"} and len(port.posts) == 2
    for day in ("2026-12-03", "2026-12-04"):
        row = await claims.state(
            library, cascade_reminders.remind_key(done.cascade_id, date.fromisoformat(day))
        )
        assert row is not None and row.kind == cascade_reminders.REMIND_KIND
    summary = await claims.state(library, cascade_reminders.summary_key(done.cascade_id, date(2026, 12, 4)))
    assert summary is not None and summary.due_at == datetime(2026, 12, 4, 17, 0, tzinfo=UTC)  # Dublin
    async with library.transaction() as session:
        users = set(await session.scalars(select(PolicyCascadeMember.user_id)))
    assert users == {NICO, LEE, KAI}


async def test_a_channel_the_bot_is_not_in_is_reported_and_the_others_still_get_the_post(
    library: Database, workspace
) -> None:  # noqa: ANN001
    port = FakePort({NORTHWIND: [LEE]})
    svc = services(library, port, [NOW], workspace)
    req = cascade_targets.parse("spam --to northwind bluebird --ack-by 2026-12-04", workspace, NOW.date())
    done = await cascade.publish(svc, req, ADMIN)
    assert done.outcomes == {NORTHWIND: "posted", BLUEBIRD: "failed"}
    assert "invite the bot to" in done.problems[0].plain


async def test_an_unknown_policy_or_quiz_is_refused_before_anything_is_posted(
    library: Database, workspace
) -> None:  # noqa: ANN001
    port = members_port()
    svc = services(library, port, [NOW], workspace)
    for text, said in (
        ("nothing --to northwind", "no policy `nothing`"),
        ("spam --to northwind --quiz x", "no quiz `x`"),
    ):
        with pytest.raises(cascade.PublishError) as refused:
            await cascade.publish(
                svc, cascade_targets.parse(f"{text} --ack-by 2026-12-04", workspace, NOW.date()), ADMIN
            )
        assert said in refused.value.message.plain
    assert not port.posts


async def test_an_acknowledgement_counts_once_a_stranger_is_refused_and_a_newcomer_is_looked_up(
    library: Database, workspace
) -> None:  # noqa: ANN001
    port, clock = members_port(), [NOW]
    svc = services(library, port, clock, workspace)
    done = await cascade.publish(
        svc, cascade_targets.parse("spam --to northwind --ack-by 2026-12-04", workspace, NOW.date()), ADMIN
    )
    first = await cascade_members.acknowledge(svc, done.cascade_id, LEE, NORTHWIND)
    clock[0] = NOW.replace(hour=11)
    second = await cascade_members.acknowledge(svc, done.cascade_id, LEE, f"D{LEE}")
    assert (first.outcome, second.outcome) == ("recorded", "already")
    assert (await cascade_members.acknowledge(svc, done.cascade_id, KAI, f"D{KAI}")).outcome == "not_member"
    port.channels[NORTHWIND].append(KAI)  # joined after the post: found when clicking in the channel
    assert (await cascade_members.acknowledge(svc, done.cascade_id, KAI, NORTHWIND)).outcome == "recorded"
    assert (await cascade_members.acknowledge(svc, 999, LEE, NORTHWIND)).outcome == "unknown"
    cascade_row = await cascade_status.latest_cascade(svc, "spam")
    assert cascade_row is not None
    found = await cascade_status.status(svc, cascade_row)
    assert found.channels[0].acked == (LEE, KAI) and found.pending_people() == [NICO]
    async with library.transaction() as session:
        acked = await session.scalar(
            select(PolicyCascadeMember.acked_at).where(PolicyCascadeMember.user_id == LEE)
        )
    assert acked == NOW  # the first click's time, not the second's


async def test_a_passed_quiz_counts_for_those_who_acknowledged_a_cascade_with_that_quiz(
    library: Database, workspace
) -> None:  # noqa: ANN001
    svc = services(library, members_port(), [NOW], workspace)
    req = cascade_targets.parse("spam --to northwind --ack-by 2026-12-04 --quiz spam", workspace, NOW.date())
    done = await cascade.publish(svc, req, ADMIN)
    await cascade_members.acknowledge(svc, done.cascade_id, LEE, NORTHWIND)
    await cascade_members.quiz_passed(svc, "spam", LEE, NOW)
    await cascade_members.quiz_passed(svc, "spam", NICO, NOW)  # passed without acknowledging: not counted yet
    await cascade_members.quiz_passed(svc, "other", LEE, NOW)
    row = await cascade_status.latest_cascade(svc, "spam")
    assert row is not None
    found = await cascade_status.status(svc, row)
    assert found.channels[0].passed == (LEE,) and found.pending_people() == [NICO]
    shown = texts(status_message(workspace, (await store.get(library, "spam")), found))  # type: ignore[arg-type]
    assert (
        "1 of 2 acknowledged (50%), 1 passed the quiz (50%)" in shown and "Northwind Review Services" in shown
    )


async def test_a_pass_reaches_the_cascade_through_the_quiz_when_the_routes_are_registered(
    library: Database, workspace
) -> None:  # noqa: ANN001
    routes.register(Router())
    routes.register(Router())  # a second bot in the process: still one listener
    assert assign.PASS_LISTENERS.count(cascade_members.quiz_passed) == 1
    svc = services(library, members_port(), [NOW], workspace)
    req = cascade_targets.parse("spam --to northwind --ack-by 2026-12-04 --quiz spam", workspace, NOW.date())
    done = await cascade.publish(svc, req, ADMIN)
    await cascade_members.acknowledge(svc, done.cascade_id, LEE, NORTHWIND)
    step = await start(library, LEE, "spam", NOW)
    await answer(library, step.attempt_id, 0, LEE, Answer(chosen=(step.order.index(0),)), NOW)
    await assign.on_attempt_finished(svc, step.attempt_id)
    row = await cascade_status.latest_cascade(svc, "spam")
    assert row is not None and (await cascade_status.status(svc, row)).channels[0].passed == (LEE,)
