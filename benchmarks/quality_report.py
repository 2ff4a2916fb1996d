"""The error analysis (`handlers.quality.analysis.analyse`) against the same computation written directly
in DuckDB SQL, on the same Arrow table in the same process.

Data: 5,000,000 synthetic decisions (about 90 days of the example workspace), 15% audited; hate-en is
shared with a second vendor (its labelers whose id ends in 1 or 2 work for Bluebird in Nairobi) so both
standout references are exercised. Both sides compute quality per queue/vendor/site/overall with 95%
Wilson intervals, over/under/unranked counts, the top five error pairs, the weekly trend, the confusion
cells, per-labeler error rates and flags, and the standout pairs; every number is compared. Runs
alternate, best of `--runs`. Target: analyse <= 1.5x the SQL.

    python benchmarks/quality_report.py [--rows 5000000] [--runs 3] [--data PATH]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402

from bot.workspace import Workspace, load_workspace  # noqa: E402
from handlers.quality.analysis import MIN_AUDITED_TO_FLAG, analyse  # noqa: E402
from handlers.quality.scope import Scope, period_us  # noqa: E402
from handlers.quality.standouts import MIN_ERRORS  # noqa: E402

AUDITED = 0.15
START = date(2025, 1, 6)
DAYS = 90
TOP = 5
Z = 1.959963984540054
PARTS = (
    "groups",
    "pairs",
    "weeks",
    "confusion",
    "labelers",
    "standouts",
)  # what both sides report  # the 97.5% normal quantile, as statsmodels uses for alpha 0.05


def make_data(path: Path, rows: int, ws: Workspace, seed: int) -> None:
    import handlers.queue_data.generate as generate

    generate.AUDIT_SHARE = AUDITED  # the generator's audit share is a module constant
    path.parent.mkdir(parents=True, exist_ok=True)
    generate.write_decisions_csv(path, rows, ws, seed, start=START, days=DAYS, vendor_site=True)


def read(path: Path, ws: Workspace) -> pa.Table:
    from handlers.queue_data.frames import read_decisions

    table = read_decisions(path, ws.timezone)
    labeler = table["labeler_id"]
    shared = pc.and_(
        pc.equal(table["queue"], "hate-en"), pc.match_substring_regex(labeler, "[12]$")
    )  # a second vendor on one queue
    table = table.set_column(
        table.column_names.index("vendor"), "vendor", pc.if_else(shared, "bluebird", table["vendor"])
    )
    return table.set_column(
        table.column_names.index("site"), "site", pc.if_else(shared, "nairobi", table["site"])
    )


# ----- the bot's side -----


def bot_side(table: pa.Table, ws: Workspace, since: date, until: date) -> dict[str, Any]:
    report = analyse(table, ws, scope=Scope(), since=since, until=until, tz=ws.timezone, top=TOP)
    out: dict[str, Any] = {part: {} for part in PARTS}
    for g in report.groups:
        key = (g.level, g.key)
        out["groups"][key] = (g.audited, g.agreed, g.over, g.under, g.unranked, g.low, g.high, g.target)
        out["pairs"][key] = [(p.decision, p.qa_decision, p.count) for p in g.top_errors]
        for w in g.weeks:
            out["weeks"][(*key, w.start)] = (w.audited, w.agreed, w.low, w.high)
    for c in report.confusion:
        for i, decision in enumerate(c.labels):
            for j, qa in enumerate(c.labels):
                if c.counts[i][j]:
                    out["confusion"][(c.queue, decision, qa)] = c.counts[i][j]
    for lab in report.labelers:
        out["labelers"][(lab.queue, lab.vendor, lab.site, lab.labeler_id)] = (
            lab.audited, lab.errors, lab.error_low, lab.error_high, lab.flagged,
        )  # fmt: skip
    for s in report.standouts:
        out["standouts"][(s.vendor, s.queue, s.decision, s.qa_decision)] = (
            s.errors, s.audited, s.reference_errors, s.reference_audited, s.low, s.reference_high,
            s.reference_vendors,
        )  # fmt: skip
    return out


# ----- the reference: DuckDB SQL only -----

SQL_SETUP = f"""
CREATE MACRO wilson_low(k, n) AS
    (k / n + {Z}^2 / (2 * n) - {Z} * sqrt(k / n * (1 - k / n) / n + {Z}^2 / (4 * n * n))) / (1 + {Z}^2 / n);
CREATE MACRO wilson_high(k, n) AS
    (k / n + {Z}^2 / (2 * n) + {Z} * sqrt(k / n * (1 - k / n) / n + {Z}^2 / (4 * n * n))) / (1 + {Z}^2 / n);
CREATE TEMP TABLE base AS
SELECT d.queue, d.vendor, d.site, d.labeler_id, coalesce(d.decision, '(none)') AS decision, d.qa_decision,
       q.target, d.decision IS NOT DISTINCT FROM d.qa_decision AS agreed,
       CAST(date_trunc('week', timezone($tz, d.completed_at)) AS DATE) AS week,
       CASE WHEN d.decision IS NOT DISTINCT FROM d.qa_decision THEN NULL
            WHEN a.rank IS NULL OR b.rank IS NULL THEN 'unranked'
            WHEN a.rank > b.rank THEN 'over' ELSE 'under' END AS direction
