"""The error analysis from audited decisions: quality with Wilson intervals, where labelers and QA
disagree, who is clearly below target and which vendor's errors stand out.

`analyse` works in DuckDB over the Arrow table (one filtered scan into a temporary table, then small
GROUPING SETS queries) and shapes the small results with pandas; it is CPU work, so callers on the event
loop run it in a thread (`report_for`). `load` reads only the audited rows the analysis needs.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import duckdb
import pandas as pd
import pyarrow as pa
from sqlalchemy import select

from bot.workspace import Workspace
from handlers.quality.report import (
    Confusion,
    ErrorPair,
    Group,
    LabelerQuality,
    QualityReport,
    Week,
    records,
)
from handlers.quality.scope import Scope, period_us
from handlers.quality.standouts import standouts
from handlers.quality.wilson import wilson
from storage.engine import Database
from storage.models.digest import Decision
from storage.queue_data import audited_between

NO_DECISION = "(none)"  # an audited row whose labeler decision is missing
OVERALL = "overall"
# Wilson alone would flag 3 of 5 agreed against a 0.92 target (interval 0.23-0.88): a labeler is judged
# on at least a working week of audits (80 decisions a day, 5% audited, five days).
MIN_AUDITED_TO_FLAG = 20
_LEVEL = """CASE WHEN grouping(queue) = 0 THEN 'queue' WHEN grouping(vendor) = 0 THEN 'vendor'
                 WHEN grouping(site) = 0 THEN 'site' ELSE 'overall' END AS level,
            coalesce(queue, vendor, site, $overall) AS key"""
_SETS = "GROUPING SETS ((queue{0}), (vendor{0}), (site{0}), ({1}))"

AUDITED = """
CREATE TEMP TABLE audited AS
SELECT d.queue, coalesce(d.vendor, q.vendor) AS vendor, coalesce(d.site, q.site) AS site, d.labeler_id,
       {rows}coalesce(d.decision, '{none}') AS decision, d.qa_decision, q.target,
       CAST(date_trunc('week', timezone($tz, d.completed_at)) AS DATE) AS week,
       d.decision IS NOT DISTINCT FROM d.qa_decision AS agreed,
       CASE WHEN d.decision IS NOT DISTINCT FROM d.qa_decision THEN NULL
            WHEN rd.rank IS NULL OR rq.rank IS NULL THEN 'unranked'
            WHEN rd.rank > rq.rank THEN 'over' ELSE 'under' END AS direction,
       {in_scope} AS in_scope
FROM decisions d JOIN queues q ON d.queue = q.queue
LEFT JOIN ranks rd ON rd.queue = d.queue AND rd.label = d.decision
LEFT JOIN ranks rq ON rq.queue = d.queue AND rq.label = d.qa_decision
WHERE d.qa_decision IS NOT NULL AND d.qa_decision <> ''
  AND d.completed_at >= $start AND d.completed_at < $end
