"""The report figures from the hand-built Manila cohort of test_training_readiness, and burn-up counts
listed by hand (Manila's working days: Bonifacio Day, Mon 30 Nov, and Immaculate Conception, Tue 8 Dec,
are holidays)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from handlers.training.charts import burn_up_chart
from handlers.training.readiness import CohortReadiness, LabelerReadiness, cohort_readiness
from handlers.training.report import burn_up, figures
from tests.unit.test_training_nesting import MANILA, MEMBERS, cohort
from tests.unit.test_training_readiness import AFTER, scenario


def nov(day: int) -> date:
    return date(2026, 11, day)


def dec(day: int) -> date:
    return date(2026, 12, day)


def test_figures_of_the_cohort() -> None:
    marks, checks, nesting = scenario()
    base = cohort(MEMBERS)
    result = cohort_readiness(base, marks, checks, nesting, AFTER, MANILA)
    burn = burn_up(result, base, MANILA)
    data = figures(base, result, nesting, checks, burn, marks=marks)
    assert json.loads(json.dumps(data)) == data  # JSON as it is
    head = {k: data[k] for k in ("cohort", "vendor", "site", "queues", "plan", "start", "target")}
    assert head == {
        "cohort": "manila-nov",
        "vendor": "bluebird",
        "site": "manila",
        "queues": ["spam-ph"],
        "plan": "New labeler onboarding",
        "start": "2026-11-23",
        "target": "2026-12-11",
    }
    assert (data["projected_go_live"], data["days_late"], data["labelers"], data["ready"]) == (
        "2026-12-03",
        0,
        5,
        1,
    )
    assert data["as_of"] == "2026-12-03"
    assert [a["user"] for a in data["at_risk"]] == ["U2", "U3", "U4", "U5"]
    assert [r["kind"] for r in data["at_risk"][0]["reasons"]] == [
        "absent",
        "missed",
        "failed_check",
        "nesting_below",
    ]
    assert data["at_risk"][3]["reasons"] == [
        {"kind": "no_labeler_id", "detail": "no labeler ID, so nesting quality cannot be read"}
    ]

    detail = {d["user"]: d for d in data["labelers_detail"]}
    assert detail["U1"] == {
        "user": "U1",
        "labeler_id": "L1",
        "ready": True,
        "ready_on": "2026-12-02",
        "done": 7,
        "required": 7,
        "nesting": {
            "audited": 30,
            "agreed": 28,
            "quality": 0.9333,
            "low": 0.8,
            "high": 0.98,
            "target": 0.9,
            "verdict": "met",
        },
        "checks": [{"topic": "spam-basics", "attempted": True, "passed": True, "best_score": 0.9}],
    }
    assert detail["U2"]["checks"] == [
        {"topic": "spam-basics", "attempted": True, "passed": False, "best_score": 0.6}
    ]
    assert detail["U3"]["checks"] == [
        {"topic": "spam-basics", "attempted": False, "passed": False, "best_score": None}
    ]
    assert (detail["U5"]["labeler_id"], detail["U5"]["ready_on"]) == (None, None)
    assert figures(base, result, [], checks, burn, marks=marks)["labelers_detail"][0]["nesting"] is None

    # Labelers' latest marks per session (the trainer's own check-in is left out).
    counts = {s["id"]: (s["present"], s["absent"], s["excused"], s["unmarked"]) for s in data["sessions"]}
    assert counts == {
        "welcome-1": (5, 0, 0, 0),
        "process-1": (4, 1, 0, 0),
        "policy-basics-1": (5, 0, 0, 0),
        "policy-reading-1": (4, 0, 1, 0),  # U1 absent, then excused
        "spam-practice-1": (4, 0, 0, 1),
        "spam-check-1": (0, 0, 0, 5),
        **{f"nesting-{i}": (0, 0, 0, 5) for i in range(1, 6)},
    }
    first = data["sessions"][0]
    assert (first["start"], first["end"], first["kind"]) == (
        "2026-11-23T08:00:00+08:00",
        "2026-11-23T10:00:00+08:00",
        "classroom",
    )
    days = [
        nov(23),
        nov(24),
        nov(25),
        nov(26),
        nov(27),
        dec(1),
        dec(2),
        dec(3),
        dec(4),
        dec(7),
        dec(9),
        dec(10),
    ]
    expected = [(d.isoformat(), 1 if d >= dec(2) else 0) for d in [*days, dec(11)]]
    assert [(b["day"], b["ready"]) for b in data["burn_up"]] == expected


def test_burn_up_runs_to_the_latest_of_target_projection_and_today() -> None:
    """Started on a Saturday, projected late (Tue 15 Dec): two ready on 25 Nov and 1 Dec, one not."""
    base = replace(cohort(MEMBERS), start=nov(21))
    rows = [
        LabelerReadiness("U1", True, nov(25), (), 7, 7),
        LabelerReadiness("U2", True, dec(1), (), 7, 7),
        LabelerReadiness("U3", False, None, (), 3, 7),
    ]
    state = CohortReadiness(rows, 2, 3, [], dec(15), dec(11), 2, dec(3))
    expected = [
        (nov(23), 0),
        (nov(24), 0),
        (nov(25), 1),
        (nov(26), 1),
        (nov(27), 1),
        (dec(1), 2),
        (dec(2), 2),
        (dec(3), 2),
        (dec(4), 2),
        (dec(7), 2),
        (dec(9), 2),
        (dec(10), 2),
        (dec(11), 2),
        (dec(14), 2),
        (dec(15), 2),
    ]
    assert burn_up(state, base, MANILA) == expected
    later = replace(state, projected=dec(3), today=dec(16))
    assert burn_up(later, base, MANILA)[-1] == (dec(16), 2)


def test_burn_up_chart_is_a_png() -> None:
    burn = [(nov(23), 0), (nov(24), 1), (nov(25), 3)]
    png = burn_up_chart(burn, 4, nov(27), "manila-nov: ready labelers")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
