"""The sampling review's fixes: a lot is judged on the plan's own sample size (not the minimums per
labeler), a lot drawn under a superseded severity moves no rule, withdrawn reduced inspection ends at
the next draw, a vendor's samples go to its own channel, and catch-up covers every day missed."""

from __future__ import annotations

from datetime import date, timedelta

from bot.workspace_sampling import QueuePlan, SamplingSettings
from handlers.sampling import daily, store
from handlers.sampling.daily import draw_day
from handlers.sampling.switching import SwitchState
from storage.models import SamplingDraw
from tests.unit.sampling_fixtures import DAY, NOW, QUEUE, Key, audit, day_table, drawn_keys, load
from tests.unit.sampling_fixtures import ws as ws  # a fixture: in this module's names, pytest finds it


async def _audit(db, day: date, wrong: set[Key]) -> None:
    """QA audits every drawn item of the day; those in `wrong` disagree."""
    await audit(db, {key: "remove" if key in wrong else "allow" for key in await drawn_keys(db, day)})


async def _ranked(db, day: date) -> tuple[list[Key], int]:
    """The day's drawn items in the plan's order (its own sample first), and the plan's sample size."""
    async with db.transaction() as session:
        draw = await session.get(SamplingDraw, (QUEUE, day))
    ranked = sorted(await drawn_keys(db, day), key=lambda key: store.plan_order(draw.seed, QUEUE, day, *key))
    return ranked, draw.sample_size


async def test_a_lot_is_judged_on_the_plans_own_sample_not_the_minimums(db, ws) -> None:
    # 5 labelers x 200 = a lot of 1000: J, n = 80, Ac 2, Re 3; a minimum of 40 each grows the draw to 200.
    grown = ws.model_copy(update={"sampling": ws.sampling.model_copy(update={"per_labeler_min": 40})})
    await load(db, day_table(DAY))
    result = await draw_day(db, grown, QUEUE, DAY, NOW)
    assert result.stored.drawn.size == 200 and result.stored.sample_size == 80
    ranked, n = await _ranked(db, DAY)
    # Five wrong items, all beyond the plan's 80: the lot itself has none and is accepted.
    await _audit(db, DAY, set(ranked[n : n + 5]))
    back = await store.returned(db, QUEUE, DAY)
    assert (back.drawn, back.audited, back.nonconforming, back.extra) == (80, 80, 0, 120)
    # Three wrong among the plan's own 80 reach Re 3: not accepted.
    await _audit(db, DAY, set(ranked[:3]))
    assert (await store.returned(db, QUEUE, DAY)).nonconforming == 3


async def test_a_lot_drawn_under_a_superseded_severity_moves_no_rule(db, ws) -> None:
    await load(db, day_table(DAY))
    await draw_day(db, ws, QUEUE, DAY, NOW)  # drawn under normal
    ranked, _ = await _ranked(db, DAY)
    await _audit(db, DAY, set(ranked[:5]))  # a bad lot
    # Meanwhile the queue went to tightened (another lot's verdict).
    await store.put_state(db, "northwind", QUEUE, SwitchState(inspection="tightened"), NOW)
    judged = await daily.judge_returned(db, "northwind", QUEUE, "normal", False, NOW + timedelta(days=1))
    assert [lot.change for lot in judged.lots] == [None]
    assert judged.state.inspection == "tightened" and judged.state.not_accepted == 0


async def test_withdrawn_reduced_inspection_ends_at_the_next_draw(db, ws) -> None:
    await store.put_state(db, "northwind", QUEUE, SwitchState(inspection="reduced"), NOW)
    await load(db, day_table(DAY))
    result = await draw_day(db, ws, QUEUE, DAY, NOW)  # reduced_allowed is false
    assert result.stored.inspection == "normal" and "no longer allowed" in result.note


def test_a_vendors_samples_go_to_its_own_channel(ws) -> None:
    sampling = SamplingSettings(channel="C0SAMPLE1", vendor_channels={"bluebird": "C0BLUEB01"},
                                queues={QUEUE: QueuePlan()})  # fmt: skip
    both = ws.model_copy(update={"sampling": sampling})
    assert daily.draw_channel(both, "bluebird") == "C0BLUEB01"
    assert daily.draw_channel(both, "northwind") == "C0SAMPLE1"


async def test_catch_up_makes_every_missed_day_due_since_the_last_draw(db, ws, monkeypatch) -> None:
    await load(db, day_table(DAY))
    await draw_day(db, ws, QUEUE, DAY, NOW)  # the last draw: 19 Nov
    due: list[date] = []

    async def record(services, day: date) -> None:  # noqa: ANN001
        due.append(day)

    monkeypatch.setattr(daily, "make_due", record)

    class Services:  # what catch_up reads
        workspace = ws
        db = None
        clock = staticmethod(lambda: NOW + timedelta(days=4))  # 24 Nov 07:00, after the 06:00 draw time

    Services.db = db
    await daily.catch_up(Services())
    assert due == [date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22), date(2026, 11, 23)]
