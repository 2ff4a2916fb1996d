"""The daily audit sample: every labeler's minimum, the rest by share of work, reproducible, auditor CSV safe.

Data is generated (seeded): labelers with random day's counts, some decisions already audited. The
expected counts are worked out here independently: by hand for small cases, and with fractions for the
generated day.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import numpy as np
import pyarrow as pa
import pytest

from bot.workspace import Queue
from handlers.sampling.draw import Drawn, DrawRule, allocate, draw
from handlers.sampling.export import COLUMNS, auditor_csv

DAY = date(2026, 11, 2)
QUEUE = "q-review"
START_US = int(datetime(2026, 11, 2, tzinfo=UTC).timestamp() * 1_000_000)
DAY_US = 86_400_000_000
LABELS = ["keep", "age_restrict", "remove"]


def decisions(rows: list[dict]) -> pa.Table:
    """Rows as storage/queue_data.py reads them (the columns the draw uses, typed the same)."""
    utc = pa.timestamp("us", tz="UTC")
    return pa.table(
        {
            "item_id": pa.array([r["item_id"] for r in rows], pa.string()),
            "queue": pa.array([r.get("queue", QUEUE) for r in rows], pa.string()),
            "vendor": pa.array(["v-1"] * len(rows), pa.string()),
            "site": pa.array(["s-1"] * len(rows), pa.string()),
            "labeler_id": pa.array([r["labeler_id"] for r in rows], pa.string()),
            "enqueued_at": pa.array([r["completed_us"] - 60_000_000 for r in rows], pa.int64()).cast(utc),
            "completed_at": pa.array([r["completed_us"] for r in rows], pa.int64()).cast(utc),
            "handle_seconds": pa.array([30.0] * len(rows), pa.float64()),
            "decision": pa.array([r.get("decision", "keep") for r in rows], pa.string()),
            "qa_decision": pa.array([r.get("qa_decision") for r in rows], pa.string()),
        }
    )


def generated_day(seed: int = 7, labelers: int = 40) -> list[dict]:
    """40 labelers with 0 to 80 decisions each (a few with 1 or 2), about a tenth already audited."""
    rng = np.random.default_rng(seed)
    rows: list[dict] = []
    for n in range(labelers):
        count = int(rng.integers(1, 3)) if n % 9 == 0 else int(rng.integers(0, 81))
        for _ in range(count):
            audited = rng.random() < 0.1
            rows.append(
                {
                    "item_id": f"it-{len(rows):05d}",
                    "labeler_id": f"lab-{n:02d}",
                    "completed_us": START_US + int(rng.integers(0, DAY_US)),
                    "decision": LABELS[int(rng.integers(0, 3))],
                    "qa_decision": (LABELS[int(rng.integers(0, 3))] if audited else rng.choice([None, ""])),
                }
            )
    return rows


def open_counts(rows: list[dict], exclude: set[tuple[str, str, int]] = frozenset()) -> Counter:
    return Counter(
        r["labeler_id"]
        for r in rows
        if not r.get("qa_decision") and (QUEUE, r["item_id"], r["completed_us"]) not in exclude
    )


def drawn_counts(drawn: Drawn) -> Counter:
    return Counter(p.labeler_id for p in drawn.picks)


NESTING = {"lab-03", "lab-09", "lab-17", "lab-30"}
RULE = DrawRule(sample_size=400, per_labeler_min=3, nesting_min=8, seed=20261102)


def test_every_labeler_gets_its_minimum_or_all_it_has_and_nesting_more() -> None:
    rows = generated_day()
    result = draw(decisions(rows), RULE, NESTING, day=DAY)
    population = open_counts(rows)
    got = drawn_counts(result)
    assert any(0 < n < 3 for n in population.values())  # the data has labelers below the minimum
    for who, n in population.items():
        owed = min(n, 8 if who in NESTING else 3)
        assert got[who] >= owed, who
        assert got[who] <= n
    for who in NESTING & set(population):
        assert got[who] >= min(population[who], 8)
    assert set(got) <= set(population)
    assert {d.labeler_id: d.population for d in result.labelers} == dict(population)
    assert {d.labeler_id: d.drawn for d in result.labelers} == {w: got[w] for w in population}


def test_total_is_the_plan_size_when_the_minimums_fit() -> None:
    rows = generated_day()
    result = draw(decisions(rows), RULE, NESTING, day=DAY)
    assert sum(min(n, 8 if w in NESTING else 3) for w, n in open_counts(rows).items()) < 400
    assert result.size == 400
    assert len({p.key for p in result.picks}) == 400  # no decision twice


def test_the_rest_follows_each_labelers_share_by_largest_remainder() -> None:
    rows = generated_day()
    result = draw(decisions(rows), RULE, NESTING, day=DAY)
    population = open_counts(rows)
    owed = {w: min(n, 8 if w in NESTING else 3) for w, n in population.items()}
    left = {w: population[w] - owed[w] for w in population}
    rest = 400 - sum(owed.values())
    quota = {w: Fraction(rest * left[w], sum(left.values())) for w in population}
    extra = {w: drawn_counts(result)[w] - owed[w] for w in population}
    assert sum(extra.values()) == rest
    for w in population:
        assert math.floor(quota[w]) <= extra[w] <= math.ceil(quota[w]), w
    bumped = [quota[w] - math.floor(quota[w]) for w in population if extra[w] > math.floor(quota[w])]
    kept = [quota[w] - math.floor(quota[w]) for w in population if extra[w] == math.floor(quota[w])]
    assert bumped and min(bumped) >= max(kept)


def test_allocation_worked_by_hand() -> None:
    # a: 10, b: 5, c: 1 with minimum 2, plan 10. Minimums 2 + 2 + 1 = 5; 5 left to share over what
    # remains (8, 3, 0 of 11): 40/11 = 3.64 and 15/11 = 1.36 -> 3 and 1, the spare one to a (.64 > .36).
    counts, notes = allocate({"a": 10, "b": 5, "c": 1}, {"a": 2, "b": 2, "c": 2}, 10)
    assert counts == {"a": 6, "b": 3, "c": 1}
    assert notes == []
    # b nesting with 4: minimums 2 + 4 + 1 = 7, 3 left over (8, 1, 0 of 9): 24/9 = 2.67, 3/9 = 0.33.
    counts, _ = allocate({"a": 10, "b": 5, "c": 1}, {"a": 2, "b": 4, "c": 2}, 10)
    assert counts == {"a": 5, "b": 4, "c": 1}


def test_nesting_minimum_is_never_below_the_others() -> None:
    rule = DrawRule(sample_size=0, per_labeler_min=5, nesting_min=2, seed=1)
    rows = [{"item_id": f"it-{i}", "labeler_id": "lab-a", "completed_us": START_US + i} for i in range(10)]
    result = draw(decisions(rows), rule, {"lab-a"}, day=DAY)
    assert result.size == 5


def test_minimums_above_the_plan_grow_the_sample_and_say_so() -> None:
    rows = generated_day()
    rule = DrawRule(sample_size=50, per_labeler_min=3, nesting_min=8, seed=5)
    result = draw(decisions(rows), rule, NESTING, day=DAY)
    population = open_counts(rows)
    owed = {w: min(n, 8 if w in NESTING else 3) for w, n in population.items()}
    assert sum(owed.values()) > 50
    assert dict(drawn_counts(result)) == {w: n for w, n in owed.items() if n}
    assert result.size == sum(owed.values())
    assert any(f"more than the plan's 50: the sample grows to {result.size}" in n for n in result.notes)


def test_a_small_day_is_drawn_whole() -> None:
    rows = [
        {"item_id": f"it-{i}", "labeler_id": f"lab-{i % 3}", "completed_us": START_US + i} for i in range(12)
    ]
    result = draw(decisions(rows), DrawRule(50, 2, 4, seed=3), set(), day=DAY)
    assert result.size == 12
    assert any("fewer than the plan's 50" in n for n in result.notes)


def test_same_seed_same_sample_whatever_the_row_order() -> None:
    rows = generated_day()
    first = draw(decisions(rows), RULE, NESTING, day=DAY)
    again = draw(decisions(rows), RULE, NESTING, day=DAY)
    shuffled = list(rows)
    np.random.default_rng(99).shuffle(shuffled)
    reordered = draw(decisions(shuffled), RULE, NESTING, day=DAY)
    assert first == again
    assert first.picks == reordered.picks
    assert first.labelers == reordered.labelers


def test_another_seed_or_day_draws_another_sample() -> None:
    rows = generated_day()
    first = draw(decisions(rows), RULE, NESTING, day=DAY)
    other_seed = draw(decisions(rows), DrawRule(400, 3, 8, seed=RULE.seed + 1), NESTING, day=DAY)
    other_day = draw(decisions(rows), RULE, NESTING, day=DAY + timedelta(days=1))
    assert {p.key for p in first.picks} != {p.key for p in other_seed.picks}
    assert {p.key for p in first.picks} != {p.key for p in other_day.picks}
    assert drawn_counts(first) == drawn_counts(other_seed)  # the allocation does not depend on the seed


def test_a_labelers_draw_does_not_depend_on_who_else_worked() -> None:
    # Minimums only (plan 0): each labeler's count is its own, so its picks must not move when another
    # labeler's rows are dropped.
    rows = generated_day()
    rule = DrawRule(sample_size=0, per_labeler_min=4, nesting_min=8, seed=11)
    whole = draw(decisions(rows), rule, NESTING, day=DAY)
    fewer = draw(decisions([r for r in rows if r["labeler_id"] != "lab-05"]), rule, NESTING, day=DAY)
    keep = [p for p in whole.picks if p.labeler_id != "lab-05"]
    assert tuple(keep) == fewer.picks


def test_already_audited_decisions_are_never_drawn() -> None:
    rows = generated_day()
    open_rows = [r for r in rows if not r.get("qa_decision")]
    audited_elsewhere = {(QUEUE, r["item_id"], r["completed_us"]) for r in open_rows[::5]}
    everything = DrawRule(sample_size=10_000, per_labeler_min=3, nesting_min=8, seed=1)
    result = draw(decisions(rows), everything, NESTING, audited_elsewhere, day=DAY)
    expected = {(QUEUE, r["item_id"], r["completed_us"]) for r in open_rows} - audited_elsewhere
    assert {p.key for p in result.picks} == expected
    assert sum(open_counts(rows, audited_elsewhere).values()) == len(expected)
    assert any(f"{len(audited_elsewhere)} decisions already audited" in n for n in result.notes)
    smaller = draw(decisions(rows), RULE, NESTING, audited_elsewhere, day=DAY)
    assert not {p.key for p in smaller.picks} & audited_elsewhere
    qa_done = {(QUEUE, r["item_id"], r["completed_us"]) for r in rows if r.get("qa_decision")}
    assert qa_done and not {p.key for p in smaller.picks} & qa_done


def test_picks_carry_the_key_and_decision_only() -> None:
    rows = generated_day()
    by_key = {(QUEUE, r["item_id"], r["completed_us"]): r for r in rows}
    result = draw(decisions(rows), RULE, NESTING, day=DAY)
    for pick in result.picks:
        row = by_key[pick.key]
        assert (pick.labeler_id, pick.decision) == (row["labeler_id"], row["decision"])
        back = datetime.fromisoformat(pick.completed_at)
        assert back.utcoffset() == timedelta(0)
        assert (
            round((back - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1))
            == row["completed_us"]
        )
    assert [p.completed_us for p in result.picks] == sorted(p.completed_us for p in result.picks)


def test_nothing_to_draw() -> None:
    empty = draw(decisions([]), RULE, set(), day=DAY)
    assert empty.picks == () and empty.labelers == ()
    rows = [{"item_id": "it-1", "labeler_id": "lab-a", "completed_us": START_US, "qa_decision": "keep"}]
    audited = draw(decisions(rows), RULE, set(), day=DAY)
    assert audited.queue == QUEUE and audited.picks == ()
    assert audited.notes == ("Nothing left to audit that day.",)


def test_one_queue_at_a_time() -> None:
    rows = [
        {"item_id": "it-1", "labeler_id": "lab-a", "completed_us": START_US},
        {"item_id": "it-2", "labeler_id": "lab-a", "completed_us": START_US, "queue": "q-other"},
    ]
    with pytest.raises(ValueError, match="one queue"):
        draw(decisions(rows), RULE, set(), day=DAY)


def test_auditor_csv_is_formula_safe_and_reads_back() -> None:
    risky = ['=HYPERLINK("http://example.test")', "+1", "-2", "@SUM(A1)", "plain"]
    rows = [
        {
            "item_id": item,
            "labeler_id": f"lab-{i}" if i else "=lab",
            "completed_us": START_US + i * 1_000_001,
            "decision": risky[(i + 1) % len(risky)],
        }
        for i, item in enumerate(risky)
    ]
    result = draw(decisions(rows), DrawRule(5, 1, 1, seed=2), set(), day=DAY)
    queue = Queue.model_validate(
        {
            "id": QUEUE,
            "name": "Review",
            "vendor": "v-1",
            "site": "s-1",
            "targets": {"daily_output": 100, "sla_seconds": 3600, "quality": 0.9, "aht_seconds": 30},
            "item_link": "https://tool.example/items/{item_id}",
        }
    )
    data = auditor_csv(result, queue)
    read = list(csv.reader(io.StringIO(data.decode())))
    assert read[0] == COLUMNS
    body = [dict(zip(COLUMNS, line, strict=True)) for line in read[1:]]
    assert len(body) == 5
    for line in body:
        for name, cell in line.items():
            assert cell[:1] not in {"=", "+", "-", "@"}, (name, cell)
        assert line["qa_decision"] == "" and line["qa_auditor"] == ""
        assert line["queue"] == QUEUE
        assert line["link"].startswith("https://tool.example/items/")
    assert sorted(line["item_id"] for line in body) == sorted(
        f"'{item}" if item[0] in "=+-@" else item for item in risky
    )
    assert "'=lab" in {line["labeler_id"] for line in body}
    assert any(line["link"] == "https://tool.example/items/plain" for line in body)
    plain = auditor_csv(result)  # no queue settings: the link column is there, empty
    assert all(line[5] == "" for line in list(csv.reader(io.StringIO(plain.decode())))[1:])
