"""ISO 2859-1 switching rules (§9, 1999 edition) per vendor and queue: a pure state machine over lot results.

Normal → tightened: 2 of 5 or fewer consecutive lots not accepted. Tightened → normal: 5 consecutive lots
accepted. Normal → reduced: switching score ≥ 30, with steady production and the responsible authority's
approval (`reduced_allowed`). Reduced → normal: a lot not accepted, a lot accepted between Ac and Re (Table
II-C's gaps), or approval withdrawn. Discontinue when 5 lots in a tightened spell are not accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Inspection = Literal["normal", "tightened", "reduced", "discontinued"]

SCORE_FOR_REDUCED = 30
WINDOW = 5  # "2 out of 5 or fewer consecutive lots"
ACCEPTED_TO_LEAVE_TIGHTENED = 5
NOT_ACCEPTED_TO_DISCONTINUE = 5

# Table II-A's acceptance numbers left to right in a row: the plan one AQL step tighter, same sample size,
# has the previous number (the switching score's "accepted if the AQL had been one step tighter").
NORMAL_ACCEPTANCE_NUMBERS = (0, 1, 2, 3, 5, 7, 10, 14, 21, 30, 44)


@dataclass(frozen=True)
class LotResult:
    """One inspected lot: the plan's acceptance number and what the sample found."""

    accepted: bool
    nonconforming: int
    sample_size: int
    accept_number: int
    lot: str = ""


@dataclass(frozen=True)
class Change:
    """A switch of inspection severity: after which lot, from what, to what, and why."""

    lot: str
    before: Inspection
    after: Inspection
    reason: str


@dataclass(frozen=True)
class SwitchState:
    """Where one vendor and queue stand; start with `SwitchState()` (normal inspection, score 0)."""

    inspection: Inspection = "normal"
    # Normal: the last lots (label, accepted), at most WINDOW, since normal inspection began.
    recent: tuple[tuple[str, bool], ...] = ()
    score: int = 0
    # Tightened: consecutive lots accepted, and lots not accepted in this tightened spell.
    accepted_run: int = 0
    not_accepted: int = 0


def tighter_accept_number(accept_number: int) -> int:
    """The acceptance number one AQL step tighter in Table II-A (same sample size), for Ac ≥ 2."""
    if accept_number not in NORMAL_ACCEPTANCE_NUMBERS or accept_number < 2:
        raise ValueError(f"no one-step-tighter plan for acceptance number {accept_number}")
    return NORMAL_ACCEPTANCE_NUMBERS[NORMAL_ACCEPTANCE_NUMBERS.index(accept_number) - 1]


def switching_score(score: int, lot: LotResult) -> int:
    """ISO 2859-1:1999 9.3.3.2 for single sampling: Ac ≥ 2 adds 3 if the lot would have passed one AQL step
    tighter, Ac 0 or 1 adds 2 if accepted; otherwise the score goes back to 0."""
    if lot.accept_number >= 2:
        return score + 3 if lot.nonconforming <= tighter_accept_number(lot.accept_number) else 0
    return score + 2 if lot.accepted else 0


def _name(lot: LotResult) -> str:
    return f"lot {lot.lot}" if lot.lot else "the lot"


def _to_normal(state: SwitchState, lot: LotResult, reason: str) -> tuple[SwitchState, Change]:
    change = Change(lot=lot.lot, before=state.inspection, after="normal", reason=reason)
    return SwitchState(), change


def _normal(state: SwitchState, lot: LotResult, reduced_allowed: bool) -> tuple[SwitchState, Change | None]:
    recent = (*state.recent, (lot.lot, lot.accepted))[-WINDOW:]
    failed = [label for label, accepted in recent if not accepted]
    if not lot.accepted and len(failed) >= 2:
        named = ", ".join(label or "?" for label in failed)
        reason = (
            f"{len(failed)} of the last {len(recent)} lots were not accepted under normal inspection "
            f"({named}): tightened inspection from the next lot"
        )
        return SwitchState(inspection="tightened"), Change(lot.lot, "normal", "tightened", reason)
    score = switching_score(state.score, lot)
    if score >= SCORE_FOR_REDUCED and reduced_allowed:
        reason = (
            f"switching score {score} ({SCORE_FOR_REDUCED} or more) with production steady and reduced "
            "inspection approved: reduced inspection from the next lot"
        )
        return SwitchState(inspection="reduced"), Change(lot.lot, "normal", "reduced", reason)
    return replace(state, recent=recent, score=score), None


def _tightened(state: SwitchState, lot: LotResult) -> tuple[SwitchState, Change | None]:
    if lot.accepted:
        run = state.accepted_run + 1
        if run >= ACCEPTED_TO_LEAVE_TIGHTENED:
            return _to_normal(
                state,
                lot,
                f"{run} consecutive lots accepted under tightened inspection: "
                "normal inspection from the next lot",
            )
        return replace(state, accepted_run=run), None
    not_accepted = state.not_accepted + 1
    if not_accepted >= NOT_ACCEPTED_TO_DISCONTINUE:
        reason = (
            f"inspection discontinued: {not_accepted} lots not accepted on tightened inspection; "
            "resume on tightened inspection once the vendor has taken corrective action"
        )
        return SwitchState(inspection="discontinued"), Change(lot.lot, "tightened", "discontinued", reason)
    return replace(state, accepted_run=0, not_accepted=not_accepted), None


def _reduced(state: SwitchState, lot: LotResult, reduced_allowed: bool) -> tuple[SwitchState, Change | None]:
    if not lot.accepted:
        return _to_normal(
            state,
            lot,
            f"{_name(lot)} was not accepted under reduced inspection: normal inspection from the next lot",
        )
    if lot.nonconforming > lot.accept_number:
        return _to_normal(
            state,
            lot,
            f"{_name(lot)} had {lot.nonconforming} nonconforming, above the acceptance number "
            f"{lot.accept_number} but below the rejection number: accepted, and normal inspection "
            "from the next lot",
        )
    if not reduced_allowed:
        return _to_normal(
            state,
            lot,
            "reduced inspection is no longer approved (or production is irregular): "
            "normal inspection from the next lot",
        )
    return state, None


def step(
    state: SwitchState, lot: LotResult, reduced_allowed: bool = False
) -> tuple[SwitchState, Change | None]:
    """The state after one more lot, and the switch it caused (None when the severity stays)."""
    if state.inspection == "normal":
        return _normal(state, lot, reduced_allowed)
    if state.inspection == "tightened":
        return _tightened(state, lot)
    if state.inspection == "reduced":
        return _reduced(state, lot, reduced_allowed)
    return state, None  # discontinued: lots are not judged until inspection resumes


def resume(state: SwitchState) -> tuple[SwitchState, Change]:
    """After corrective action, a discontinued inspection resumes on tightened inspection (ISO 2859-1 9.4)."""
    if state.inspection != "discontinued":
        raise ValueError(f"inspection is {state.inspection}, not discontinued")
    reason = "corrective action taken: inspection resumes on tightened inspection"
    return SwitchState(inspection="tightened"), Change("", "discontinued", "tightened", reason)
