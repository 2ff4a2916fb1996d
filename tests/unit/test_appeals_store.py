"""Appeals stored once and decided once (on SQLite and PostgreSQL), whoever asks twice or at once; a
labeler's audits found by their roster entry; reviewers and auditors told apart."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from bot.roles import RoleResolver
from bot.workspace import Person
from bot.workspace_appeals import AppealSettings
from handlers.appeals import access, store, window
from handlers.appeals.store import DecisionKey, Filing, Ruling
from handlers.queue_data import labelers
from handlers.queue_data.ingest import ingest_decisions
from storage import claims, queue_data
from storage.models import Appeal, DailyLabelerOutput
from storage.models.training import TrainingCohort, TrainingMember
from tests.e2e.appeals_flow import DAY, IDENTITY, LABELER, LABELER_ID, QUINN, TARA, decisions_csv, on_roster

NOW = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)


class _Services:
    """What access.py reads of the bot's services: the workspace and the role resolver."""

    def __init__(self, workspace, db) -> None:  # noqa: ANN001
        self.workspace, self.db = workspace, db

        async def no_groups(_group: str) -> list[str]:
            return []

        self.roles = RoleResolver(workspace, no_groups)


def appeals_on(workspace, **values):  # noqa: ANN001, ANN201
    settings = AppealSettings(channel="C0QAOPS01", auditors={"qa-01": QUINN}, **values)
    return workspace.model_copy(update={"appeals": settings})


async def loaded(db, workspace) -> list[store.Audited]:  # noqa: ANN001
    await ingest_decisions(db, workspace, decisions_csv(), "audits.csv", now=NOW)
    await on_roster(db, LABELER)
    return await store.disagreements(db, {IDENTITY}, NOW - timedelta(days=8))


async def test_a_labelers_disagreements_are_theirs_and_only_disagreements(db, workspace) -> None:
    ws = appeals_on(workspace)
    found = await loaded(db, ws)
    assert [(i.key.item_id, i.decision, i.qa_decision, i.qa_auditor) for i in found] == [
        ("ap-001", "remove", "allow", "qa-01"),  # the soonest to close first (same audit: the older decision)
        ("ap-002", "age_restrict", "remove", "qa-02"),
    ]
    assert all(i.audited_at == NOW and i.status is None for i in found)
    assert await store.disagreements(db, {("someone-else", "northwind")}, NOW - timedelta(days=8)) == []
    assert await store.disagreements(db, {IDENTITY}, NOW + timedelta(seconds=1)) == []  # audited before
    assert await access.own_ids(db, LABELER) == {IDENTITY}
    assert await access.own_ids(db, "U0NOBODY1") == access.NO_ID


async def test_a_labeler_id_two_people_hold_belongs_to_neither(db, workspace) -> None:
    await loaded(db, appeals_on(workspace))
    async with db.transaction() as session:
        session.add(TrainingCohort(cohort_id=1, name="c1", created_key="k", vendor="northwind",
                                   site="lisbon", queues='["hate-en"]', plan_name="p", plan="{}", start=DAY,
                                   target=DAY, channel=None, created_by=TARA, created_at=NOW,
                                   status="active"))  # fmt: skip
    async with db.transaction() as session:
        session.add(TrainingMember(cohort_id=1, user_id="U0LABEL02", role="labeler", labeler_id=LABELER_ID,
                                   added_at=NOW))  # fmt: skip
    assert IDENTITY not in {i for ids in (await labelers.owners(db)).values() for i in ids}
    said = await access.own_ids(db, LABELER)
    assert isinstance(said, str) and "given to someone else too" in said


