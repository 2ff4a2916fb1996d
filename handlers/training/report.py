"""The figures of a cohort as one JSON-ready dict: `/training status`, the weekly summary and
`tsqa training report COHORT --json` all read it, so what one shows the others can too."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from bot.workspace_training import Site
from handlers.training.cohort import CheckResult, Cohort, Mark
from handlers.training.nesting import NestingQuality
from handlers.training.readiness import CohortReadiness, LabelerReadiness

_MARKS = ("present", "absent", "excused")


def burn_up(cohort_readiness: CohortReadiness, cohort: Cohort, site: Site) -> list[tuple[date, int]]:
    """Labelers ready by the end of each working day from the start to the target, the projected
    go-live or today, whichever is last."""
    ready_days = sorted(r.ready_on for r in cohort_readiness.labelers if r.ready_on is not None)
    last = max(cohort.target, cohort_readiness.projected, cohort_readiness.today)
    burn, day = [], cohort.start
    while day <= last:
        if site.is_working_day(day):
            burn.append((day, sum(1 for d in ready_days if d <= day)))
        day += timedelta(days=1)
    return burn


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _nesting(row: NestingQuality | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "audited": row.audited,
        "agreed": row.agreed,
        "quality": _round(row.quality),
        "low": _round(row.low),
        "high": _round(row.high),
        "target": _round(row.target),
        "verdict": row.verdict,
    }


def _checks(cohort: Cohort, user_id: str, checks: list[CheckResult]) -> list[dict[str, Any]]:
    """One entry per quiz topic of the plan: attempted and passed if any result says so, best score."""
    topics = [m.quiz for m in cohort.plan.modules if m.kind == "knowledge_check" and m.quiz]
    entries = []
    for topic in dict.fromkeys(topics):
        own = [c for c in checks if c.topic == topic and c.user_id == user_id]
        scores = [c.best_score for c in own if c.best_score is not None]
        entries.append(
            {
                "topic": topic,
                "attempted": any(c.attempted for c in own),
                "passed": any(c.passed for c in own),
                "best_score": _round(max(scores)) if scores else None,
            }
        )
    return entries


def _labeler(
    cohort: Cohort, row: LabelerReadiness, nesting: dict[str, NestingQuality], checks: list[CheckResult]
) -> dict[str, Any]:
    member = cohort.member(row.user_id)
    return {
        "user": row.user_id,
        "labeler_id": member.labeler_id if member else None,
        "ready": row.ready,
        "ready_on": row.ready_on.isoformat() if row.ready_on else None,
        "done": row.done,
        "required": row.required,
        "nesting": _nesting(nesting.get(row.user_id)),
        "checks": _checks(cohort, row.user_id, checks),
    }


def _sessions(cohort: Cohort, marks: list[Mark]) -> list[dict[str, Any]]:
    """Each session with its labelers' latest marks counted; labelers with none are unmarked."""
    labelers = {m.user_id for m in cohort.labelers}
    latest: dict[tuple[str, str], str] = {}
    for mark in sorted(marks, key=lambda m: m.marked_at):
        if mark.user_id in labelers:
            latest[(mark.session_id, mark.user_id)] = mark.status
    entries = []
    for session in cohort.sessions:
        counts = Counter(status for (sid, _), status in latest.items() if sid == session.id)
        entries.append(
            {
                "id": session.id,
                "title": session.title,
                "kind": session.kind,
                "start": session.start.isoformat(),
                "end": session.end.isoformat(),
                **{status: counts[status] for status in _MARKS},
                "unmarked": len(labelers) - sum(counts.values()),
            }
        )
    return entries


def figures(
    cohort: Cohort,
    cohort_readiness: CohortReadiness,
    nesting: list[NestingQuality],
    checks: list[CheckResult],
    burn: list[tuple[date, int]],
    *,
    marks: list[Mark],
) -> dict[str, Any]:
    """Everything the status view, the weekly summary and the JSON report show, dates ISO, floats to 4."""
    quality = {row.user_id: row for row in nesting}
    readiness = cohort_readiness
    return {
        "cohort": cohort.name,
        "vendor": cohort.vendor,
        "site": cohort.site,
        "queues": list(cohort.queues),
        "plan": cohort.plan.name,
        "status": cohort.status,
        "as_of": readiness.today.isoformat(),
        "start": cohort.start.isoformat(),
        "target": cohort.target.isoformat(),
        "projected_go_live": readiness.projected.isoformat(),
        "days_late": readiness.days_late,
        "labelers": readiness.total,
        "ready": readiness.ready,
        "at_risk": [
            {"user": r.user_id, "reasons": [{"kind": why.kind, "detail": why.detail} for why in r.reasons]}
            for r in readiness.at_risk
        ],
        "labelers_detail": [_labeler(cohort, r, quality, checks) for r in readiness.labelers],
        "sessions": _sessions(cohort, marks),
        "burn_up": [{"day": day.isoformat(), "ready": ready} for day, ready in burn],
    }
