"""Nesting quality from stored decisions: only audited rows of the cohort's queues and labelers on their
nesting days in Manila's zone, each verdict, and the Wilson bounds against the closed-form interval.

The plan (examples/training/new-labeler.yml) laid in Manila from Mon 23 Nov 2026 nests on 25, 26, 27 Nov,
1 and 2 Dec: Sat 28, Sun 29 and Bonifacio Day (Mon 30 Nov) are skipped. Manila is UTC+8, so a row's UTC
day is not its local day.
"""

from __future__ import annotations

import io
import math
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from bot.workspace_training import Site
from handlers.queue_data.frames import read_decisions
from handlers.training.cohort import Cohort, Member
from handlers.training.nesting import NestingQuality, nesting_days, nesting_quality
from handlers.training.plan import load_plan
from handlers.training.schedule import lay_out
from storage.engine import Database
from storage.queue_data import store_decisions

ROOT = Path(__file__).resolve().parents[2]
MANILA = Site(id="manila", timezone="Asia/Manila", country="PH", hours="08:00-16:30")
TZ = ZoneInfo("Asia/Manila")
Z = 1.959963984540054
QUEUE, OTHER_QUEUE = "spam-ph", "hate-en"


def hand_wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson (1927) score interval written out, independent of statsmodels."""
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return centre - half, centre + half


def cohort(members: tuple[Member, ...]) -> Cohort:
    plan = load_plan(ROOT / "examples" / "training" / "new-labeler.yml")
    layout = lay_out(plan, MANILA, date(2026, 11, 23), date(2026, 12, 11))
    return Cohort(
        id=1,
        name="manila-nov",
        vendor="bluebird",
        site="manila",
        queues=(QUEUE,),
        plan=plan,
        start=date(2026, 11, 23),
        target=date(2026, 12, 11),
        channel=None,
        created_by="U0",
        status="active",
        sessions=layout.sessions,
        members=members,
    )


MEMBERS = (
    Member("T1", "trainer", "L0"),
    Member("U1", "labeler", "L1"),
    Member("U2", "labeler", "L2"),
    Member("U3", "labeler", "L3"),
    Member("U4", "labeler", "L4"),
    Member("U5", "labeler", None),
)


def local(day: int, month: int = 11, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


class Rows:
    """Synthetic decisions, each `count` rows of one labeler at one local time."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(
        self,
        labeler: str,
        at: datetime,
        agreed: int,
        wrong: int = 0,
        *,
        queue: str = QUEUE,
        audited: bool = True,
        no_decision: int = 0,
        vendor: str = "bluebird",
    ) -> None:
        pairs = [("keep", "keep")] * agreed + [("remove", "keep")] * wrong + [(None, "keep")] * no_decision
        for decision, qa in pairs:
            done = at + timedelta(seconds=len(self.rows))
            self.rows.append(
                {
                    "item_id": f"item-{len(self.rows)}",
                    "queue": queue,
                    "vendor": vendor,
                    "site": "manila",
                    "labeler_id": labeler,
                    "enqueued_at": (done - timedelta(minutes=20)).isoformat(),
                    "completed_at": done.isoformat(),
                    "handle_seconds": 30.0,
                    "decision": decision,
                    "qa_decision": qa if audited else None,
                }
            )

    async def store(self, db: Database) -> None:
        buffer = io.BytesIO()
        pd.DataFrame(self.rows).to_csv(buffer, index=False)
        buffer.seek(0)
        async with db.transaction() as session:
            await store_decisions(session, read_decisions(buffer, "UTC"))


def seeded() -> Rows:
    """Counted rows below are marked; everything else must be left out."""
    r = Rows()
    # L1: 28 agreed, 2 wrong over the nesting days -> 28/30 met.
    r.add("L1", local(25, hour=0, minute=30), 10)  # counted: 24 Nov 16:30 UTC, 25 Nov in Manila
    r.add("L1", local(26), 8, 1)  # counted
    r.add("L1", local(2, 12, hour=23, minute=50), 10, 1)  # counted: last nesting day, late evening
    r.add("L1", local(24, hour=23, minute=50), 5)  # 24 Nov in Manila (15:50 UTC): not nesting
    r.add("L1", local(30), 4, 4)  # Bonifacio Day: not a nesting day
    r.add("L1", local(28), 3)  # Saturday
    r.add("L1", local(3, 12, hour=0, minute=5), 6)  # 3 Dec in Manila, still 2 Dec in UTC
    r.add("L1", local(26), 5, 5, queue=OTHER_QUEUE)  # another queue
    r.add("L1", local(27), 9, 9, audited=False)  # not audited
    r.add("L1", local(26), 2, 12, vendor="northwind")  # another vendor's labeler L1 on the same queue
    # L2: 28 of 40 -> whole interval under 0.9.
    r.add("L2", local(25), 14, 6)
    r.add("L2", local(1, 12), 14, 6)
    # L3: 21 of 25 (one wrong has no labeler decision) -> under target, not conclusive.
    r.add("L3", local(27), 21, 3, no_decision=1)
    # L4: 10 audits only.
    r.add("L4", local(26), 10)
    # Not in the cohort: another labeler, and the trainer's own decisions.
    r.add("L9", local(26), 1, 30)
    r.add("L0", local(26), 1, 30)
    return r