async def test_filed_once_however_often_and_however_concurrently(db, workspace) -> None:
    ws = appeals_on(workspace)
    item = (await loaded(db, ws))[1]
    filing = Filing(LABELER, "Policy 4.2 allows it.", "4.2")
    results = await asyncio.gather(*(store.file(db, ws, item, filing, NOW) for _ in range(4)))
    assert sum(won for _, won in results) == 1
    # One number for all four; PostgreSQL spends a sequence value on each insert tried, so not always 1.
    [number] = {appeal.appeal_id for appeal, _ in results}
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Appeal)) == 1
    thread = await claims.state(db, f"appeal-thread:{number}")
    remind = await claims.state(db, f"appeal-remind:{number}:0")
    assert thread is not None and thread.due_at == NOW
    # Filed Tuesday 24 Nov → due by the end of Friday 27 Nov; the first reminder that morning at 09:00.
    assert remind is not None and remind.due_at == datetime(2026, 11, 27, 9, tzinfo=UTC)
    appeal = results[0][0]
    assert appeal.due_at == datetime(2026, 11, 28, tzinfo=UTC) and appeal.status == "open"
    listed = await store.disagreements(db, {IDENTITY}, NOW - timedelta(days=8))
    assert [(i.key.item_id, i.status, i.appeal_id) for i in listed] == [
        ("ap-001", None, None),
        ("ap-002", "open", number),
    ]


async def agreed_on_day(db, ws) -> tuple[int, int]:  # noqa: ANN001
    async with db.transaction() as session:
        row = (
            await session.execute(
                select(func.sum(DailyLabelerOutput.audited), func.sum(DailyLabelerOutput.agreed)).where(
                    DailyLabelerOutput.labeler_id == LABELER_ID, DailyLabelerOutput.day == DAY,
                    DailyLabelerOutput.timezone == ws.timezone,
                )
            )
        ).one()  # fmt: skip
    return int(row[0]), int(row[1])


async def test_decided_once_when_two_reviewers_decide_at_once(db, workspace) -> None:
    ws = appeals_on(workspace)
    item = next(i for i in await loaded(db, ws) if i.key.item_id == "ap-001")
    await store.file(db, ws, item, Filing(LABELER, "why", "4.2"), NOW)
    assert await agreed_on_day(db, ws) == (3, 1)
    rulings = [Ruling("overturned", TARA, "right"), Ruling("upheld", "U0OTHER01", "wrong"),
               Ruling("overturned", TARA, "right")]  # fmt: skip
    later = NOW + timedelta(days=1)
    results = await asyncio.gather(*(store.decide(db, 1, r, later) for r in rulings))
    assert sum(won for _, won in results) == 1
    async with db.transaction() as session:
        appeal = await session.get(Appeal, 1)
    assert appeal is not None and appeal.decided_at == later
    assert await agreed_on_day(db, ws) == (3, 1)  # the figures wait for the correction's timer
    assert await claims.state(db, "appeal-decided:1") is not None
    overturned = appeal.status == "overturned"
    assert (await claims.state(db, "appeal-correct:1") is not None) == overturned
    # the correction, run twice at once (a retry racing the first): the day's blocks move once
    done = await asyncio.gather(*(store.correct(db, ws, 1, later) for _ in range(3)))
    assert sum(done) == (1 if overturned else 0)
    assert await agreed_on_day(db, ws) == ((3, 2) if overturned else (3, 1))
    assert await store.correct(db, ws, 1, later) is False
    # the raw row keeps the audit as it was; reads join the outcome
    async with db.transaction() as session:
        start = int(datetime(2026, 11, 23, tzinfo=UTC).timestamp() * 1e6)
        table = await queue_data.decisions_between(session, start, start + 86_400_000_000)
    rows = {r["item_id"]: r for r in table.to_pylist() if r["labeler_id"] == LABELER_ID}
    assert rows["ap-001"]["qa_decision"] == ("remove" if appeal.status == "overturned" else "allow")


