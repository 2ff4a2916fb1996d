"""Who is ready to go live and who is at risk, and why; the cohort's projected go-live against its target.

Pure: the cohort, its attendance marks, quiz results and nesting figures in; plain rows out. A labeler is
ready when every attended session is present or excused, every knowledge check's quiz is passed and
nesting quality is met once the nesting days are over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from bot.workspace_training import Site
from handlers.training import nesting as verdicts
from handlers.training.cohort import CheckResult, Cohort, Mark
from handlers.training.nesting import NestingQuality
from handlers.training.schedule import Session, first_working_day, next_working_day, working_days_after

ReasonKind = Literal[
    "missed",
    "absent",
    "failed_check",
    "check_overdue",
    "nesting_below",
    "nesting_uncertain",
    "not_enough_audits",
    "no_labeler_id",
]


@dataclass(frozen=True)
class Reason:
    """Why a labeler is at risk; `detail` is plain text (views escape it)."""

    kind: ReasonKind
    detail: str


@dataclass(frozen=True)
class LabelerReadiness:
    """One labeler: ready or not, the site-local day they became ready, what is wrong, conditions met."""

    user_id: str
    ready: bool
    ready_on: date | None
    reasons: tuple[Reason, ...]
    done: int
    required: int


@dataclass(frozen=True)
class CohortReadiness:
    """The cohort as of `today` (site-local): who is ready, who is at risk, and go-live against target."""

    labelers: list[LabelerReadiness]
    ready: int
    total: int
    at_risk: list[LabelerReadiness]
    projected: date
    target: date
    days_late: int
    today: date


@dataclass(frozen=True)
class _Condition:
    """One thing a labeler must do: met on `met_on` (None: not yet), else perhaps a reason."""

    met_on: date | None
    reason: Reason | None = None


def _name(session: Session) -> str:
    part = f" (part {session.occurrence} of {session.parts})" if session.parts > 1 else ""
    return f"{session.title}{part}"


def _day(moment: datetime, site: Site) -> date:
    return moment.astimezone(site.tz).date()


def _when(session: Session, site: Site) -> str:
    return f"{session.start.astimezone(site.tz):%a %d %b}"


def _latest_marks(marks: Iterable[Mark]) -> dict[tuple[str, str], Mark]:
    """The latest mark per (session, person): a trainer's correction replaces an earlier mark."""
    latest: dict[tuple[str, str], Mark] = {}
    for mark in sorted(marks, key=lambda m: m.marked_at):
        latest[(mark.session_id, mark.user_id)] = mark
    return latest


def _attendance(session: Session, mark: Mark | None, now: datetime, site: Site) -> _Condition:
    if mark is not None and mark.status in ("present", "excused"):
        return _Condition(_day(session.end, site))
    if mark is not None:  # absent
        return _Condition(None, Reason("absent", f"absent from {_name(session)} on {_when(session, site)}"))
    if session.end <= now:
        return _Condition(None, Reason("missed", f"missed {_name(session)} on {_when(session, site)}"))
    return _Condition(None)


def _check(
    title: str, topic: str, last: Session, result: CheckResult | None, now: datetime, site: Site
) -> _Condition:
    if result is not None and result.passed:
        finished = result.finished_at
        return _Condition(_day(finished, site) if finished else _day(last.end, site))
    if result is not None and result.attempted:
        score = f" (best score {result.best_score:.0%})" if result.best_score is not None else ""
        return _Condition(None, Reason("failed_check", f"did not pass {title} (quiz {topic}){score}"))
    if last.end <= now:
        return _Condition(
            None, Reason("check_overdue", f"has not taken {title} (quiz {topic}), due {_when(last, site)}")
        )
    return _Condition(None)


def _merged(results: Iterable[CheckResult]) -> CheckResult | None:
    """One result per topic and person, from several rows: passed if any passed, the best score and the
    first passing finish (the day it became met)."""
    results = list(results)
    if not results:
        return None
    passed = [r for r in results if r.passed]
    scores = [r.best_score for r in results if r.best_score is not None]
    finished = [r.finished_at for r in (passed or results) if r.finished_at is not None]
    return CheckResult(
        topic=results[0].topic,
        user_id=results[0].user_id,
        attempted=any(r.attempted for r in results),
        passed=bool(passed),
        best_score=max(scores) if scores else None,
        finished_at=min(finished) if passed and finished else max(finished, default=None),
    )


