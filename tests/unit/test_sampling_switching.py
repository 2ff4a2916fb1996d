"""ISO 2859-1 switching rules over scripted sequences of lots, each switch and its reason written by hand."""

from __future__ import annotations

import pytest

from handlers.sampling.switching import (
    Change,
    LotResult,
    SwitchState,
    resume,
    step,
    switching_score,
    tighter_accept_number,
)


def lot(label: str, nonconforming: int, accept_number: int, reject_number: int | None = None) -> LotResult:
    """A lot inspected with plan (Ac, Re); Re defaults to Ac + 1."""
    reject = accept_number + 1 if reject_number is None else reject_number
    return LotResult(
        accepted=nonconforming < reject,
        nonconforming=nonconforming,
        sample_size=80,
        accept_number=accept_number,
        lot=label,
    )


def run(
    state: SwitchState, lots: list[LotResult], reduced_allowed: bool = False
) -> tuple[SwitchState, list[Change]]:
    changes = []
    for one in lots:
        state, change = step(state, one, reduced_allowed)
        if change is not None:
            changes.append(change)
    return state, changes


def test_one_step_tighter_acceptance_numbers() -> None:
    # Table II-A rows, read right to left: the cell one AQL step tighter with the same sample size.
    assert [tighter_accept_number(a) for a in (2, 3, 5, 7, 10, 14, 21)] == [1, 2, 3, 5, 7, 10, 14]
    with pytest.raises(ValueError):
        tighter_accept_number(1)


def test_switching_score_rules() -> None:
    assert switching_score(0, lot("a", 1, 2)) == 3  # Ac 2: would pass with Ac 1
    assert switching_score(9, lot("b", 2, 2)) == 0  # accepted, but not at one step tighter
    assert switching_score(4, lot("c", 3, 5)) == 7  # Ac 5: tighter Ac 3
    assert switching_score(4, lot("d", 0, 0)) == 6  # Ac 0: +2 when accepted
    assert switching_score(4, lot("e", 1, 1)) == 6  # Ac 1: +2 when accepted
    assert switching_score(4, lot("f", 2, 1)) == 0  # Ac 1: not accepted


def test_normal_tightened_normal_reduced_normal() -> None:
    state = SwitchState()
    # Normal, plan Ac 2 Re 3. Score: d01 +3 = 3; d02 (2 found, 1 allowed one step tighter) → 0; d03 not
    # accepted: 1 of 3, stay; d04 +3; d05 not accepted: 2 of the last 5 → tightened.
    state, changes = run(state, [lot("d01", 0, 2), lot("d02", 2, 2), lot("d03", 3, 2), lot("d04", 0, 2)])
    assert (state.inspection, state.score, changes) == ("normal", 3, [])
    state, change = step(state, lot("d05", 4, 2))
    assert change == Change(
        lot="d05",
        before="normal",
        after="tightened",
        reason="2 of the last 5 lots were not accepted under normal inspection (d03, d05): "
        "tightened inspection from the next lot",
    )
    # Tightened, plan Ac 1 Re 2: d06 accepted, d07 not (the run restarts), d08…d12 accepted: 5 in a row.
    state, changes = run(
        state, [lot("d06", 0, 1), lot("d07", 2, 1)] + [lot(f"d{n:02}", 1, 1) for n in range(8, 12)]
    )
    assert (state.inspection, state.accepted_run, state.not_accepted, changes) == ("tightened", 4, 1, [])
    state, change = step(state, lot("d12", 0, 1))
    assert change == Change(
        "d12",
        "tightened",
        "normal",
        "5 consecutive lots accepted under tightened inspection: normal inspection from the next lot",
    )
    assert state == SwitchState()
    # Normal again, Ac 2: ten lots with at most 1 found, +3 each: 30 after d22.
    good = [lot(f"d{n}", 1, 2) for n in range(13, 23)]
    not_approved, changes = run(state, good, reduced_allowed=False)
    assert (not_approved.inspection, not_approved.score, changes) == ("normal", 30, [])
    state, changes = run(state, good, reduced_allowed=True)
    assert changes == [
        Change(
            "d22",
            "normal",
            "reduced",
            "switching score 30 (30 or more) with production steady and reduced inspection approved: "
            "reduced inspection from the next lot",
        )
    ]
    # Reduced, plan Ac 1 Re 3 (Table II-C's gap): d23 finds 1, stays; d24 finds 2: accepted, back to normal.
    state, change = step(state, lot("d23", 1, 1, 3), reduced_allowed=True)
    assert (state.inspection, change) == ("reduced", None)
    state, change = step(state, lot("d24", 2, 1, 3), reduced_allowed=True)
    assert change == Change(
        "d24",
        "reduced",
        "normal",
        "lot d24 had 2 nonconforming, above the acceptance number 1 but below the rejection number: "
        "accepted, and normal inspection from the next lot",
    )
    assert state == SwitchState()


