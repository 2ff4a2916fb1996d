"""Lots from returned audits: a drawn day is judged once QA has audited every decision drawn for it,
then ISO 2859-1's switching rules move the vendor's queue on, one day at a time in order of day.

Judged lazily, when the next draw of the queue runs (the daily job or `tsqa sampling draw`), rather
than from the ingest: the state matters only when the next plan is chosen, the ingest stays free of
sampling, and a lot is judged the same way whichever path brought its audits in. A day whose audits
are not all back holds the later days: switching rules are about successive lots, so none is passed
over while it may still come back. STALE_DAYS after the draw it is recorded as not judged (it leaves the state
as it was) rather than judged on part of its sample, which would find fewer nonconforming items.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from handlers.sampling import store
from handlers.sampling.switching import Change, Inspection, LotResult, SwitchState, step
from storage.engine import Database

STALE_DAYS = 14  # audits of a drawn day still missing after this long are not waited for


@dataclass(frozen=True)
class Judged:
    """What judging the returned audits did: the state now, the lots judged, the day still waiting."""

    state: SwitchState
    lots: tuple[store.Lot, ...]
    waiting: tuple[date, store.Returned] | None = None


def lot_result(draw: store.StoredDraw, back: store.Returned) -> LotResult:
    """The lot as the switching rules read it: accepted below the rejection number (between Ac and
    Re only reduced plans have a gap, where the lot is accepted but normal inspection resumes)."""
    return LotResult(
        accepted=back.nonconforming < draw.reject,
        nonconforming=back.nonconforming,
        sample_size=back.audited,
        accept_number=draw.accept,
        lot=draw.day.isoformat(),
    )


def next_state(
    state: SwitchState, result: LotResult, reduced_allowed: bool
) -> tuple[SwitchState, Change | None]:
    """`switching.step`; a lot drawn under tightened inspection but judged under normal (audits that
    came back after the switch) has no one-step-tighter plan for its score: it counts as Ac ≤ 1 does."""
    try:
        return step(state, result, reduced_allowed)
    except ValueError:
        return step(state, replace(result, accept_number=min(result.accept_number, 1)), reduced_allowed)


async def judge_returned(
    db: Database, vendor: str, queue: str, start: Inspection, reduced_allowed: bool, now: datetime
) -> Judged:
    """Judge every drawn day of `queue` whose audits are all back, oldest first, and move the
    switching state on with each; stop at the first day still waiting for audits (one drawn more
    than STALE_DAYS ago is recorded as not judged, and the next day is looked at)."""
    stored = await store.load_state(db, vendor, queue)
    state = stored or SwitchState(inspection=start)
    judged: list[store.Lot] = []
    for day in await store.unjudged_days(db, queue):
        back = await store.returned(db, queue, day)
        draw = await store.load_draw(db, queue, day)
        assert draw is not None  # listed from the draws
        stale = now - draw.created_at > timedelta(
            days=STALE_DAYS
        )  # from the draw: a back-filled day waits too
        if not back.complete and not stale:
            return Judged(state, tuple(judged), (day, back))
        # A lot drawn under another severity than the state's now (its audits came back after a switch)
        # was inspected under a superseded plan: recorded, but it moves no switching rule.
        current = draw.inspection == state.inspection or (
            state.inspection == "discontinued" and draw.inspection == "tightened"
        )
        if back.complete and current:
            after, change = next_state(state, lot_result(draw, back), reduced_allowed)
        else:
            after, change = state, None
        lot = store.Lot(
            queue=queue, day=day, vendor=vendor, inspection=draw.inspection, sample=back.drawn,
            audited=back.audited, nonconforming=back.nonconforming,
            accepted=back.complete and back.nonconforming < draw.reject, change=change, applied_at=now,
        )  # fmt: skip
        if not await store.record_lot(db, lot, stored, after):
            # Another worker judged it first: carry on from what it stored.
            return await _after_race(db, vendor, queue, start, judged)
        stored = state = after
        judged.append(lot)
    return Judged(state, tuple(judged))


async def _after_race(
    db: Database, vendor: str, queue: str, start: Inspection, judged: list[store.Lot]
) -> Judged:
    state = await store.load_state(db, vendor, queue) or SwitchState(inspection=start)
    return Judged(state, tuple(judged))