"""
_SCOPE_COLUMN = {
    "queue": "d.queue",
    "vendor": "coalesce(d.vendor, q.vendor)",
    "site": "coalesce(d.site, q.site)",
}


def _typed(table: pa.Table) -> pa.Table:
    """The decision columns the analysis reads, nulls where the file had no vendor or site."""
    for name in ("vendor", "site", "decision", "qa_decision"):
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(table.num_rows, pa.string()))
    return table.select(
        ["queue", "vendor", "site", "labeler_id", "item_id", "completed_at", "decision", "qa_decision"]
    )


def _queues(workspace: Workspace) -> tuple[pa.Table, pa.Table]:
    qs = workspace.queues
    queues = pa.table(
        {
            "queue": pa.array([q.id for q in qs], pa.string()),
            "vendor": pa.array([q.vendor for q in qs], pa.string()),
            "site": pa.array([q.site for q in qs], pa.string()),
            "target": pa.array([q.targets.quality for q in qs], pa.float64()),
        }
    )
    ranked = [(q.id, label, rank) for q in qs for rank, label in enumerate(q.labels)]
    ranks = pa.table(
        {
            "queue": pa.array([r[0] for r in ranked], pa.string()),
            "label": pa.array([r[1] for r in ranked], pa.string()),
            "rank": pa.array([r[2] for r in ranked], pa.int32()),
        }
    )
    return queues, ranks


def audited_connection(
    table: pa.Table,
    workspace: Workspace,
    scope: Scope,
    since: date,
    until: date,
    tz: str,
    *,
    with_items: bool = False,
) -> duckdb.DuckDBPyConnection:
    """A private DuckDB connection (safe in any thread) with the table `audited`: audited decisions of
    known queues in local days since..until of `tz`, each with its local ISO week (Monday), agreed,
    over/under direction and whether it is in scope; `with_items` adds item_id and completed_at."""
    start, end = period_us(since, until, tz)
    con = duckdb.connect()
    queues, ranks = _queues(workspace)
    con.register("decisions", _typed(table))
    con.register("queues", queues)
    con.register("ranks", ranks)
    in_scope = "TRUE" if scope.kind == "all" else f"{_SCOPE_COLUMN[scope.kind]} = $scope_id"
    rows = "d.item_id, d.completed_at, " if with_items else ""
    sql = AUDITED.format(none=NO_DECISION, in_scope=in_scope, rows=rows)
    params: dict[str, object] = {
        "start": datetime.fromtimestamp(start / 1e6, UTC),
        "end": datetime.fromtimestamp(end / 1e6, UTC),
        "tz": tz,
    }
    if scope.kind != "all":
        params["scope_id"] = scope.id
    con.execute(sql, params)
    return con


def analyse(
    table: pa.Table,
    workspace: Workspace,
    *,
    scope: Scope,
    since: date,
    until: date,
    tz: str,
    top: int = 5,
) -> QualityReport:
    """Everything in the report for `scope` over local days since..until (inclusive) in `tz`.

    Rows of queues missing from the workspace file are left out. Rows outside the scope are read only
    as the reference of the standout pairs (see `standouts`)."""
    overall = scope.id if scope.kind != "all" else "all"
    with audited_connection(table, workspace, scope, since, until, tz) as con:
        sql = _queries()
        groups = con.execute(sql["groups"], {"overall": overall}).df()
        pairs = con.execute(sql["pairs"], {"overall": overall}).df()
        weeks = con.execute(sql["weeks"], {"overall": overall}).df()
        cells = con.execute(sql["confusion"]).df()
        labelers = con.execute(sql["labelers"]).df()
        error_cells = con.execute(sql["error_cells"]).df()
        vendor_queues = con.execute(sql["vendor_queues"]).df()
    return QualityReport(
        scope=scope,
        since=since,
        until=until,
        timezone=tz,
        groups=_groups(groups, pairs, weeks, top, since, until),
        confusion=_confusion(cells, workspace),
        labelers=_labelers(labelers),
        standouts=standouts(error_cells, vendor_queues, workspace),
    )


def _queries() -> dict[str, str]:
    counts = (
        "count(*) AS audited, count(*) FILTER (WHERE agreed) AS agreed, "
        "count(*) FILTER (WHERE direction = 'over') AS over, "
        "count(*) FILTER (WHERE direction = 'under') AS under, "
        "count(*) FILTER (WHERE direction = 'unranked') AS unranked"
    )
    pair = ", decision, qa_decision"
    return {
        "groups": f"SELECT {_LEVEL}, {counts}, avg(target) AS target FROM audited WHERE in_scope "
        f"GROUP BY {_SETS.format('', '')}",
        "pairs": f"SELECT {_LEVEL}, decision, qa_decision, count(*) AS count, "
        "CASE WHEN min(direction) = max(direction) THEN min(direction) ELSE 'mixed' END AS direction "
        f"FROM audited WHERE in_scope AND NOT agreed GROUP BY {_SETS.format(pair, pair[2:])}",
        "weeks": f"SELECT {_LEVEL}, week, count(*) AS audited, count(*) FILTER (WHERE agreed) AS agreed "
        f"FROM audited WHERE in_scope GROUP BY {_SETS.format(', week', 'week')}",
        "confusion": "SELECT queue, decision, qa_decision, count(*) AS count FROM audited WHERE in_scope "
        "GROUP BY ALL",
        "labelers": "SELECT queue, vendor, site, labeler_id, count(*) AS audited, "
        "count(*) FILTER (WHERE NOT agreed) AS errors, any_value(target) AS target "
        "FROM audited WHERE in_scope GROUP BY queue, vendor, site, labeler_id",
        "error_cells": "SELECT vendor, queue, decision, qa_decision, any_value(direction) AS direction, "
        "count(*) AS errors, count(*) FILTER (WHERE in_scope) AS scope_errors "
        "FROM audited WHERE NOT agreed GROUP BY ALL",
        "vendor_queues": "SELECT vendor, queue, count(*) AS audited, "
        "count(*) FILTER (WHERE in_scope) AS scope_audited FROM audited GROUP BY ALL",
    }


_LEVEL_ORDER = {"queue": 0, "vendor": 1, "site": 2, OVERALL: 3}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _groups(
    groups: pd.DataFrame, pairs: pd.DataFrame, weeks: pd.DataFrame, top: int, since: date, until: date
) -> list[Group]:
    groups = groups[groups["audited"] > 0]  # the empty grand total of a period without audits
    groups = groups.assign(_order=groups["level"].map(_LEVEL_ORDER)).sort_values(["_order", "key"])
    low, high = wilson(groups["agreed"], groups["audited"])
    week_low, week_high = wilson(weeks["agreed"], weeks["audited"])
    weeks = weeks.assign(low=week_low, high=week_high).sort_values("week")
    pairs = pairs.sort_values(["count", "decision", "qa_decision"], ascending=[False, True, True])
    tops = {key: rows.head(top) for key, rows in pairs.groupby(["level", "key"], sort=False)}
    by_week = dict(iter(weeks.groupby(["level", "key"], sort=False)))
    result = []
    for row, lo, hi in zip(groups.itertuples(index=False), low, high, strict=True):
        audited, agreed = int(row.audited), int(row.agreed)
        errors = audited - agreed
        target = round(float(row.target), 9)  # a mean of equal targets carries float noise
        group_pairs = tops.get((row.level, row.key), pairs.iloc[:0])
        group_weeks = by_week.get((row.level, row.key), weeks.iloc[:0])
        result.append(
            Group(
                level=row.level,
                key=row.key,
                audited=audited,
                agreed=agreed,
                errors=errors,
                quality=agreed / audited,
                low=float(lo),
                high=float(hi),
                target=target,
                below_target=bool(hi < target),
                over=int(row.over),
                under=int(row.under),
                unranked=int(row.unranked),
                over_share=_share(int(row.over), errors),
                under_share=_share(int(row.under), errors),
                unranked_share=_share(int(row.unranked), errors),
                top_errors=[
                    ErrorPair(p.decision, p.qa_decision, int(p.count), int(p.count) / errors, p.direction)
                    for p in group_pairs.itertuples(index=False)
                ],
                weeks=[_week(w, since, until) for w in group_weeks.itertuples(index=False)],
            )
        )
    return result


def _week(row: object, since: date, until: date) -> Week:
    """A week whose seven days are not all in since..until is partial (the first and last may be)."""
    start = pd.Timestamp(row.week).date()  # type: ignore[attr-defined]
    year, number, _ = start.isocalendar()
    audited, agreed = int(row.audited), int(row.agreed)  # type: ignore[attr-defined]
    partial = start < since or start + timedelta(days=6) > until
    low, high = float(row.low), float(row.high)  # type: ignore[attr-defined]
    return Week(start, f"{year}-W{number:02d}", audited, agreed, agreed / audited, low, high, partial)


def label_order(workspace: Workspace, queue: str, seen: set[str]) -> list[str]:
    """The queue's labels least to most severe, then the other labels seen, alphabetically."""
    configured = next((q.labels for q in workspace.queues if q.id == queue), [])
    return [*configured, *sorted(seen - set(configured))]


