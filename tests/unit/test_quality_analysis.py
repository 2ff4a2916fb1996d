"""The error analysis: every figure against an independent pandas computation on seeded data, the Wilson
interval against Newcombe's published values, the label order, flags, standouts, CSV, charts and `load`."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from bot.workspace import Workspace
from handlers.quality.analysis import MIN_AUDITED_TO_FLAG, NO_DECISION, analyse, load
from handlers.quality.charts import confusion_chart, trend_chart
from handlers.quality.export import errors_csv
from handlers.quality.scope import Scope, period_us
from handlers.quality.standouts import MIN_ERRORS, OTHER_VENDORS, SAME_LABELS
from handlers.quality.wilson import wilson
from handlers.queue_data.frames import read_decisions
from handlers.queue_data.generate import generate_decisions
from storage.engine import Database
from storage.queue_data import audited_between, decisions_between, store_decisions

TZ = "Europe/Dublin"
SINCE, UNTIL = date(2026, 10, 5), date(2026, 11, 1)  # four ISO weeks, across the end of summer time
Z = 1.959963984540054


def typed(frame: pd.DataFrame) -> pa.Table:
    """Through the file reader, as ingested decisions are typed."""
    buffer = io.BytesIO()
    frame.to_csv(buffer, index=False)
    buffer.seek(0)
    return read_decisions(buffer, TZ)


def hand_wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson (1927) score interval written out, independent of statsmodels."""
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return centre - half, centre + half


def crafted(
    queue: str,
    vendor: str,
    site: str,
    labeler: str,
    pairs: list[tuple[str | None, str | None, int]],
    day: date,
) -> list[dict]:
    """Rows of one labeler: `count` decisions for each (decision, QA decision) on a local day."""
    rows, start = [], datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    for decision, qa, count in pairs:
        for _ in range(count):
            at = start + timedelta(seconds=len(rows) * 7)
            rows.append(
                {
                    "item_id": f"{queue}-{labeler}-{decision}-{qa}-{len(rows)}",
                    "queue": queue,
                    "vendor": vendor,
                    "site": site,
                    "labeler_id": labeler,
                    "enqueued_at": (at - timedelta(minutes=30)).isoformat(),
                    "completed_at": at.isoformat(),
                    "handle_seconds": 30.0,
                    "decision": decision,
                    "qa_decision": qa,
                }
            )
    return rows


@pytest.fixture
def frame(workspace: Workspace) -> pd.DataFrame:
    """Six weeks of generated decisions with unranked labels, missing decisions and an unknown queue."""
    generated = generate_decisions(workspace, date(2026, 9, 28), 42, seed=7, scale=0.3)
    extra = [
        *crafted(
            "hate-en", "northwind", "lisbon", "nr-9001", [("hold", "allow", 6), ("allow", "hold", 3)], SINCE
        ),
        *crafted("spam-pt", "northwind", "manila", "nr-9002", [(None, "remove", 4)], date(2026, 10, 20)),
        *crafted("ghost-q", "northwind", "lisbon", "nr-9003", [("allow", "remove", 9)], date(2026, 10, 20)),
    ]
    return pd.concat([generated, pd.DataFrame(extra)], ignore_index=True)


def reference(frame: pd.DataFrame, workspace: Workspace, column: str | None = None, key: str | None = None):
    """The audited rows of the period in pandas, with agreed, direction, local week and in-scope flag."""
    f = frame.copy()
    local = pd.to_datetime(f["completed_at"], utc=True, format="ISO8601").dt.tz_convert(TZ)
    day = local.dt.date
    known = {q.id for q in workspace.queues}
    keep = f["qa_decision"].notna() & (f["qa_decision"] != "") & f["queue"].isin(known)
    keep &= (day >= SINCE) & (day <= UNTIL)
    f = f[keep].copy()
    f["day"] = day[keep]
    f["week"] = [d - timedelta(days=d.weekday()) for d in f["day"]]
    f["decision"] = f["decision"].fillna(NO_DECISION)
    f["agreed"] = f["decision"] == f["qa_decision"]
    rank = {(q.id, label): i for q in workspace.queues for i, label in enumerate(q.labels)}
    directions = []
    for queue, decision, qa, agreed in zip(
        f["queue"], f["decision"], f["qa_decision"], f["agreed"], strict=True
    ):
        d, r = rank.get((queue, decision)), rank.get((queue, qa))
        directions.append(
            None if agreed else "unranked" if d is None or r is None else "over" if d > r else "under"
        )
    f["direction"] = directions
    f["target"] = f["queue"].map({q.id: q.targets.quality for q in workspace.queues})
    f["in_scope"] = True if column is None else f[column] == key
    return f