async def test_the_auditor_and_the_labeler_are_not_reviewers(db, workspace) -> None:
    avery = Person(id="U0AUDIT01", name="Avery Auditor", email="avery@example.com")
    ws = appeals_on(workspace.model_copy(update={"people": [*workspace.people, avery],
                                                 "trainers": [TARA, avery.id]}))  # fmt: skip
    services = _Services(ws, db)
    # audited by qa-01 (mapped to Quinn), by Avery's name and by Avery's e-mail
    rows = (("ap-101", "remove", "allow", "qa-01"), ("ap-102", "remove", "allow", "Avery Auditor"),
            ("ap-103", "remove", "allow", "avery@example.com"))  # fmt: skip
    await ingest_decisions(db, ws, decisions_csv(rows=rows), "audits.csv", now=NOW)
    await on_roster(db, LABELER)
    items = {i.key.item_id: i for i in await store.disagreements(db, {IDENTITY}, NOW - timedelta(days=8))}
    one, by_name, by_mail = [
        (await store.file(db, ws, items[item], Filing(LABELER, "why", "4.2"), NOW))[0]
        for item in ("ap-101", "ap-102", "ap-103")
    ]
    assert "You audited this decision (qa-01)" in (await access.review_refusal(services, QUINN, one) or "")
    assert await access.review_refusal(services, TARA, one) is None
    assert await access.review_refusal(services, avery.id, one) is None
    for appeal in (by_name, by_mail):
        refused = await access.review_refusal(services, avery.id, appeal) or ""
        assert f"You audited this decision ({appeal.qa_auditor})" in refused
        assert await access.review_refusal(services, QUINN, appeal) is None
    assert not access.auditor_unmapped(ws, by_mail)
    assert "decided by the appeal reviewers" in (await access.review_refusal(services, LABELER, one) or "")
    assert "Vendor leads do not decide appeals" in (
        await access.review_refusal(services, "U0NWLEAD1", one) or ""
    )
    # a vendor lead inside a reviewers group is neither a reviewer (no reminders, no counts) nor allowed
    assert "U0NWLEAD1" not in await access.reviewers(
        _Services(appeals_on(workspace, reviewers=["U0NWLEAD1"]), db)
    )
    # named reviewers replace the admins and trainers; a vendor lead is refused even when named
    named = _Services(appeals_on(workspace, reviewers=["U0LABEL02", "U0NWLEAD1"]), db)
    assert await access.review_refusal(named, "U0LABEL02", by_name) is None
    assert "decided by the appeal reviewers" in (await access.review_refusal(named, TARA, by_name) or "")
    assert "Vendor leads do not decide appeals" in (
        await access.review_refusal(named, "U0NWLEAD1", by_name) or ""
    )


async def test_one_vendors_labeler_id_is_not_anothers(db, workspace) -> None:
    """Two vendors numbering labelers alike: the roster says northwind, so bluebird's audits under the same
    ID are not this person's to see or appeal."""
    ws = appeals_on(workspace)
    await loaded(db, ws)
    bluebird = decisions_csv(rows=(("bb-001", "remove", "allow", "qa-03"),)).decode()
    bluebird = bluebird.replace("hate-en,northwind,lisbon", "graphic-img,bluebird,nairobi").encode()
    await ingest_decisions(db, ws, bluebird, "bluebird.csv", now=NOW)
    mine = await store.disagreements(db, {IDENTITY}, NOW - timedelta(days=8))
    assert {i.key.item_id for i in mine} == {"ap-001", "ap-002"}
    theirs = await store.disagreements(db, {(LABELER_ID, "bluebird")}, NOW - timedelta(days=8))
    assert [i.key.item_id for i in theirs] == ["bb-001"]
    assert not await access.owns(db, LABELER, theirs[0]) and await access.owns(db, LABELER, mine[0])


async def test_a_late_loaded_audit_does_not_reopen_an_old_verdict(db, workspace) -> None:
    """Audits stored 27 days after their decisions (a backfill) count from 14 days after the decision
    (7 Dec): their window closed on 14 Dec; one stored 3 days after its decision is open 7 days from then."""
    ws = appeals_on(workspace)
    await on_roster(db, LABELER)
    await ingest_decisions(db, ws, decisions_csv(), "audits.csv", now=datetime(2026, 12, 20, 9, tzinfo=UTC))
    now = datetime(2026, 12, 20, 10, tzinfo=UTC)
    since = window.opened_since(now, ws.appeals, ws.tz)
    assert await store.disagreements(db, {IDENTITY}, since) == []
    assert await store.appealable_count(db, {IDENTITY}, since) == 0
    fresh = decisions_csv(day=date(2026, 12, 17), rows=(("ap-201", "remove", "allow", "qa-02"),))
    await ingest_decisions(db, ws, fresh, "fresh.csv", now=now)
    [item] = await store.disagreements(db, {IDENTITY}, since)
    assert item.key.item_id == "ap-201" and item.audited_at == now
    assert window.closes_on(item.audited_at, ws.appeals, ws.tz) == date(2026, 12, 27)
    assert await store.appealable_count(db, {IDENTITY}, since) == 1