FROM decisions d JOIN queues q ON q.queue = d.queue
LEFT JOIN ranks a ON a.queue = d.queue AND a.label = d.decision
LEFT JOIN ranks b ON b.queue = d.queue AND b.label = d.qa_decision
WHERE d.qa_decision <> '' AND epoch_us(d.completed_at) >= $start AND epoch_us(d.completed_at) < $end;
"""
LEVELS = """CASE WHEN grouping(queue) = 0 THEN 'queue' WHEN grouping(vendor) = 0 THEN 'vendor'
    WHEN grouping(site) = 0 THEN 'site' ELSE 'overall' END AS level,
    coalesce(queue, vendor, site, 'all') AS key"""
SQL = {
    "groups": f"""
        SELECT {LEVELS}, count(*) AS n, count(*) FILTER (agreed) AS k,
               count(*) FILTER (direction = 'over'), count(*) FILTER (direction = 'under'),
               count(*) FILTER (direction = 'unranked'), wilson_low(k, n), wilson_high(k, n),
               round(avg(target), 9)
        FROM base GROUP BY GROUPING SETS ((queue), (vendor), (site), ())""",
    "pairs": f"""
        SELECT {LEVELS}, decision, qa_decision, count(*) AS n FROM base WHERE NOT agreed
        GROUP BY GROUPING SETS ((queue, decision, qa_decision), (vendor, decision, qa_decision),
                               (site, decision, qa_decision), (decision, qa_decision))
        QUALIFY row_number() OVER (PARTITION BY level, key ORDER BY n DESC, decision, qa_decision) <= {TOP}
        ORDER BY level, key, n DESC, decision, qa_decision""",
    "weeks": f"""
        SELECT {LEVELS}, week, count(*) AS n, count(*) FILTER (agreed) AS k,
               wilson_low(k, n), wilson_high(k, n)
        FROM base GROUP BY GROUPING SETS ((queue, week), (vendor, week), (site, week), (week))""",
    "confusion": "SELECT queue, decision, qa_decision, count(*) FROM base GROUP BY ALL",
    "labelers": f"""
        SELECT queue, vendor, site, labeler_id, count(*) AS n, count(*) FILTER (NOT agreed) AS e,
               wilson_low(e, n), wilson_high(e, n),
               1 - wilson_low(e, n) < any_value(target) AND n >= {MIN_AUDITED_TO_FLAG}
        FROM base GROUP BY queue, vendor, site, labeler_id""",
    "standouts": f"""
        WITH cells AS (SELECT vendor, queue, decision, qa_decision, count(*) AS e FROM base WHERE NOT agreed
                       GROUP BY ALL),
             vq AS (SELECT vendor, queue, count(*) AS n FROM base GROUP BY ALL),
             qn AS (SELECT queue, sum(n) AS n, count(*) AS vendors FROM vq GROUP BY queue),
             qe AS (SELECT queue, decision, qa_decision, sum(e) AS e FROM cells GROUP BY ALL),
             ln AS (SELECT l.labels, sum(v.n) AS n, count(DISTINCT v.vendor) AS vendors
                    FROM vq v JOIN label_lists l USING (queue) GROUP BY ALL),
             lvn AS (SELECT l.labels, v.vendor, sum(v.n) AS n FROM vq v JOIN label_lists l USING (queue)
                     GROUP BY ALL),
             le AS (SELECT l.labels, decision, qa_decision, sum(e) AS e
                    FROM qe JOIN label_lists l USING (queue) GROUP BY ALL),
             lve AS (SELECT l.labels, c.vendor, decision, qa_decision, sum(c.e) AS e
                     FROM cells c JOIN label_lists l USING (queue) GROUP BY ALL),
             cand AS (
                SELECT c.vendor, c.queue, c.decision, c.qa_decision, c.e, v.n,
                       CASE WHEN qn.vendors = 1 THEN le.e - coalesce(lve.e, 0) ELSE qe.e - c.e END AS re,
                       CASE WHEN qn.vendors = 1 THEN ln.n - lvn.n ELSE qn.n - v.n END AS rn,
                       CASE WHEN qn.vendors = 1 THEN ln.vendors - 1 ELSE qn.vendors - 1 END AS rv
                FROM cells c JOIN vq v USING (vendor, queue) JOIN qn USING (queue)
                JOIN qe USING (queue, decision, qa_decision)
                LEFT JOIN label_lists l USING (queue) LEFT JOIN ln ON ln.labels = l.labels
                LEFT JOIN lvn ON lvn.labels = l.labels AND lvn.vendor = c.vendor
                LEFT JOIN le ON le.labels = l.labels AND le.decision = c.decision
                    AND le.qa_decision = c.qa_decision
                LEFT JOIN lve ON lve.labels = l.labels AND lve.vendor = c.vendor
                    AND lve.decision = c.decision AND lve.qa_decision = c.qa_decision
                WHERE c.e >= {MIN_ERRORS})
        SELECT vendor, queue, decision, qa_decision, e, n, coalesce(re, 0), rn, wilson_low(e, n),
               wilson_high(coalesce(re, 0), rn), rv
        FROM cand WHERE rn > 0 AND wilson_low(e, n) > wilson_high(coalesce(re, 0), rn)""",
}


def duckdb_side(table: pa.Table, ws: Workspace, since: date, until: date) -> dict[str, Any]:
    start, end = period_us(since, until, ws.timezone)
    with duckdb.connect() as con:
        con.register("decisions", table)
        con.register(
            "queues",
            pa.table({"queue": [q.id for q in ws.queues], "target": [q.targets.quality for q in ws.queues]}),
        )
        ranked = [(q.id, label, i) for q in ws.queues for i, label in enumerate(q.labels)]
        con.register(
            "ranks", pa.table({k: [r[i] for r in ranked] for i, k in enumerate(("queue", "label", "rank"))})
        )
        lists = [(q.id, "\x1f".join(q.labels)) for q in ws.queues if q.labels]
        con.register(
            "label_lists", pa.table({"queue": [q for q, _ in lists], "labels": [s for _, s in lists]})
        )
        for statement in SQL_SETUP.strip().split(";\n"):
            if statement.strip():
                params = {"tz": ws.timezone, "start": start, "end": end} if "$tz" in statement else None
                con.execute(statement, params)
        rows = {name: con.execute(query).fetchall() for name, query in SQL.items()}
    out: dict[str, Any] = {part: {} for part in PARTS}
    for level, key, *values in rows["groups"]:
        if values[0]:
            out["groups"][(level, key)] = tuple(values)
    for level, key, decision, qa, n in rows["pairs"]:
        out["pairs"].setdefault((level, key), []).append((decision, qa, n))
    for level, key, week, *values in rows["weeks"]:
        out["weeks"][(level, key, week)] = tuple(values)
    out["confusion"] = {tuple(r[:3]): r[3] for r in rows["confusion"]}
    out["labelers"] = {tuple(r[:4]): tuple(r[4:]) for r in rows["labelers"]}
    out["standouts"] = {tuple(r[:4]): tuple(r[4:]) for r in rows["standouts"]}
    for key in out["groups"]:
        out["pairs"].setdefault(key, [])
    return out


def compare(bot: dict[str, Any], ref: dict[str, Any]) -> list[str]:
    problems = []
    for part in bot:
        a, b = bot[part], ref[part]
        for key in sorted(set(a) ^ set(b), key=str)[:5]:
            problems.append(f"{part}: {key} only in {'bot' if key in a else 'duckdb'}")
        for key in set(a) & set(b):
            x, y = a[key], b[key]
            flat_x = (
                [v for item in x for v in item] if part == "pairs" else x if isinstance(x, tuple) else (x,)
            )
            flat_y = (
                [v for item in y for v in item] if part == "pairs" else y if isinstance(y, tuple) else (y,)
            )
            same = len(flat_x) == len(flat_y) and all(
                math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-12)
                if isinstance(u, float) or isinstance(v, float)
                else u == v
                for u, v in zip(flat_x, flat_y, strict=False)
            )
            if not same:
                problems.append(f"{part} {key}: bot {x} != duckdb {y}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--workspace", type=Path, default=ROOT / "examples" / "workspace.yml")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    ws = load_workspace(args.workspace)
    data = args.data or ROOT / "benchmarks" / "data" / f"decisions-quality-{args.rows}.csv"
    if not data.exists():
        print(f"generating {args.rows:,} decisions, {AUDITED:.0%} audited, into {data} ...", flush=True)
        make_data(data, args.rows, ws, args.seed)
    started = time.perf_counter()
    table = read(data, ws)
    audited = pc.sum(pc.is_valid(table["qa_decision"])).as_py()
    took = time.perf_counter() - started
    print(f"data: {table.num_rows:,} decisions, {audited:,} audited; read in {took:.1f} s")
    since, until = START, START + timedelta(days=DAYS)
    best: dict[str, float] = {}
    results: dict[str, Any] = {}
    sides = {"analyse": bot_side, "duckdb": duckdb_side}
    for run in range(1, args.runs + 1):
        line = []
        for name in ("analyse", "duckdb") if run % 2 else ("duckdb", "analyse"):
            begin = time.perf_counter()
            results[name] = sides[name](table, ws, since, until)
            seconds = time.perf_counter() - begin
            best[name] = min(best.get(name, seconds), seconds)
            line.append(f"{name} {seconds:.3f} s")
        print(f"run {run}: " + ", ".join(line), flush=True)
    ratio = best["analyse"] / best["duckdb"]
    print(f"analyse best {best['analyse']:.3f} s; duckdb SQL best {best['duckdb']:.3f} s")
    print(f"ratio analyse/duckdb {ratio:.2f} (target <= 1.5: {'ok' if ratio <= 1.5 else 'MISSED'})")
    problems = compare(results["analyse"], results["duckdb"])
    for problem in problems[:20]:
        print("MISMATCH", problem)
    sizes = ", ".join(f"{len(v)} {k}" for k, v in results["analyse"].items())
    print(f"check: {sizes}; {len(problems)} mismatches")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