def test_wilson_matches_newcombe_1998_worked_examples() -> None:
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table II, method 3 (score interval, no correction).
    published = {
        (81, 263): (0.2553, 0.3662),
        (15, 148): (0.0624, 0.1605),
        (0, 20): (0.0, 0.1611),
        (1, 29): (0.0061, 0.1718),
    }
    low, high = wilson([k for k, _ in published], [n for _, n in published])
    for (lo, hi), (want_lo, want_hi) in zip(zip(low, high, strict=True), published.values(), strict=True):
        assert (round(lo, 4), round(hi, 4)) == (want_lo, want_hi)
    nothing = wilson([0], [0])
    assert math.isnan(nothing[0][0]) and math.isnan(nothing[1][0])


def test_every_figure_matches_pandas(frame: pd.DataFrame, workspace: Workspace) -> None:
    report = analyse(typed(frame), workspace, scope=Scope(), since=SINCE, until=UNTIL, tz=TZ)
    f = reference(frame, workspace)
    assert len(f) > 1000 and not (set(f["queue"]) - {q.id for q in workspace.queues})
    for level in ("queue", "vendor", "site", "overall"):
        grouped = f.assign(overall="all").groupby(level)
        for key, rows in grouped:
            group = report.group(level, str(key))
            assert group is not None, (level, key)
            audited, agreed = len(rows), int(rows["agreed"].sum())
            errors = rows[~rows["agreed"]]
            lo, hi = hand_wilson(agreed, audited)
            assert (group.audited, group.agreed, group.errors) == (audited, agreed, audited - agreed)
            assert group.quality == pytest.approx(agreed / audited)
            assert (group.low, group.high) == (pytest.approx(lo, abs=1e-12), pytest.approx(hi, abs=1e-12))
            target = rows["target"].mean()
            assert group.target == pytest.approx(target) and group.below_target == (hi < target)
            counts = errors["direction"].value_counts()
            assert (group.over, group.under, group.unranked) == tuple(
                int(counts.get(d, 0)) for d in ("over", "under", "unranked")
            )
            assert group.over_share == pytest.approx(counts.get("over", 0) / len(errors))
            pairs = errors.groupby(["decision", "qa_decision"]).size().reset_index(name="count")
            pairs = pairs.sort_values(
                ["count", "decision", "qa_decision"], ascending=[False, True, True]
            ).head(5)
            assert [(p.decision, p.qa_decision, p.count) for p in group.top_errors] == [
                tuple(p) for p in pairs.itertuples(index=False)
            ]
            assert [p.share for p in group.top_errors] == pytest.approx(list(pairs["count"] / len(errors)))
            weeks = rows.groupby("week")["agreed"].agg(["size", "sum"])
            assert [(w.start, w.audited, w.agreed) for w in group.weeks] == [
                (start, int(size), int(total)) for start, size, total in weeks.itertuples()
            ]
            assert [(w.low, w.high) for w in group.weeks] == [
                pytest.approx(hand_wilson(int(t), int(s)), abs=1e-12) for _, s, t in weeks.itertuples()
            ]
    assert [g.weeks[0].iso_week for g in report.groups][:1] == ["2026-W41"]
    assert len(report.overall.weeks) == 4  # type: ignore[union-attr]
    # The unranked label and the missing decision are counted, the unknown queue and unaudited rows not.
    assert report.group("queue", "hate-en").unranked == 9  # type: ignore[union-attr]
    for confusion in report.confusion:
        rows = f[f["queue"] == confusion.queue]
        table = pd.crosstab(rows["decision"], rows["qa_decision"])
        table = table.reindex(index=confusion.labels, columns=confusion.labels, fill_value=0)
        assert confusion.counts == table.to_numpy().tolist()
        assert set(confusion.labels) == set(rows["decision"]) | set(rows["qa_decision"])
    assert report.confusion[0].queue == "graphic-img"
    hate = next(c for c in report.confusion if c.queue == "hate-en")
    assert hate.labels == ["allow", "age_restrict", "remove", "escalate", "hold"]
    spam = next(c for c in report.confusion if c.queue == "spam-pt")
    assert spam.labels[-1] == NO_DECISION
    per_labeler = f.groupby(["queue", "vendor", "site", "labeler_id"])["agreed"].agg(["size", "sum"])
    assert len(report.labelers) == len(per_labeler)
    for labeler in report.labelers:
        size, agreed = per_labeler.loc[(labeler.queue, labeler.vendor, labeler.site, labeler.labeler_id)]
        lo, hi = hand_wilson(int(agreed), int(size))
        assert (labeler.audited, labeler.errors) == (size, size - agreed)
        assert (labeler.quality_low, labeler.quality_high) == (pytest.approx(lo), pytest.approx(hi))
        assert (labeler.error_low, labeler.error_high) == (pytest.approx(1 - hi), pytest.approx(1 - lo))
        assert labeler.flagged == (hi < labeler.target and size >= MIN_AUDITED_TO_FLAG)
    order = [(not lab.flagged, -lab.error_low) for lab in report.labelers]
    assert order == sorted(order)