def test_a_button_value_is_parsed_strictly() -> None:
    assert DecisionKey.parse("1764000000000000|hate-en|ap-001") == DecisionKey(
        1764000000000000, "hate-en", "ap-001"
    )
    assert DecisionKey.parse("1|q|item|with|bars") == DecisionKey(1, "q", "item|with|bars")
    for bad in ("", "x|hate-en|a", "1|hate-en|", "1||a", "-1|q|a", "1" * 20 + "|q|a"):
        assert DecisionKey.parse(bad) is None, bad


async def test_an_overturn_to_a_third_label_moves_the_error_pair_not_the_agreement(db, workspace) -> None:
    """QA said allow, the labeler remove, the reviewer escalate: still a disagreement, now remove→escalate."""
    from handlers.appeals.views import right_labels
    from storage.models import DailyErrorPair

    ws = appeals_on(workspace)
    item = next(i for i in await loaded(db, ws) if i.key.item_id == "ap-001")
    appeal, _ = await store.file(db, ws, item, Filing(LABELER, "why", "4.2"), NOW)
    assert right_labels(appeal, ws) == ["remove", "age_restrict", "escalate"]  # the labeler's first, not QA's
    unlisted = ws.model_copy(update={"queues": [q.model_copy(update={"labels": []}) for q in ws.queues]})
    assert right_labels(appeal, unlisted) == ["remove"]

    async def pairs() -> dict[tuple[str, str], int]:
        async with db.transaction() as session:
            rows = (
                await session.execute(
                    select(DailyErrorPair.decision, DailyErrorPair.qa_decision, DailyErrorPair.count).where(
                        DailyErrorPair.day == DAY, DailyErrorPair.queue == "hate-en",
                        DailyErrorPair.timezone == ws.timezone,
                    )
                )
            ).all()  # fmt: skip
        return {(d, q): n for d, q, n in rows}

    before = await pairs()
    await store.decide(db, 1, Ruling("overturned", TARA, "escalation was due", "escalate"), NOW)
    assert await store.correct(db, ws, 1, NOW)
    after = await pairs()
    assert await agreed_on_day(db, ws) == (3, 1)  # still one agreement of three audited
    assert after.get(("remove", "allow"), 0) == before[("remove", "allow")] - 1
    assert after.get(("remove", "escalate"), 0) == before.get(("remove", "escalate"), 0) + 1


async def test_a_day_recomputed_between_the_decision_and_the_correction_counts_the_overturn_once(
    db, workspace
) -> None:
    """The same audits file again after the overturn and before its correction: the day is recomputed
    from the rows (which join only corrected overturns), then corrected once; again after: unchanged."""
    ws = appeals_on(workspace)
    item = next(i for i in await loaded(db, ws) if i.key.item_id == "ap-001")
    await store.file(db, ws, item, Filing(LABELER, "why", "4.2"), NOW)
    await store.decide(db, 1, Ruling("overturned", TARA, "right"), NOW)
    await ingest_decisions(db, ws, decisions_csv(), "again.csv", now=NOW)
    assert await agreed_on_day(db, ws) == (3, 1)
    assert await store.correct(db, ws, 1, NOW)
    assert await agreed_on_day(db, ws) == (3, 2)
    await ingest_decisions(db, ws, decisions_csv(), "again.csv", now=NOW)
    assert await agreed_on_day(db, ws) == (3, 2)