def test_nesting_days_are_the_local_days_of_nesting_sessions() -> None:
    assert nesting_days(cohort(MEMBERS)) == [
        date(2026, 11, 25),
        date(2026, 11, 26),
        date(2026, 11, 27),
        date(2026, 12, 1),
        date(2026, 12, 2),
    ]


async def test_each_labeler_verdict_with_wilson_bounds(db: Database) -> None:
    await seeded().store(db)
    rows = await nesting_quality(db, cohort(MEMBERS), MANILA, local(5, 12))
    by_user = {r.user_id: r for r in rows}
    assert [r.user_id for r in rows] == ["U1", "U2", "U3", "U4", "U5"]  # labelers only, by user
    expected = {"U1": (30, 28), "U2": (40, 28), "U3": (25, 21), "U4": (10, 10)}
    for user, (audited, agreed) in expected.items():
        row = by_user[user]
        assert (row.audited, row.agreed) == (audited, agreed), user
        assert row.quality == pytest.approx(agreed / audited)
        low, high = hand_wilson(agreed, audited)
        assert row.low == pytest.approx(low, abs=1e-9) and row.high == pytest.approx(high, abs=1e-9)
        assert row.target == 0.9
    assert by_user["U1"].verdict == "met"
    assert by_user["U2"].verdict == "below target" and by_user["U2"].high < 0.9  # type: ignore[operator]
    assert by_user["U3"].verdict == "under target, not conclusive"
    assert by_user["U3"].high >= 0.9  # type: ignore[operator]
    assert by_user["U4"].verdict == "not enough audits yet"
    assert by_user["U5"] == NestingQuality("U5", None, 0, 0, None, None, None, 0.9, "no labeler id")


async def test_min_audits_is_the_workspace_setting(db: Database) -> None:
    await seeded().store(db)
    rows = await nesting_quality(db, cohort(MEMBERS), MANILA, local(5, 12), min_audits=10)
    assert {r.user_id: r.verdict for r in rows}["U4"] == "met"
    rows = await nesting_quality(db, cohort(MEMBERS), MANILA, local(5, 12), min_audits=31)
    assert {r.user_id: r.verdict for r in rows}["U1"] == "not enough audits yet"


async def test_before_nesting_begins_and_part_way_through(db: Database) -> None:
    await seeded().store(db)
    before = await nesting_quality(db, cohort(MEMBERS), MANILA, local(25, hour=7, minute=59))
    assert {r.user_id: r.verdict for r in before} == {
        "U1": "not started",
        "U2": "not started",
        "U3": "not started",
        "U4": "not started",
        "U5": "no labeler id",
    }
    assert all(r.audited == 0 and r.quality is None for r in before)
    # Rows are one second apart in the order added: L1's 26 Nov rows are at 10:00:10 .. 10:00:18. At
    # 10:00:14 the ten rows of 25 Nov and four of 26 Nov (all agreed) have been completed.
    during = await nesting_quality(db, cohort(MEMBERS), MANILA, local(26) + timedelta(seconds=14))
    u1 = next(r for r in during if r.user_id == "U1")
    assert (u1.audited, u1.agreed, u1.verdict) == (14, 14, "not enough audits yet")


async def test_a_plan_without_nesting_has_no_rows(db: Database) -> None:
    base = cohort(MEMBERS)
    plan = base.plan.model_copy(update={"modules": [m for m in base.plan.modules if m.kind != "nesting"]})
    sessions = tuple(s for s in base.sessions if s.kind != "nesting")
    no_nesting = Cohort(**{**base.__dict__, "plan": plan, "sessions": sessions})
    assert nesting_days(no_nesting) == []
    assert await nesting_quality(db, no_nesting, MANILA, local(5, 12)) == []