def test_scope_limits_every_figure_but_not_the_reference(frame: pd.DataFrame, workspace: Workspace) -> None:
    table = typed(frame)
    report = analyse(table, workspace, scope=Scope("vendor", "northwind"), since=SINCE, until=UNTIL, tz=TZ)
    f = reference(frame, workspace, "vendor", "northwind")
    assert {(g.level, g.key) for g in report.groups} == {
        ("queue", "hate-en"), ("queue", "spam-pt"), ("vendor", "northwind"), ("site", "lisbon"),
        ("site", "manila"), ("overall", "northwind"),
    }  # fmt: skip
    assert report.overall.audited == int(f["in_scope"].sum())  # type: ignore[union-attr]
    assert {c.queue for c in report.confusion} == {"hate-en", "spam-pt"}
    assert {lab.vendor for lab in report.labelers} == {"northwind"}
    site = analyse(table, workspace, scope=Scope("site", "manila"), since=SINCE, until=UNTIL, tz=TZ)
    assert site.overall.audited == report.group("site", "manila").audited  # type: ignore[union-attr]


def test_label_order_decides_over_and_under(workspace: Workspace) -> None:
    queues = [
        q.model_copy(update={"labels": list(reversed(q.labels))}) if q.id == "spam-pt" else q
        for q in workspace.queues
    ]
    ws = workspace.model_copy(update={"queues": queues})
    day = date(2026, 10, 14)
    pairs = [
        ("allow", "remove", 3),
        ("escalate", "age_restrict", 2),
        ("allow", "maybe", 1),
        ("remove", "remove", 4),
    ]
    rows = crafted("hate-en", "northwind", "lisbon", "nr-1", pairs, day) + crafted(
        "spam-pt", "northwind", "manila", "nr-2", pairs, day
    )
    report = analyse(typed(pd.DataFrame(rows)), ws, scope=Scope(), since=SINCE, until=UNTIL, tz=TZ)
    hate, spam = report.group("queue", "hate-en"), report.group("queue", "spam-pt")
    assert (hate.over, hate.under, hate.unranked) == (2, 3, 1)  # type: ignore[union-attr]
    assert (spam.over, spam.under, spam.unranked) == (3, 2, 1)  # type: ignore[union-attr]
    assert hate.over_share == pytest.approx(2 / 6) and hate.under_share == pytest.approx(3 / 6)  # type: ignore[union-attr]
    assert {p.decision: p.direction for p in hate.top_errors} == {"allow": "under", "escalate": "over"} | {  # type: ignore[union-attr]
        p.decision: p.direction
        for p in hate.top_errors
        if p.qa_decision == "maybe"  # type: ignore[union-attr]
    }
    assert next(p for p in hate.top_errors if p.qa_decision == "maybe").direction == "unranked"  # type: ignore[union-attr]
    spam_matrix = next(c for c in report.confusion if c.queue == "spam-pt")
    assert spam_matrix.labels == ["escalate", "remove", "age_restrict", "allow", "maybe"]
    # The vendor rolls up both queues: the same pair is under on one and over on the other.
    vendor = report.group("vendor", "northwind")
    assert (
        next(p for p in vendor.top_errors if p.decision == "allow" and p.qa_decision == "remove").direction
        == "mixed"
    )  # type: ignore[union-attr]


