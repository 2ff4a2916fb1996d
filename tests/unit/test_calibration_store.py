"""Calibration votes in the database: a participant's last votes arriving at once (two clicks on two
replicas) still finish them exactly once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from handlers.calibration import store
from handlers.calibration.items import ItemDraft
from storage.engine import Database

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LABELS = ("allow", "remove")


def draft(person: str, items: int) -> store.SessionDraft:
    return store.SessionDraft(
        title="Quoted terms",
        queue="hate-en",
        vendor="northwind",
        labels=LABELS,
        facilitator="U0QALEAD1",
        channel="C0QAOPS01",
        due_at=NOW + timedelta(days=2),
        threshold=0.7,
        items=tuple(ItemDraft(f"ITEM-{n}") for n in range(1, items + 1)),
        participants=(person,),
    )


async def test_two_last_votes_at_once_finish_the_participant_once(db: Database, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("two writers at once need PostgreSQL (SQLite serialises its writers)")
    person = "U0LABEL01"
    for attempt in range(12):
        row, made = await store.create(
            db, f"calibrate-new:race{attempt}", draft(person, 3), NOW, lambda _: []
        )
        assert made
        sid = row.session_id
        first = await store.vote(db, sid, 1, person, "allow", None, NOW)
        assert first.outcome == "recorded" and not first.finished_now
        both = await asyncio.gather(
            store.vote(db, sid, 2, person, "remove", None, NOW),
            store.vote(db, sid, 3, person, "allow", None, NOW),
        )
        assert [v.outcome for v in both] == ["recorded", "recorded"]
        assert sum(v.finished_now for v in both) == 1, f"attempt {attempt}: finished {both}"
        member = await store.participant(db, sid, person)
        assert member is not None and member.finished_at is not None


async def test_unused_uploaded_items_are_forgotten_after_a_week(db) -> None:  # noqa: ANN001
    from datetime import UTC, datetime, timedelta

    from handlers.calibration.items import ItemDraft

    now = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    old = await store.save_draft(db, "U1", "old.csv", [ItemDraft("A")], now - timedelta(days=8))
    fresh = await store.save_draft(db, "U1", "new.csv", [ItemDraft("B")], now - timedelta(days=6))
    assert await store.forget_drafts_before(db, now - timedelta(days=7)) == 1
    assert await store.draft_of(db, old, "U1") is None
    assert await store.draft_of(db, fresh, "U1") == ("new.csv", (ItemDraft("B"),))