def _nesting(row: NestingQuality | None, last: Session, now: datetime, site: Site) -> _Condition:
    ended = last.end <= now
    if row is None:
        return _Condition(None)
    figure = f"{row.quality:.1%} of {row.audited} audited" if row.quality is not None else "no audits"
    target = f"target {row.target:.0%}"
    if row.verdict == verdicts.NO_LABELER_ID:
        return _Condition(None, Reason("no_labeler_id", "no labeler ID, so nesting quality cannot be read"))
    if row.verdict == verdicts.BELOW:
        return _Condition(None, Reason("nesting_below", f"nesting quality {figure}, below the {target}"))
    if row.verdict == verdicts.UNCERTAIN:
        detail = f"nesting quality {figure}, under the {target} but not conclusively"
        return _Condition(None, Reason("nesting_uncertain", detail))
    if row.verdict == verdicts.NOT_ENOUGH and ended:
        return _Condition(None, Reason("not_enough_audits", f"only {row.audited} audits while nesting"))
    if row.verdict == verdicts.MET and ended:
        return _Condition(_day(last.end, site))
    return _Condition(None)


def _conditions(
    cohort: Cohort,
    user_id: str,
    marks: dict[tuple[str, str], Mark],
    checks: dict[tuple[str, str], CheckResult],
    nesting: NestingQuality | None,
    now: datetime,
    site: Site,
) -> list[_Condition]:
    conditions: list[_Condition] = []
    sessions = list(cohort.sessions)
    for module in cohort.plan.modules:
        own = [s for s in sessions if s.module_id == module.id]
        if not own:
            continue
        if cohort.attended(own[0]):
            conditions += [_attendance(s, marks.get((s.id, user_id)), now, site) for s in own]
        elif module.kind == "knowledge_check" and module.quiz is not None:
            result = checks.get((module.quiz, user_id))
            conditions.append(_check(module.title, module.quiz, own[-1], result, now, site))
    nests = [s for s in sessions if s.kind == "nesting"]
    if nests:
        conditions.append(_nesting(nesting, max(nests, key=lambda s: s.end), now, site))
    return conditions


def readiness(
    cohort: Cohort,
    marks: list[Mark],
    checks: list[CheckResult],
    nesting: list[NestingQuality],
    now: datetime,
    site: Site,
) -> list[LabelerReadiness]:
    """Each labeler's readiness as of `now`, sorted by user ID.

    A knowledge check is counted by its quiz, not attended (one without a quiz is attended instead).
    Nesting counts as met only once the nesting days are over."""
    latest = _latest_marks(marks)
    by_topic: dict[tuple[str, str], list[CheckResult]] = {}
    for result in checks:
        by_topic.setdefault((result.topic, result.user_id), []).append(result)
    merged = {key: r for key, rows in by_topic.items() if (r := _merged(rows)) is not None}
    quality = {row.user_id: row for row in nesting}
    rows = []
    for member in cohort.labelers:
        conditions = _conditions(
            cohort, member.user_id, latest, merged, quality.get(member.user_id), now, site
        )
        met = [c.met_on for c in conditions if c.met_on is not None]
        ready = len(met) == len(conditions)
        rows.append(
            LabelerReadiness(
                user_id=member.user_id,
                ready=ready,
                ready_on=max(met, default=None) if ready else None,
                reasons=tuple(c.reason for c in conditions if c.reason is not None),
                done=len(met),
                required=len(conditions),
            )
        )
    return sorted(rows, key=lambda r: r.user_id)


def at_risk(rows: list[LabelerReadiness]) -> list[LabelerReadiness]:
    """The labelers with something wrong (not those merely not done yet)."""
    return [r for r in rows if r.reasons]


def projected_go_live(cohort: Cohort, site: Site) -> date:
    """The first working day after the cohort's last session, as scheduled now."""
    last = max(cohort.sessions, key=lambda s: s.end)
    return next_working_day(site, _day(last.end, site))


def cohort_readiness(
    cohort: Cohort,
    marks: list[Mark],
    checks: list[CheckResult],
    nesting: list[NestingQuality],
    now: datetime,
    site: Site,
) -> CohortReadiness:
    """The cohort's readiness as of `now`; `days_late` counts working days past the target.

    Once the scheduled go-live has passed with someone not ready, go-live cannot come before the next
    working day from today: the projection moves with the calendar instead of standing in the past."""
    rows = readiness(cohort, marks, checks, nesting, now, site)
    today = _day(now, site)
    projected = projected_go_live(cohort, site)
    if any(not r.ready for r in rows) and projected < today:
        projected = first_working_day(site, today)
    return CohortReadiness(
        labelers=rows,
        ready=sum(r.ready for r in rows),
        total=len(rows),
        at_risk=at_risk(rows),
        projected=projected,
        target=cohort.target,
        days_late=working_days_after(site, cohort.target, projected),
        today=today,
    )