def test_five_audits_never_flag_and_many_clearly_below_do(workspace: Workspace) -> None:
    day = date(2026, 10, 13)
    rows = [
        *crafted(
            "hate-en", "northwind", "lisbon", "nr-few", [("allow", "remove", 3), ("allow", "allow", 2)], day
        ),
        *crafted(
            "hate-en",
            "northwind",
            "lisbon",
            "nr-many",
            [("allow", "remove", 60), ("allow", "allow", 140)],
            day,
        ),
        *crafted(
            "hate-en",
            "northwind",
            "lisbon",
            "nr-good",
            [("allow", "remove", 4), ("allow", "allow", 196)],
            day,
        ),
        *crafted(
            "hate-en", "northwind", "lisbon", "nr-near", [("allow", "remove", 2), ("allow", "allow", 18)], day
        ),
    ]
    report = analyse(typed(pd.DataFrame(rows)), workspace, scope=Scope(), since=SINCE, until=UNTIL, tz=TZ)
    by_id = {lab.labeler_id: lab for lab in report.labelers}
    few = by_id["nr-few"]
    assert few.quality_high < few.target and not few.flagged  # Wilson alone is not enough on five
    assert by_id["nr-many"].flagged and by_id["nr-many"].quality_high < 0.92
    assert not by_id["nr-good"].flagged and not by_id["nr-near"].flagged  # 18/20: interval reaches 0.92+
    assert report.labelers[0].labeler_id == "nr-many"
    assert by_id["nr-many"].error_rate == pytest.approx(0.3)


def _standout_rows() -> list[dict]:
    """hate-en worked by two vendors: Northwind says allow where QA says remove far more often; both
    say remove where QA says allow equally often. graphic-img has one vendor only."""
    day = date(2026, 10, 21)
    return [
        *crafted(
            "hate-en",
            "northwind",
            "lisbon",
            "nr-1",
            [("allow", "remove", 30), ("remove", "allow", 9), ("allow", "allow", 261)],
            day,
        ),
        *crafted(
            "hate-en",
            "bluebird",
            "nairobi",
            "bl-1",
            [("allow", "remove", 3), ("remove", "allow", 9), ("allow", "allow", 288)],
            day,
        ),
        *crafted(
            "hate-en",
            "bluebird",
            "nairobi",
            "bl-2",
            [("age_restrict", "allow", 4), ("allow", "allow", 10)],
            day,
        ),
        *crafted(
            "spam-pt",
            "northwind",
            "manila",
            "nr-2",
            [("escalate", "remove", 1), ("allow", "allow", 399)],
            day,
        ),
        *crafted(
            "graphic-img",
            "bluebird",
            "nairobi",
            "bl-3",
            [("escalate", "remove", 12), ("allow", "allow", 188)],
            day,
        ),
    ]


def test_standout_pairs_against_other_vendors_and_same_labels(workspace: Workspace) -> None:
    report = analyse(
        typed(pd.DataFrame(_standout_rows())), workspace, scope=Scope(), since=SINCE, until=UNTIL, tz=TZ
    )
    found = {(s.vendor, s.queue, s.decision, s.qa_decision): s for s in report.standouts}
    assert set(found) == {
        ("northwind", "hate-en", "allow", "remove"),
        ("bluebird", "graphic-img", "escalate", "remove"),
    }
    pair = found[("northwind", "hate-en", "allow", "remove")]
    assert (pair.errors, pair.audited, pair.reference, pair.direction) == (30, 300, OTHER_VENDORS, "under")
    assert (pair.reference_errors, pair.reference_audited) == (3, 314)  # bluebird's rows on hate-en
    lo, hi = hand_wilson(30, 300)
    ref_lo, ref_hi = hand_wilson(3, 314)
    assert (pair.low, pair.high, pair.reference_low, pair.reference_high) == pytest.approx(
        (lo, hi, ref_lo, ref_hi)
    )
    assert pair.low > pair.reference_high
    assert pair.reference_vendors == 1
    single = found[("bluebird", "graphic-img", "escalate", "remove")]
    # One vendor on graphic-img: the other vendors' decisions on the queues with the same labels
    # (northwind's on hate-en and spam-pt), never bluebird's own 314 on hate-en.
    assert (single.reference, single.reference_errors, single.reference_audited) == (
        SAME_LABELS,
        1,
        300 + 400,
    )
    assert single.reference_vendors == 1  # northwind alone: its rate, so vendor leads do not see it
    assert single.direction == "over"
    # Equal rates (remove -> allow, 9 of 300 each) and too few errors (4 < MIN_ERRORS) never stand out.
    assert ("bluebird", "hate-en", "age_restrict", "allow") not in found and MIN_ERRORS == 5
    assert not any(s.decision == "remove" and s.qa_decision == "allow" for s in report.standouts)
    # A vendor's scope keeps the others as the reference.
    scoped = analyse(
        typed(pd.DataFrame(_standout_rows())),
        workspace,
        scope=Scope("vendor", "northwind"),
        since=SINCE,
        until=UNTIL,
        tz=TZ,
    )
    assert [(s.vendor, s.queue, s.reference_errors) for s in scoped.standouts] == [
        ("northwind", "hate-en", 3)
    ]


