"""Readiness: each reason, excused counts as done, the day a labeler became ready, the cohort's counts and
the projected go-live after a moved session.

The cohort is the example plan laid in Manila from Mon 23 Nov 2026 (see test_training_nesting): welcome,
process and policy-basics on 23 Nov; policy-reading, spam-practice and the spam-check quiz (15:00-16:00)
on 24 Nov; nesting on 25, 26, 27 Nov, 1 and 2 Dec (ends 16:30); target Fri 11 Dec.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from handlers.training.cohort import CheckResult, Mark, Member
from handlers.training.nesting import NestingQuality
from handlers.training.readiness import (
    LabelerReadiness,
    Reason,
    at_risk,
    cohort_readiness,
    projected_go_live,
    readiness,
)
from handlers.training.schedule import move
from tests.unit.test_training_nesting import MANILA, MEMBERS, cohort, local

ATTENDED = ["welcome-1", "process-1", "policy-basics-1", "policy-reading-1", "spam-practice-1"]
AFTER = local(3, 12)  # Thu 3 Dec 10:00, the day after nesting


def present(user: str, *sessions: str, status: str = "present", at: datetime | None = None) -> list[Mark]:
    return [
        Mark(s, user, status, at or local(23, hour=8), "T1" if status != "present" else user)
        for s in sessions
    ]  # type: ignore[arg-type]


def passed(user: str, finished: datetime, score: float = 0.9) -> CheckResult:
    return CheckResult("spam-basics", user, True, True, score, finished)


def quality(user: str, verdict: str, audited: int = 30, agreed: int = 28) -> NestingQuality:
    labeler = None if verdict == "no labeler id" else f"L{user[1:]}"
    share = agreed / audited if audited else None
    return NestingQuality(user, labeler, audited, agreed, share, 0.8, 0.98, 0.9, verdict)


def scenario() -> tuple[list[Mark], list[CheckResult], list[NestingQuality]]:
    marks = [
        *present("U1", "welcome-1", "process-1", "policy-basics-1", "spam-practice-1"),
        *present("U1", "policy-reading-1", status="absent", at=local(24, hour=9)),
        *present("U1", "policy-reading-1", status="excused", at=local(24, hour=13)),  # the trainer corrects
        *present("U2", "welcome-1", "policy-basics-1", "policy-reading-1"),
        *present("U2", "process-1", status="absent"),
        *present("U3", *ATTENDED),
        *present("U4", *ATTENDED),
        *present("U5", *ATTENDED),
        *present("T1", "welcome-1"),  # a trainer's check-in is no labeler's
    ]
    checks = [
        CheckResult("spam-basics", "U2", True, False, 0.6, local(24, hour=16)),
        CheckResult("spam-basics", "U1", True, False, 0.7, local(24, hour=16)),
        passed("U1", local(25, hour=20)),
        passed("U4", local(24, hour=16)),
        passed("U5", local(24, hour=16)),
        CheckResult("other-topic", "U3", True, True, 1.0, local(24, hour=16)),  # not this plan's quiz
    ]
    nesting = [
        quality("U1", "met"),
        quality("U2", "below target", 40, 28),
        quality("U3", "under target, not conclusive", 25, 21),
        quality("U4", "not enough audits yet", 10, 10),
        quality("U5", "no labeler id", 0, 0),
    ]
    return marks, checks, nesting


def kinds(row: LabelerReadiness) -> list[str]:
    return [r.kind for r in row.reasons]


def test_every_reason_after_the_course() -> None:
    marks, checks, nesting = scenario()
    rows = {r.user_id: r for r in readiness(cohort(MEMBERS), marks, checks, nesting, AFTER, MANILA)}
    assert list(rows) == ["U1", "U2", "U3", "U4", "U5"]
    # Excused counts as done; the last condition met is nesting, over on Wed 2 Dec.
    assert rows["U1"] == LabelerReadiness("U1", True, date(2026, 12, 2), (), 7, 7)
    assert kinds(rows["U2"]) == ["absent", "missed", "failed_check", "nesting_below"]
    assert (rows["U2"].ready, rows["U2"].ready_on, rows["U2"].done, rows["U2"].required) == (
        False,
        None,
        3,
        7,
    )
    assert rows["U2"].reasons[0] == Reason(
        "absent", "absent from Queue process and decision flow on Mon 23 Nov"
    )
    assert rows["U2"].reasons[1].detail == "missed Spam and scams with worked examples on Tue 24 Nov"
    assert "60%" in rows["U2"].reasons[2].detail and "spam-basics" in rows["U2"].reasons[2].detail
    assert kinds(rows["U3"]) == ["check_overdue", "nesting_uncertain"]
    assert (rows["U3"].done, rows["U3"].required) == (5, 7)
    assert kinds(rows["U4"]) == ["not_enough_audits"]
    assert (rows["U4"].ready, rows["U4"].done) == (False, 6)
    assert kinds(rows["U5"]) == ["no_labeler_id"]
    assert [r.user_id for r in at_risk(list(rows.values()))] == ["U2", "U3", "U4", "U5"]


def test_no_reason_for_what_is_not_due_yet() -> None:
    """At 24 Nov 12:30: policy-reading has ended, spam-practice is running, the quiz is at 15:00 and
    nesting has not begun. Few audits while nesting are not yet a reason."""
    marks, _, _ = scenario()
    now = local(24, hour=12, minute=30)
    early = [quality(u, "not started", 0, 0) for u in ("U1", "U2", "U3", "U4")] + [
        quality("U5", "no labeler id", 0, 0)
    ]
    rows = {r.user_id: r for r in readiness(cohort(MEMBERS), marks, [], early, now, MANILA)}
    assert kinds(rows["U1"]) == [] and rows["U1"].done == 5  # four present and the excused reading
    assert kinds(rows["U2"]) == ["absent"]  # spam-practice not over: not missed yet
    assert kinds(rows["U3"]) == []
    assert kinds(rows["U5"]) == ["no_labeler_id"]
    during = [quality("U4", "not enough audits yet", 10, 10)]
    row = readiness(cohort(MEMBERS), marks, [], during, local(26, hour=12), MANILA)[3]
    assert row.user_id == "U4" and kinds(row) == ["check_overdue"]
    # Met part-way through nesting is not ready yet: the nesting days are not over.
    met = [quality("U1", "met")]
    u1 = readiness(
        cohort(MEMBERS), marks, [passed("U1", local(24, hour=16))], met, local(26, hour=12), MANILA
    )[0]
    assert (u1.ready, u1.done, u1.required, u1.reasons) == (False, 6, 7, ())


def test_ready_on_is_the_day_the_last_condition_was_met() -> None:
    """Without nesting, the quiz passed two days after the sessions makes it the ready day."""
    base = cohort(MEMBERS)
    plan = base.plan.model_copy(update={"modules": [m for m in base.plan.modules if m.kind != "nesting"]})
    no_nesting = replace(base, plan=plan, sessions=tuple(s for s in base.sessions if s.kind != "nesting"))
    marks = present("U1", *ATTENDED)
    late_pass = [passed("U1", local(26, hour=23, minute=30))]  # 26 Nov in Manila, 15:30 UTC
    rows = readiness(no_nesting, marks, late_pass, [], AFTER, MANILA)
    assert rows[0] == LabelerReadiness("U1", True, date(2026, 11, 26), (), 6, 6)
    early_pass = [passed("U1", local(24, hour=15, minute=40))]
    rows = readiness(no_nesting, marks, early_pass, [], AFTER, MANILA)
    assert rows[0].ready_on == date(2026, 11, 24)  # spam-practice ended that day too


def test_cohort_counts_and_go_live_on_time() -> None:
    marks, checks, nesting = scenario()
    result = cohort_readiness(cohort(MEMBERS), marks, checks, nesting, AFTER, MANILA)
    assert (result.ready, result.total) == (1, 5)
    assert [r.user_id for r in result.at_risk] == ["U2", "U3", "U4", "U5"]
    assert result.projected == date(2026, 12, 3)  # the working day after 2 Dec
    assert (result.target, result.days_late, result.today) == (date(2026, 12, 11), 0, date(2026, 12, 3))


def test_a_go_live_that_has_passed_with_labelers_not_ready_moves_with_the_calendar() -> None:
    """Scheduled go-live Thu 3 Dec; on Mon 7 Dec four are still not ready: the earliest go-live is the
    first working day from today. Tue 8 Dec is a public holiday in the Philippines (Immaculate
    Conception), so on that day it is Wed 9 Dec. The target is Fri 11 Dec."""
    marks, checks, nesting = scenario()
    monday = cohort_readiness(cohort(MEMBERS), marks, checks, nesting, local(7, 12), MANILA)
    assert (monday.projected, monday.days_late) == (date(2026, 12, 7), 0)  # the target is Fri 11 Dec
    holiday = cohort_readiness(cohort(MEMBERS), marks, checks, nesting, local(8, 12), MANILA)
    assert holiday.projected == date(2026, 12, 9)
    later = cohort_readiness(cohort(MEMBERS), marks, checks, nesting, local(14, 12), MANILA)
    assert (later.projected, later.days_late) == (date(2026, 12, 14), 1)  # Mon 14: one working day late


def test_projected_go_live_after_a_moved_session() -> None:
    """nesting-1 moved to Thu 10 Dec: nesting 10, 11, 14, 15, 16 Dec, go-live Thu 17 Dec, four working
    days (14, 15, 16, 17) past the Fri 11 Dec target."""
    base = cohort(MEMBERS)
    moved = move(base.layout(MANILA), "nesting-1", datetime(2026, 12, 10, 8))
    late = replace(base, sessions=moved.sessions)
    assert projected_go_live(late, MANILA) == date(2026, 12, 17)
    result = cohort_readiness(late, [], [], [], local(1, 12), MANILA)
    assert (result.projected, result.days_late, result.ready) == (date(2026, 12, 17), 4, 0)
    assert projected_go_live(base, MANILA) == date(2026, 12, 3)


def test_a_labeler_without_marks_misses_each_session() -> None:
    rows = readiness(cohort((Member("U9", "labeler", "L9"),)), [], [], [], AFTER, MANILA)
    assert kinds(rows[0]) == ["missed"] * 5 + ["check_overdue"]
    assert (rows[0].done, rows[0].required) == (0, 7)