def _confusion(cells: pd.DataFrame, workspace: Workspace) -> list[Confusion]:
    result = []
    for queue, rows in sorted(cells.groupby("queue"), key=lambda item: item[0]):
        labels = label_order(workspace, str(queue), set(rows["decision"]) | set(rows["qa_decision"]))
        grid = rows.pivot_table(index="decision", columns="qa_decision", values="count", aggfunc="sum")
        grid = grid.reindex(index=labels, columns=labels).fillna(0).astype("int64")
        result.append(Confusion(str(queue), labels, grid.to_numpy().tolist()))
    return result


def _labelers(frame: pd.DataFrame) -> list[LabelerQuality]:
    error_low, error_high = wilson(frame["errors"], frame["audited"])
    frame = frame.assign(
        error_rate=frame["errors"] / frame["audited"], error_low=error_low, error_high=error_high
    )
    # Wilson is symmetric: the quality interval is one minus the error interval, ends swapped.
    frame = frame.assign(quality_low=1 - frame["error_high"], quality_high=1 - frame["error_low"])
    flagged = (frame["quality_high"] < frame["target"]) & (frame["audited"] >= MIN_AUDITED_TO_FLAG)
    frame = frame.assign(flagged=flagged)
    frame = frame.sort_values(
        ["flagged", "error_low", "error_rate", "queue", "labeler_id"],
        ascending=[False, False, False, True, True],
    )
    return records(LabelerQuality, frame)


# ----- reading the rows -----


def _queues_sharing_labels(workspace: Workspace, queues: set[str]) -> set[str]:
    """The queues plus every queue with the same (non-empty) label list: the standouts' reference."""
    lists = {tuple(q.labels) for q in workspace.queues if q.id in queues and q.labels}
    return queues | {q.id for q in workspace.queues if tuple(q.labels) in lists}


async def load(db: Database, workspace: Workspace, since: date, until: date, scope: Scope) -> pa.Table:
    """Audited decisions of the period on the scope's queues and on the queues its standouts compare
    against (same queue, other vendors; queues with the same labels), as the table `analyse` reads."""
    start, end = period_us(since, until, workspace.timezone)
    audited = (Decision.completed_us >= start, Decision.completed_us < end, Decision.qa_decision.is_not(None))
    async with db.transaction() as session:
        wanted: list[str] | None = None
        if scope.kind != "all":
            column = getattr(Decision, scope.kind)
            found = await session.scalars(
                select(Decision.queue).distinct().where(*audited, column == scope.id)
            )
            wanted = sorted(_queues_sharing_labels(workspace, set(found)))
        return await audited_between(session, start, end, wanted)


async def report_for(
    db: Database,
    workspace: Workspace,
    scope: Scope,
    since: date,
    until: date,
    *,
    top: int = 5,
    clamped_from: date | None = None,
) -> tuple[QualityReport, pa.Table]:
    """Load and analyse, the analysis in a worker thread; the rows come back for the CSV export.
    `clamped_from`: the day asked for when `since` was moved to the first day still kept."""
    table = await load(db, workspace, since, until, scope)
    report = await asyncio.to_thread(
        analyse, table, workspace, scope=scope, since=since, until=until, tz=workspace.timezone, top=top
    )
    return replace(report, clamped_from=clamped_from), table