def pandas_standouts(f: pd.DataFrame, workspace: Workspace) -> dict[tuple, tuple]:
    """Standouts written out row by row from their definition: the same queue's other vendors, or (one
    vendor on the queue) the other vendors' rows on the queues with the same label list."""
    lists = {q.id: tuple(q.labels) for q in workspace.queues if q.labels}
    f = f.assign(labels=f["queue"].map(lists))
    found = {}
    errors = f[~f["agreed"] & f["in_scope"]]
    for (vendor, queue, decision, qa), rows in errors.groupby(["vendor", "queue", "decision", "qa_decision"]):
        if len(rows) < MIN_ERRORS:
            continue
        n = int((f["in_scope"] & (f["vendor"] == vendor) & (f["queue"] == queue)).sum())
        if f.loc[f["queue"] == queue, "vendor"].nunique() > 1:
            kind, ref = OTHER_VENDORS, f[(f["queue"] == queue) & (f["vendor"] != vendor)]
        elif queue in lists:
            kind, ref = SAME_LABELS, f[(f["labels"] == lists[queue]) & (f["vendor"] != vendor)]
        else:
            continue
        if ref.empty:
            continue
        ref_errors = int(((ref["decision"] == decision) & (ref["qa_decision"] == qa)).sum())
        low, ref_high = hand_wilson(len(rows), n)[0], hand_wilson(ref_errors, len(ref))[1]
        if low > ref_high:
            key = (vendor, queue, decision, qa)
            found[key] = (len(rows), n, kind, ref_errors, len(ref), ref["vendor"].nunique())
    return found


def _as_found(report) -> dict[tuple, tuple]:
    return {
        (s.vendor, s.queue, s.decision, s.qa_decision): (
            s.errors, s.audited, s.reference, s.reference_errors, s.reference_audited, s.reference_vendors
        )
        for s in report.standouts
    }  # fmt: skip


def test_standouts_match_pandas_and_never_pool_the_vendors_own_queues(
    frame: pd.DataFrame, workspace: Workspace
) -> None:
    """On the generated data and on crafted rows where a third vendor shares hate-en, so graphic-img's
    "same labels" reference pools two vendors, and bluebird's own hate-en rows are left out of it."""
    rows = pd.DataFrame(_standout_rows())
    pairs = [("escalate", "remove", 2), ("allow", "allow", 98)]
    cedar = crafted("hate-en", "cedar", "nairobi", "cd-1", pairs, date(2026, 10, 22))
    cases = [
        (frame, None, None),
        (frame, "vendor", "northwind"),
        (rows, None, None),
        (pd.concat([rows, pd.DataFrame(cedar)], ignore_index=True), None, None),
        (pd.concat([rows, pd.DataFrame(cedar)], ignore_index=True), "vendor", "bluebird"),
    ]
    for data, column, key in cases:
        scope = Scope() if column is None else Scope(column, key)  # type: ignore[arg-type]
        report = analyse(typed(data), workspace, scope=scope, since=SINCE, until=UNTIL, tz=TZ)
        assert _as_found(report) == pandas_standouts(reference(data, workspace, column, key), workspace)
    single = _as_found(report)[("bluebird", "graphic-img", "escalate", "remove")]
    # northwind's 700 and cedar's 100 on the same labels; bluebird's own 314 on hate-en are not pooled.
    assert single == (12, 200, SAME_LABELS, 1 + 2, 700 + 100, 2)