def test_acceptance_number_zero_scores_two_and_a_rejection_resets() -> None:
    # Ac 0: fourteen accepted lots make 28; one not accepted resets to 0 (1 of 5: no tightening).
    state, changes = run(SwitchState(), [lot(f"a{n}", 0, 0) for n in range(14)], reduced_allowed=True)
    assert (state.score, changes) == (28, [])
    state, changes = run(state, [lot("a14", 1, 0)], reduced_allowed=True)
    assert (state.inspection, state.score, changes) == ("normal", 0, [])
    # Four accepted lots push a14 out of the 5-lot window, so a later failure alone does not tighten.
    state, changes = run(
        state, [lot(f"b{n}", 0, 0) for n in range(4)] + [lot("b4", 1, 0)], reduced_allowed=True
    )
    assert (state.inspection, state.score, changes) == ("normal", 0, [])
    state, changes = run(state, [lot(f"c{n}", 0, 0) for n in range(15)], reduced_allowed=True)
    assert [(c.lot, c.after) for c in changes] == [("c14", "reduced")]


def test_reduced_to_normal_on_a_lot_not_accepted_or_approval_withdrawn() -> None:
    reduced = SwitchState(inspection="reduced")
    state, change = step(reduced, lot("r1", 3, 1, 3), reduced_allowed=True)
    assert change == Change(
        "r1",
        "reduced",
        "normal",
        "lot r1 was not accepted under reduced inspection: normal inspection from the next lot",
    )
    state, change = step(reduced, lot("r2", 0, 1, 3), reduced_allowed=False)
    assert change is not None and change.after == "normal"
    assert change.reason == (
        "reduced inspection is no longer approved (or production is irregular): "
        "normal inspection from the next lot"
    )


def test_five_lots_not_accepted_on_tightened_discontinues() -> None:
    state, changes = run(SwitchState(), [lot("n1", 3, 2), lot("n2", 3, 2)])
    assert [(c.lot, c.after) for c in changes] == [("n2", "tightened")]
    assert state.inspection == "tightened"
    # Not accepted: t1, t3, t4, t6, t8 (accepted lots in between never make 5 in a row).
    script = [(1, False), (2, True), (3, False), (4, False), (5, True), (6, False), (7, True)]
    state, changes = run(state, [lot(f"t{n}", 0 if ok else 2, 1) for n, ok in script])
    assert (state.inspection, state.not_accepted, changes) == ("tightened", 4, [])
    state, change = step(state, lot("t8", 2, 1))
    assert change == Change(
        "t8",
        "tightened",
        "discontinued",
        "inspection discontinued: 5 lots not accepted on tightened inspection; "
        "resume on tightened inspection once the vendor has taken corrective action",
    )
    # Nothing more is judged until corrective action, then tightened inspection starts afresh.
    assert step(state, lot("t9", 0, 1)) == (state, None)
    state, change = resume(state)
    assert (state, change.after) == (SwitchState(inspection="tightened"), "tightened")
