"""Nesting quality and readiness end to end over signed HTTP against the Slack fake, on a controllable
clock: labeler IDs from a roster file sent to the bot, decisions uploaded into the ingest channel, and
`/training status` with each labeler's quality, 95% Wilson interval and audited count, who is at risk and
why, the projected go-live; seen by the cohort's people and its vendor's lead, not another vendor's."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.workspace import Person, Workspace
from storage.models import QuizAttempt
from tests.e2e.escalate_flow import Clock, run_timers
from tests.e2e.harness import SlackSide, eventually, running_bot, settled, texts
from tests.e2e.test_ingest_uploads import thread_reply, upload
from tests.e2e.test_quiz_assign import imported
from tests.e2e.training_flow import (
    KAI,
    LEE,
    NICO,
    NOW,
    QA_OPS,
    QUINN,
    TARA,
    cohort_named,
    create_cohort,
    mark_buttons,
    pressed,
    said,
    training_workspace,
    with_text,
)

MIA, NOA, RIO = "U0LABEL03", "U0LABEL04", "U0LABEL05"
BEA = "U0BBLEAD1"  # Bluebird's lead
LABELERS = (LEE, KAI, MIA, NOA, RIO)
IDS = {LEE: "nw-t01", KAI: "nw-t02", MIA: "nw-t03", NOA: "nw-t04", RIO: "nw-t05"}
NESTING_DAYS = ("2026-12-04", "2026-12-07", "2026-12-09", "2026-12-10", "2026-12-11")
# (audited, agreed) on hate-en on the nesting days. MIA has exactly min_audits (20): enough for a verdict;
# NOA one fewer: not enough yet, however good.
AUDITS = {LEE: (40, 38), KAI: (25, 24), MIA: (20, 20), NOA: (19, 19), RIO: (30, 21)}
Z = 1.959963984540054  # the 97.5% normal quantile: a 95% two-sided interval


def wilson(agreed: int, audited: int) -> tuple[float, float]:
    """The Wilson score interval, closed form (not the product's statsmodels call)."""
    p, n = agreed / audited, audited
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return centre - half, centre + half


def pct(value: float) -> str:
    return f"{round(value, 4):.1%}"


def people(workspace: Workspace) -> Workspace:
    extra = [
        Person(id=u, name=f"{n} Labeler", title="Labeler (Northwind)")
        for u, n in zip((MIA, NOA, RIO), "MNR", strict=True)
    ]
    return training_workspace(workspace).model_copy(update={"people": [*workspace.people, *extra]})


def decisions() -> bytes:
    """Audited decisions spread over the nesting days, and rows that must not count: a day before
    nesting, the weekend and the holiday between nesting days, another queue, and unaudited rows (all
    disagreeing, so counting them would show)."""
    out = io.StringIO()
    rows = csv.writer(out)
    rows.writerow(["item_id", "queue", "labeler_id", "enqueued_at", "completed_at", "handle_seconds",
                   "decision", "qa_decision"])  # fmt: skip
    serial = 0

    def row(queue: str, who: str, at: datetime, decision: str, qa: str) -> None:
        nonlocal serial
        serial += 1
        done = at.isoformat()
        rows.writerow([f"nw-item-{serial:05d}", queue, who, (at - timedelta(minutes=5)).isoformat(), done, 40,
                       decision, qa])  # fmt: skip

    for user, (audited, agreed) in AUDITS.items():
        for i in range(audited):
            day = datetime.fromisoformat(NESTING_DAYS[i % 5]).replace(hour=10, minute=i % 60, tzinfo=UTC)
            row("hate-en", IDS[user], day, "remove", "remove" if i < agreed else "allow")
    for i in range(10):
        row(
            "hate-en", IDS[LEE], datetime(2026, 12, 3, 10, i, tzinfo=UTC), "remove", "allow"
        )  # before nesting
        row("spam-pt", IDS[LEE], datetime(2026, 12, 7, 10, i, tzinfo=UTC), "remove", "allow")  # not its queue
        row("hate-en", IDS[LEE], datetime(2026, 12, 9, 11, i, tzinfo=UTC), "remove", "")  # not audited
        row("hate-en", IDS[LEE], datetime(2026, 12, 5, 10, i, tzinfo=UTC), "remove", "allow")  # a Saturday
        row("hate-en", IDS[LEE], datetime(2026, 12, 8, 10, i, tzinfo=UTC), "remove", "allow")  # the holiday
    return out.getvalue().encode()


async def check_ins(slack: SlackSide, bot: Any, clock: Clock, cohort: Any) -> None:  # noqa: ANN401
    """Each labeler presses Check in at each attended session's start; Kai misses spam practice and Mia
    is away for the process session, which the trainer marks absent from the roll call."""
    skip = {(KAI, "spam-practice-1"), (MIA, "process-1")}
    for session in (s for s in cohort.sessions if s.kind in ("classroom", "virtual", "self_study")):
        clock.now = session.start.astimezone(UTC)
        for person in LABELERS:
            if (person, session.id) not in skip:
                before = len(slack.fake.calls_to("response_url"))  # answered before the clock moves on
                reply = await slack.action("training-checkin", f"{cohort.id}|{session.id}", user=person)
                assert reply.status == 200
                answered = await eventually(lambda b=before: slack.fake.calls_to("response_url")[b:])
                assert "Checked in" in str(answered[-1].args), answered[-1].args
        if session.id == "process-1":
            clock.now = session.end.astimezone(UTC)
            await run_timers(bot)
            roll = with_text(slack, TARA, "Attendance for *Queue process and decision flow*")[0]
            await pressed(
                slack, roll, "training-mark:absent", TARA, value=mark_buttons(roll)[(MIA, "absent")]["value"]
            )
    await settled(bot)


async def quiz_results(bot: Any) -> None:  # noqa: ANN401
    """Finished attempts on the check's topic: everyone passed but Noa (half the credit, pass mark 60%)."""
    at = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)
    async with bot.services.db.transaction() as session:
        for person in LABELERS:
            passed = person != NOA
            session.add(QuizAttempt(
                attempt_id=f"t-{person}", topic_id="spam-basics", user_id=person, kind="quiz", plan="[]",
                position=2, started_at=at - timedelta(minutes=10), finished_at=at,
                credit=1.0 if passed else 0.5, passed=passed,
            ))  # fmt: skip