def test_the_first_and_last_weeks_are_marked_partial(frame: pd.DataFrame, workspace: Workspace) -> None:
    """A period from a Wednesday to a Thursday: its first and last ISO weeks hold fewer days, and chat
    and JSON say so; a period of whole weeks has none."""
    from handlers.quality.views import quality_message

    whole = analyse(typed(frame), workspace, scope=Scope(), since=SINCE, until=UNTIL, tz=TZ)
    assert not any(w.partial for g in whole.groups for w in g.weeks)
    since, until = date(2026, 10, 7), date(2026, 10, 29)  # Wednesday of W41 to Thursday of W44
    report = analyse(typed(frame), workspace, scope=Scope(), since=since, until=until, tz=TZ)
    weeks = report.overall.weeks  # type: ignore[union-attr]
    assert [(w.iso_week, w.partial) for w in weeks] == [
        ("2026-W41", True), ("2026-W42", False), ("2026-W43", False), ("2026-W44", True),
    ]  # fmt: skip
    for group in report.groups:
        assert [w.partial for w in group.weeks] == [w.start in (date(2026, 10, 5), date(2026, 10, 26))
                                                    for w in group.weeks]  # fmt: skip
    assert [w["partial"] for w in report.as_dict()["groups"][-1]["weeks"]] == [True, False, False, True]
    texts = [p.markdown for p in quality_message(report, workspace, []).parts if hasattr(p, "markdown")]
    shown = "\n".join(t if isinstance(t, str) else t.plain for t in texts)
    line = next(row for row in shown.splitlines() if row.startswith("Weekly: "))
    assert line.count("(partial)") == 2 and "2026-W41 " in line and line.endswith("(partial)"), line
    assert "2026-W42 " in line and "2026-W42 (partial)" not in line


def test_json_is_clean(frame: pd.DataFrame, workspace: Workspace) -> None:
    import json

    report = analyse(typed(frame), workspace, scope=Scope(), since=SINCE, until=UNTIL, tz=TZ)
    text = json.dumps(report.as_dict(), allow_nan=False)
    data = json.loads(text)
    assert data["since"] == "2026-10-05" and data["scope"] == {"kind": "all", "id": None}
    assert data["groups"][0]["weeks"][0]["start"] == "2026-10-05"
    assert set(data) == {
        "scope",
        "since",
        "until",
        "timezone",
        "groups",
        "confusion",
        "labelers",
        "standouts",
        "clamped_from",
    }
    assert data["clamped_from"] is None  # the period was not moved to the first day still kept
    empty = analyse(
        typed(frame), workspace, scope=Scope(), since=date(2020, 1, 1), until=date(2020, 1, 7), tz=TZ
    )
    assert empty.groups == [] and empty.labelers == [] and empty.standouts == [] and empty.overall is None


def test_errors_csv_is_formula_safe(workspace: Workspace) -> None:
    day = date(2026, 10, 21)
    rows = crafted(
        "hate-en",
        "northwind",
        "lisbon",
        '=HYPERLINK("http://x")',
        [("allow", "remove", 2), ("allow", "allow", 5)],
        day,
    )
    rows += crafted("spam-pt", "northwind", "manila", "nr-2", [("remove", "allow", 1)], day)
    rows += crafted(
        "spam-pt", "northwind", "manila", "nr-2", [("remove", "allow", 1)], date(2026, 12, 1)
    )  # after the period
    data = errors_csv(typed(pd.DataFrame(rows)), workspace, scope=Scope(), since=SINCE, until=UNTIL, tz=TZ)
    read = list(csv.DictReader(io.StringIO(data.decode())))
    assert list(read[0]) == [
        "completed_at",
        "queue",
        "vendor",
        "site",
        "labeler_id",
        "item_id",
        "decision",
        "qa_decision",
        "direction",
    ]
    assert len(read) == 3
    assert {r["labeler_id"] for r in read} == {'\'=HYPERLINK("http://x")', "nr-2"}
    assert {(r["decision"], r["qa_decision"], r["direction"]) for r in read} == {
        ("allow", "remove", "under"),
        ("remove", "allow", "over"),
    }
    assert read[0]["completed_at"] == "2026-10-21T10:00:00+01:00"  # 09:00 UTC in Dublin summer time
    only_spam = errors_csv(
        typed(pd.DataFrame(rows)), workspace, scope=Scope("queue", "spam-pt"), since=SINCE, until=UNTIL, tz=TZ
    )
    assert only_spam.decode().count("\n") == 2


def test_charts_are_png(frame: pd.DataFrame, workspace: Workspace) -> None:
    report = analyse(typed(frame), workspace, scope=Scope(), since=SINCE, until=UNTIL, tz=TZ)
    for png in (confusion_chart(report.confusion[0]), trend_chart(report.overall)):  # type: ignore[arg-type]
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000


