"""The error analysis: every figure against an independent pandas computation on seeded data, the Wilson
interval against Newcombe's published values, the label order, flags, partial weeks and scope words."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from bot.workspace import Workspace
from handlers.quality.analysis import MIN_AUDITED_TO_FLAG, NO_DECISION, analyse
from handlers.quality.scope import Scope
from handlers.quality.wilson import wilson
from tests.unit.quality_fixtures import SINCE, TZ, UNTIL, crafted, hand_wilson, reference, typed
from tests.unit.quality_fixtures import frame as frame  # a fixture


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


def test_scope_words_resolve_against_the_workspace(workspace: Workspace) -> None:
    assert Scope.parse(None, workspace) == Scope()
    assert Scope.parse("hate-en", workspace) == Scope("queue", "hate-en")
    assert Scope.parse("bluebird", workspace) == Scope("vendor", "bluebird")
    assert Scope.parse(" manila ", workspace) == Scope("site", "manila")
    with pytest.raises(ValueError, match="'nope' is not a queue, vendor or site in the workspace file"):
        Scope.parse("nope", workspace)
    assert Scope("site", "manila").describe() == "site manila" and Scope().describe() == "all queues"
