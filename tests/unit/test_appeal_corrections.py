"""Overturned appeals correct every quality figure without rewriting the ingested rows: the reads join
the outcome, the daily blocks of every timezone take the difference once (even after the raw row has
expired), the digest counts and says it, calibration stops picking the verdict; and audited_us is set
when an audit is stored, never by a re-ingest (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import delete, select, text

from bot.slack import render
from bot.workspace import DigestSchedule, Workspace
from handlers.calibration.disagreements import audited_disagreements, pick_from_audits
from handlers.digest.service import digest_for_day, digest_from_file
from handlers.digest.views import digest_message
from handlers.queue_data.aggregate import MEASURES, daily_aggregates
from handlers.queue_data.corrections import VerdictChange, apply_verdict_change
from handlers.queue_data.frames import read_decisions
from handlers.queue_data.generate import generate_decisions
from handlers.queue_data.ingest import ingest_decisions
from storage import queue_data
from storage.decision_reads import decisions_query
from storage.engine import Database
from storage.models.appeals import OPEN, OVERTURNED, UPHELD, Appeal
from storage.models.digest import Decision

START = date(2026, 11, 2)
DAYS = 3
NOW = datetime(2026, 11, 6, 9, tzinfo=UTC)
EVERYTHING = (0, 2**62)
LABELS = ["allow", "age_restrict", "remove", "escalate"]


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    """The example workspace (Dublin; Lisbon and Nairobi digests) plus a New York digest: a decision in
    the early UTC hours is on the day before there, one late in the evening on the day after in Nairobi."""
    new_york = DigestSchedule(channel="C0NEWYORK1", at="09:00", timezone="America/New_York")
    return workspace.model_copy(update={"digests": [*workspace.digests, new_york]})


@pytest.fixture
def frame(ws: Workspace) -> pd.DataFrame:
    return generate_decisions(ws, START, DAYS, seed=5, scale=0.3, auditors=True)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def micros(stamp: str) -> int:
    return pd.Timestamp(stamp).value // 1_000


def audited(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["qa_decision"].notna() & (frame["qa_decision"] != "")]


def other_label(*taken: str) -> str:
    return next(label for label in LABELS if label not in taken)


def the_decision(row: pd.Series) -> dict[str, Any]:
    """What an appeal copies of its decision, and the verdict change reads."""
    names = ["queue", "item_id", "labeler_id", "vendor", "site", "decision"]
    return {"completed_us": micros(row["completed_at"]), **{name: row[name] for name in names}}


def change_of(row: pd.Series, now: str) -> VerdictChange:
    return VerdictChange(**the_decision(row), was=row["qa_decision"], now=now)


def appeal(row: pd.Series, status: str, final: str | None) -> Appeal:
    at = NOW + timedelta(hours=1)
    return Appeal(
        **the_decision(row),
        qa_decision=row["qa_decision"],
        qa_auditor=row["qa_auditor"],
        audited_at=NOW,
        user_id="U0LABEL01",
        reason="The policy allows satire.",
        policy_section="3.2",
        filed_at=at,
        due_at=at + timedelta(days=2),
        status=status,
        final_label=final,
        corrected_at=at if status == OVERTURNED else None,  # what appeals.store.correct marks
    )


async def decide(db: Database, ws: Workspace, row: pd.Series, status: str, final: str | None = None) -> None:
    """An appeal reviewed as the appeals code does it: the status and the blocks in one transaction."""
    async with db.transaction() as session:
        session.add(appeal(row, status, final))
        if status == OVERTURNED:
            await apply_verdict_change(session, ws, change_of(row, final))


async def ingest(db: Database, ws: Workspace, frame: pd.DataFrame, now: datetime = NOW) -> None:
    report = await ingest_decisions(db, ws, csv_bytes(frame), "decisions.csv", now=now)
    assert report.invalid == 0


async def stored_blocks(db: Database, tz: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    async with db.transaction() as session:
        return await queue_data.load_daily(session, tz, date(2026, 10, 1), date(2026, 12, 1))


def in_order(frame: pd.DataFrame, columns: list[str], measures: list[str]) -> pd.DataFrame:
    keys = [c for c in columns if c not in measures]
    return frame[columns].sort_values(keys).reset_index(drop=True)


def assert_same_blocks(
    got: tuple[pd.DataFrame, pd.DataFrame], frame: pd.DataFrame, ws: Workspace, tz: str
) -> None:
    """The stored blocks equal a recompute of every decision, labels as `frame` has them."""
    want = daily_aggregates(read_decisions(csv_bytes(frame), tz), ws, tz)
    for stored, expected, measures in (
        (got[0], want.labeler_days, MEASURES),
        (got[1], want.pairs, ["count"]),
    ):
        columns = list(expected.columns)
        pd.testing.assert_frame_equal(
            in_order(stored, columns, measures).astype({m: "float64" for m in measures}),
            in_order(expected, columns, measures).astype({m: "float64" for m in measures}),
            check_dtype=False,
        )


async def test_reads_join_only_an_overturned_outcome(db, ws, frame) -> None:
    await ingest(db, ws, frame)
    rows = audited(frame).head(3)
    (_, over), (_, still_open), (_, upheld) = rows.iterrows()
    final = other_label(over["qa_decision"])
    await decide(db, ws, over, OVERTURNED, final)
    # A label on an appeal not overturned (a proposal, a stale value) must not count either.
    await decide(db, ws, still_open, OPEN, other_label(still_open["qa_decision"]))
    await decide(db, ws, upheld, UPHELD, other_label(upheld["qa_decision"]))

    expected = frame.set_index(["queue", "item_id"])["qa_decision"].copy()
    expected[(over["queue"], over["item_id"])] = final
    async with db.transaction() as session:
        everything = (await queue_data.decisions_between(session, *EVERYTHING)).to_pandas()
        audits = (await queue_data.audited_between(session, *EVERYTHING, None)).to_pandas()
        one_queue = (await queue_data.audited_between(session, *EVERYTHING, [over["queue"]])).to_pandas()
        raw = await session.scalar(
            select(Decision.qa_decision).where(
                Decision.item_id == over["item_id"], Decision.queue == over["queue"]
            )
        )
    for read in (everything, audits, one_queue):
        got = read.set_index(["queue", "item_id"])["qa_decision"]
        assert got.to_dict() == expected[got.index].to_dict()
    assert len(everything) == len(frame) and len(audits) == len(audited(frame))
    assert (over["queue"], over["item_id"]) in one_queue.set_index(["queue", "item_id"]).index
    assert raw == over["qa_decision"]  # the ingested row keeps QA's verdict


async def test_the_blocks_take_the_difference_in_every_timezone(db, ws, frame) -> None:
    await ingest(db, ws, frame)
    audits = audited(frame)
    hours = pd.to_datetime(audits["completed_at"], utc=True).dt.hour
    late, early = audits[hours >= 21].iloc[0], audits[hours < 4].iloc[0]  # Nairobi's next day, NY's last
    rest = audits.drop(index=[late.name, early.name])
    disagree = rest[rest["decision"] != rest["qa_decision"]]
    agree = rest[rest["decision"] == rest["qa_decision"]]
    chosen = [
        (disagree.iloc[0], disagree.iloc[0]["decision"]),  # now agrees
        (agree.iloc[0], other_label(agree.iloc[0]["decision"])),  # now disagrees
        (disagree.iloc[1], other_label(disagree.iloc[1]["decision"], disagree.iloc[1]["qa_decision"])),
        (late, other_label(late["qa_decision"])),
        (early, other_label(early["qa_decision"])),
    ]
    assert len({row["item_id"] for row, _ in chosen}) == len(chosen)
    before = {tz: await stored_blocks(db, tz) for tz in ws.timezones()}

    corrected = frame.copy()
    for row, final in chosen:
        await decide(db, ws, row, OVERTURNED, final)
        corrected.loc[row.name, "qa_decision"] = final

    assert ws.timezones() == ["Europe/Dublin", "Europe/Lisbon", "Africa/Nairobi", "America/New_York"]
    for tz in ws.timezones():
        after = await stored_blocks(db, tz)
        assert_same_blocks(after, corrected, ws, tz)
        assert not after[0].equals(before[tz][0])
    # The decisions picked do fall on other local days there, so those days were the ones corrected.
    assert (
        pd.Timestamp(late["completed_at"]).tz_convert("Africa/Nairobi").date()
        != pd.Timestamp(late["completed_at"]).tz_convert("Europe/Dublin").date()
    )
    assert (
        pd.Timestamp(early["completed_at"]).tz_convert("America/New_York").date()
        != pd.Timestamp(early["completed_at"]).tz_convert("Europe/Dublin").date()
    )


async def test_a_purged_decision_still_moves_the_blocks_by_one_verdict(db, ws, frame) -> None:
    await ingest(db, ws, frame)
    audits = audited(frame)
    row = audits[audits["decision"] != audits["qa_decision"]].iloc[0]
    async with db.transaction() as session:
        await session.execute(delete(Decision))  # as retention does: every raw row gone
    before = await stored_blocks(db, ws.timezone)

    await decide(db, ws, row, OVERTURNED, row["decision"])
    after = await stored_blocks(db, ws.timezone)

    day = pd.Timestamp(row["completed_at"]).tz_convert(ws.timezone).date()
    key = (day, row["queue"], row["vendor"], row["site"], row["labeler_id"])
    expected = before[0].set_index(["day", "queue", "vendor", "site", "labeler_id"]).copy()
    expected.loc[key, "agreed"] += 1
    got = after[0].set_index(expected.index.names)
    pd.testing.assert_frame_equal(got.sort_index(), expected.sort_index(), check_dtype=False)

    pair_keys = ["day", "queue", "vendor", "site", "decision", "qa_decision"]
    pairs = before[1].set_index(pair_keys)["count"].copy()
    pairs[(*key[:4], row["decision"], row["qa_decision"])] -= 1
    assert after[1].set_index(pair_keys)["count"].sort_index().to_dict() == pairs[pairs > 0].to_dict()


async def test_the_digest_counts_one_more_agreed_verdict_and_says_so(db, ws, frame) -> None:
    await ingest(db, ws, frame)
    audits = audited(frame)
    row = audits[audits["decision"] != audits["qa_decision"]].iloc[0]
    day = pd.Timestamp(row["completed_at"]).tz_convert(ws.timezone).date()
    before = await digest_for_day(db, ws, day)
    assert before["overturned"] == 0

    await decide(db, ws, row, OVERTURNED, row["decision"])
    after = await digest_for_day(db, ws, day)
    assert after["overturned"] == 1
    for was, now in [(before["overall"], after["overall"])] + [
        (b, a) for b, a in zip(before["queues"], after["queues"], strict=True) if a["id"] == row["queue"]
    ]:
        assert now["audited"] == was["audited"] > 0
        assert (
            round(now["quality_score"] * now["audited"]) == round(was["quality_score"] * was["audited"]) + 1
        )
    others = [q.id for q in ws.queues if q.id != row["queue"]]
    assert (await digest_for_day(db, ws, day, queues=others))["overturned"] == 0
    assert (await digest_for_day(db, ws, day + timedelta(days=1)))["overturned"] == 0

    # A timezone kept in no block is computed from the raw rows, joined the same way.
    corrected = frame.copy()
    corrected.loc[row.name, "qa_decision"] = row["decision"]
    tokyo = await digest_for_day(db, ws, day, tz="Asia/Tokyo")
    assert tokyo | {"overturned": 0} == digest_from_file(ws, csv_bytes(corrected), day, tz="Asia/Tokyo")
    on_that_day = pd.Timestamp(row["completed_at"]).tz_convert("Asia/Tokyo").date() == day
    assert tokyo["overturned"] == int(on_that_day)
    assert digest_from_file(ws, csv_bytes(frame), day)["overturned"] == 0


def context_texts(message: Any) -> list[str]:
    blocks = render.blocks(message.parts)
    return [e.get("text", "") for b in blocks if b["type"] == "context" for e in b["elements"]]


@pytest.mark.parametrize(
    ("count", "line"),
    [
        (0, None),
        (1, "Quality counts 1 QA verdict overturned on appeal."),
        (3, "Quality counts 3 QA verdicts overturned on appeal."),
    ],
)
def test_the_digest_message_says_how_many_verdicts_were_overturned(ws, frame, count, line) -> None:
    digest = digest_from_file(ws, csv_bytes(frame), START + timedelta(days=1)) | {"overturned": count}
    said = [t for t in context_texts(digest_message(digest)) if "overturned" in t]
    assert said == ([] if line is None else [line])


async def test_audited_us_is_set_once_when_the_audit_is_stored(db, ws, frame) -> None:
    held_back = frame["qa_decision"].notna() & (frame.index % 2 == 0)
    first = frame.copy()
    first.loc[held_back, ["qa_decision", "qa_auditor"]] = None
    later = NOW + timedelta(hours=5)

    async def times() -> dict[tuple[str, str], int | None]:
        async with db.transaction() as session:
            query = select(Decision.queue, Decision.item_id, Decision.audited_us)
            return {(queue, item): at for queue, item, at in (await session.execute(query)).all()}

    def keys(frame: pd.DataFrame) -> list[tuple[str, str]]:
        return list(zip(frame["queue"], frame["item_id"], strict=True))

    def expected(frame: pd.DataFrame, at: datetime) -> dict[tuple[str, str], int | None]:
        at_us = int(at.timestamp() * 1_000_000)
        done = frame["qa_decision"].notna()
        return {key: (at_us if d else None) for key, d in zip(keys(frame), done, strict=True)}

    await ingest(db, ws, first, NOW)
    assert await times() == expected(first, NOW)
    await ingest(db, ws, first, later)  # the same file again changes nothing
    assert await times() == expected(first, NOW)
    await ingest(db, ws, frame, later)  # the held-back audits come back
    filled = expected(first, NOW) | {
        key: int(later.timestamp() * 1_000_000) for key in keys(frame[held_back])
    }
    assert await times() == filled and len(filled) > 0 and held_back.sum() > 0
    await ingest(db, ws, frame, later + timedelta(days=1))  # and again: still the first times
    assert await times() == filled


async def test_calibration_no_longer_picks_an_overturned_disagreement(db, ws, frame) -> None:
    await ingest(db, ws, frame)
    audits = audited(frame)
    queue = audits[audits["decision"] != audits["qa_decision"]]["queue"].value_counts().index[0]
    mine = audits[(audits["queue"] == queue) & (audits["decision"] != audits["qa_decision"])]
    assert len(mine) >= 3
    agrees, moved, still_open = mine.iloc[0], mine.iloc[1], mine.iloc[2]
    now, days = NOW, 30

    def picked(items) -> set[str]:
        return {item.item_id for item in items}

    assert {agrees["item_id"], moved["item_id"]} <= picked(
        await pick_from_audits(db, queue, LABELS, now, 100, days)
    )
    new_label = other_label(moved["decision"], moved["qa_decision"])
    await decide(db, ws, agrees, OVERTURNED, agrees["decision"])
    await decide(db, ws, moved, OVERTURNED, new_label)
    await decide(db, ws, still_open, OPEN)

    found = {d.item_id: d.qa_decision for d in await audited_disagreements(db, queue, now, days)}
    assert agrees["item_id"] not in found
    assert found[moved["item_id"]] == new_label
    assert found[still_open["item_id"]] == still_open["qa_decision"]
    assert len(found) == len(mine) - 1
    assert agrees["item_id"] not in picked(await pick_from_audits(db, queue, LABELS, now, 100, days))


async def test_the_sqlite_read_searches_the_decisions_key_range(sqlite_db) -> None:
    async with sqlite_db.transaction() as session:
        plan = (await session.execute(text("EXPLAIN QUERY PLAN " + decisions_query(0, 10)))).all()
    details = [row[-1] for row in plan]
    assert any(
        d.startswith("SEARCH d USING PRIMARY KEY (completed_us>? AND completed_us<?)") for d in details
    )
    assert any(d.startswith("SEARCH a USING INDEX") for d in details)