async def test_load_reads_only_the_audited_rows_needed(
    db: Database, workspace: Workspace, frame: pd.DataFrame
) -> None:
    queues = [
        q.model_copy(update={"labels": ["keep", "remove"]}) if q.id == "spam-pt" else q
        for q in workspace.queues
    ]
    ws = workspace.model_copy(update={"queues": queues})
    table = typed(frame[frame["queue"] != "ghost-q"])
    async with db.transaction() as session:
        await store_decisions(session, table)
    everything = await load(db, ws, SINCE, UNTIL, Scope())
    f = reference(frame, ws)
    assert everything.num_rows == len(f)
    assert {"completed_at", "decision", "qa_decision", "vendor"} <= set(everything.column_names)
    # hate-en's reference includes graphic-img (same labels), never spam-pt (other labels).
    hate = await load(db, ws, SINCE, UNTIL, Scope("queue", "hate-en"))
    assert set(hate["queue"].to_pylist()) == {"hate-en", "graphic-img"}
    assert hate.num_rows == int(f["queue"].isin(["hate-en", "graphic-img"]).sum())
    for scope in (Scope(), Scope("queue", "hate-en"), Scope("vendor", "northwind"), Scope("site", "nairobi")):
        loaded = await load(db, ws, SINCE, UNTIL, scope)
        assert analyse(loaded, ws, scope=scope, since=SINCE, until=UNTIL, tz=TZ) == analyse(
            table, ws, scope=scope, since=SINCE, until=UNTIL, tz=TZ
        )
    nothing = await load(db, ws, SINCE, UNTIL, Scope("site", "nowhere"))
    assert nothing.num_rows == 0


async def test_decision_reads_return_the_rows_of_the_queues_asked(
    db: Database, workspace: Workspace, frame: pd.DataFrame
) -> None:
    """The public readers `load` and the sampling draw use: (audited) rows in [start, end) only, on the
    queues named (a name with a quote is a bound value, not SQL); every column as `decisions_between`
    types it."""
    table = typed(frame[frame["queue"] != "ghost-q"])
    async with db.transaction() as session:
        await store_decisions(session, table)
    start, end = period_us(SINCE, UNTIL, TZ)
    done = pc.field("completed_at")
    start_at, end_at = (pa.scalar(us, pa.timestamp("us", tz="UTC")) for us in (start, end))
    audited = (
        (done >= start_at)
        & (done < end_at)
        & pc.field("qa_decision").is_valid()
        & (pc.field("qa_decision") != "")
    )
    async with db.transaction() as session:
        everything = await decisions_between(session, start, end)
        every_queue = await audited_between(session, start, end, None)
        two = await audited_between(session, start, end, ["hate-en", "spam-pt' OR '1'='1"])
        none = await audited_between(session, start, end, [])
        one_queue = await decisions_between(session, start, end, queues=["hate-en", "x' OR '1'='1"])
        no_queue = await decisions_between(session, start, end, queues=[])
    assert 0 < one_queue.num_rows < everything.num_rows
    on_hate = everything.filter(pc.field("queue") == "hate-en").sort_by("item_id")
    assert one_queue.sort_by("item_id").equals(on_hate)
    assert no_queue.num_rows == 0 and no_queue.schema == everything.schema
    expected = everything.filter(audited).sort_by("item_id")
    assert 0 < expected.num_rows < everything.num_rows
    assert every_queue.schema == everything.schema
    assert every_queue.sort_by("item_id").equals(expected)
    assert two.sort_by("item_id").equals(expected.filter(pc.field("queue") == "hate-en"))
    assert none.num_rows == 0 and none.schema == everything.schema


def test_scope_words_resolve_against_the_workspace(workspace: Workspace) -> None:
    assert Scope.parse(None, workspace) == Scope()
    assert Scope.parse("hate-en", workspace) == Scope("queue", "hate-en")
    assert Scope.parse("bluebird", workspace) == Scope("vendor", "bluebird")
    assert Scope.parse(" manila ", workspace) == Scope("site", "manila")
    with pytest.raises(ValueError, match="'nope' is not a queue, vendor or site in the workspace file"):
        Scope.parse("nope", workspace)
    assert Scope("site", "manila").describe() == "site manila" and Scope().describe() == "all queues"