async def test_nesting_quality_and_readiness_with_their_reasons(workspace, database_url) -> None:
    await imported(database_url)
    clock = Clock(NOW)
    ws = people(workspace)
    async with running_bot(ws, database_url, clock=clock) as (bot, slack):
        labelers = " ".join(f"<@{u}>" for u in LABELERS)
        assert await create_cohort(slack, bot, start="2026-12-02", labelers=labelers) == {}
        roster = "user,labeler_id\n" + "".join(f"{u},{IDS[u]}\n" for u in LABELERS)
        await upload(slack, TARA, "lisbon-dec-roster.csv", roster.encode(), slack.fake.dm_channel(TARA))
        kept = await eventually(lambda: with_text(slack, TARA, "Labeler IDs kept"))
        assert len(kept) == 1 and "Labeler IDs kept for 5 labelers of *lisbon-dec*" in texts(kept[0].blocks)
        cohort = await cohort_named(bot)
        assert {m.user_id: m.labeler_id for m in cohort.labelers} == IDS

        await check_ins(slack, bot, clock, cohort)
        await quiz_results(bot)

        clock.now = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)  # nesting ended Fri 11 Dec 17:30
        stored = await thread_reply(slack, await upload(slack, QUINN, "nesting.csv", decisions(), QA_OPS))
        assert "stored" in stored, stored
        status = await said(slack, "status lisbon-dec", TARA)
        lines = status.splitlines()

        def line(prefix: str) -> str:
            found = [x for x in lines if x.startswith(prefix)]
            assert len(found) == 1, (prefix, status)
            return found[0]

        assert "Cohort *lisbon-dec*: 1 of 5 labelers ready" in status
        # Go-live day with four not ready: pending, not "on time".
        assert "⚠️ Go-live pending: the sessions are over and 4 of 5 labelers are not ready yet" in status
        assert "*At risk (4)*" in status
        for person in (LEE, KAI, MIA, RIO):
            audited, agreed = AUDITS[person]
            low, high = wilson(agreed, audited)
            verdict = "below target" if high < 0.9 else "met"
            nesting = (
                f"nesting {pct(agreed / audited)} (95% CI {pct(low)}–{pct(high)}, {audited} audited, "
                f"target 90.0%): {verdict}"
            )
            assert line(f"<@{person}> · ").endswith(nesting), (person, line(f"<@{person}> · "), nesting)
        assert line(f"<@{NOA}> · ") == f"<@{NOA}> · 5/7 done · nesting: not enough audits yet (19 audited)"
        assert line(f"<@{LEE}> · ").startswith(f"<@{LEE}> · ✅ ready Fri 11 Dec 2026 · ")
        assert f"<@{LEE}>:" not in status  # not at risk
        assert line(f"<@{KAI}>:") == f"<@{KAI}>: missed Spam and scams with worked examples on Thu 03 Dec"
        assert line(f"<@{MIA}>:") == f"<@{MIA}>: absent from Queue process and decision flow on Wed 02 Dec"
        assert line(f"<@{NOA}>:") == (
            f"<@{NOA}>: did not pass Spam policy knowledge check (quiz spam-basics) (best score 50%); "
            "only 19 audits while nesting"
        )
        assert line(f"<@{RIO}>:") == f"<@{RIO}>: nesting quality 70.0% of 30 audited, below the target 90%"

        # Who sees it: the cohort's labeler and its vendor's lead do; another vendor's lead does not.
        assert "Cohort *lisbon-dec*: 1 of 5 labelers ready" in await said(slack, "status lisbon-dec", LEE)
        assert "Cohort *lisbon-dec*: 1 of 5 labelers ready" in await said(slack, "status lisbon-dec", NICO)
        refused = await said(slack, "status lisbon-dec", BEA)
        assert refused.startswith("⛔ I know no cohort `lisbon-dec`") and "ready" not in refused
