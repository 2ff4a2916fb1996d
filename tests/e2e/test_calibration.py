"""Calibration sessions end to end over signed HTTP against the Slack fake, with a controllable clock:
created from a pasted CSV (a double submit makes one session, an invalid CSV says what is wrong and where)
or from the audited disagreements; blind voting in DMs (a double click records once, a changed vote
replaces the old one, a vote with a reason through its form, a click naming another's ballot moves only
the voter's own, nobody sees votes before the reveal), progress, and the reveal with its statistics."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pyarrow as pa
import pytest
from sqlalchemy import select

from handlers.calibration import views
from handlers.calibration.agreement import session_statistics
from storage import queue_data
from storage.engine import Database
from storage.migrate import upgrade
from storage.models import CalibrationItem, CalibrationResult, CalibrationVote, Claim
from tests.e2e.calibration_flow import (
    CSV,
    KAI,
    LEE,
    NICO,
    QA_OPS,
    QUINN,
    TARA,
    VOTES,
    ballot,
    click,
    count,
    create,
    dms_of,
    form_values,
    label_action,
    open_form,
    posts,
    progress,
    said,
    sessions,
    vote,
    vote_all,
    votes_of,
)
from tests.e2e.escalate_flow import Clock, buttons, choice, opened_view, run_timers, submit, text_value
from tests.e2e.harness import quiet, running_bot, settled, texts


async def test_a_session_from_a_csv_is_voted_blind_and_revealed_with_its_statistics(
    workspace, database_url
) -> None:
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        assert await create(slack, bot) == {}
        await run_timers(bot)
        assert await sessions(database_url) == 1
        for person in (LEE, KAI, TARA):
            shown = texts(ballot(slack, person).blocks)
            assert (
                "Item 1 of 3" in shown and "ITEM-101" in shown and "quoted term in a news headline" in shown
            )
            assert "https://tool.example/items/101" in shown
            labels = [b["text"]["text"] for a, b in buttons(ballot(slack, person).blocks).items()
                      if a.startswith(views.VOTE)]  # fmt: skip
            assert labels == ["allow", "age_restrict", "remove", "escalate"]  # the queue's labels, in order
        assert "Not yet (3)" in progress(slack) and "Finished (0)" in progress(slack)

        # A double click records once; the ballot moves on to item 2 (not item 3).
        first = ballot(slack, LEE)
        remove = label_action(first, "remove")
        await asyncio.gather(click(slack, LEE, first, remove), click(slack, LEE, first, remove))
        await settled(bot)
        assert await votes_of(database_url, LEE) == [(1, "remove")]
        assert "Item 2 of 3" in texts(ballot(slack, LEE).blocks)

        # Back to item 1 and a changed vote: it replaces the old one (still one row).
        await click(slack, LEE, ballot(slack, LEE), f"{views.SHOW}prev")
        await settled(bot)
        shown = texts(ballot(slack, LEE).blocks)
        assert "Item 1 of 3" in shown and "Your vote: *remove*" in shown
        await vote(slack, bot, LEE, "allow")
        assert await votes_of(database_url, LEE) == [(1, "allow")]
        await click(slack, LEE, ballot(slack, LEE), f"{views.SHOW}prev")
        await settled(bot)
        await vote(slack, bot, LEE, "remove")  # and back again, for the worked example
        assert await votes_of(database_url, LEE) == [(1, "remove")]

        # Someone not invited is refused, whatever the button says; a forged label too.
        before = len(slack.fake.calls_to("response_url"))
        await slack.action(
            label_action(first, "allow"), "1|1|allow", user=NICO, channel=slack.fake.dm_channel(NICO)
        )
        assert "not a participant" in await said(slack, before)
        before = len(slack.fake.calls_to("response_url"))
        await slack.action(remove, "1|2|delete_everything", user=KAI, channel=slack.fake.dm_channel(KAI))
        assert "not one of this session's answers" in await said(slack, before)
        assert await count(database_url, CalibrationVote, user_id=NICO) == 0
        assert await votes_of(database_url, KAI) == []

        await vote_all(slack, bot, {LEE: VOTES[LEE][1:], KAI: VOTES[KAI], TARA: VOTES[TARA][:2]})
        # Blind: nothing in the channel, nobody's ballot or the progress shows another's vote or a count.
        assert posts(slack, QA_OPS) == []
        tara = texts(ballot(slack, TARA).blocks)
        assert "Item 3 of 3" in tara and "Your vote" not in tara and "allow 2" not in tara
        shown = progress(slack)
        assert not any(label in shown for label in ("allow", "remove", "escalate"))
        assert "Finished (2)" in shown and f"<@{TARA}>" in shown.split("Not yet")[1]

        await vote(slack, bot, TARA, VOTES[TARA][2])
        assert "All 3 items rated" in texts(ballot(slack, TARA).blocks)
        # "Change an item…" on the finished ballot brings that item back, with the person's own vote.
        await slack.action(views.GOTO, "1|2", user=TARA, channel=slack.fake.dm_channel(TARA),
                           message_ts=ballot(slack, TARA).ts)  # fmt: skip
        await settled(bot)
        shown = texts(ballot(slack, TARA).blocks)
        assert "Item 2 of 3" in shown and "Your vote: *remove*" in shown
        assert "Finished (3)" in progress(slack)

        # Only the facilitator or an admin reveals; the facilitator's double click reveals once.
        panel = next(m for m in dms_of(slack, QUINN) if "Reveal now" in texts(m.blocks))
        before = len(slack.fake.calls_to("response_url"))
        await slack.action(views.REVEAL, "1", user=LEE, channel=slack.fake.dm_channel(LEE))
        assert "Only the facilitator" in await said(slack, before)
        await asyncio.gather(
            click(slack, QUINN, panel, views.REVEAL), click(slack, QUINN, panel, views.REVEAL)
        )
        await settled(bot)
        await run_timers(bot)

        results = [m for m in posts(slack, QA_OPS) if "Calibration results" in texts(m.blocks)]
        assert len(results) == 1
        shown = texts(results[0].blocks)
        assert "Krippendorff's alpha*\n0.60" in shown and "Fleiss' kappa*\n0.55" in shown  # by hand
        assert "3 items · 3 raters" in shown
        assert "1. `ITEM-101` · remove 3 · reference *remove* · 100% agree" in shown
        assert "2. `ITEM-102` · allow 2 · remove 1 · reference *allow* · 67% agree ⚠️" in shown
        assert "<@" not in shown  # nobody named, nobody mentioned
        # The same figures as the statistics module on the same votes.
        ratings = [
            (f"ITEM-10{i + 1}", who, label) for who, labels in VOTES.items() for i, label in enumerate(labels)
        ]
        report = session_statistics(ratings, {"ITEM-101": "remove", "ITEM-102": "allow", "ITEM-103": "allow"})
        assert f"{report.alpha:.2f}" in shown and f"{report.fleiss:.2f}" in shown
        assert [i.item_id for i in report.discussion] == ["ITEM-102"]
        threads = [m for m in posts(slack, QA_OPS) if "Discuss item" in texts(m.blocks)]
        assert len(threads) == 1 and "ITEM-102" in texts(threads[0].blocks)
        assert "<@" not in texts(threads[0].blocks)

        # Per participant: to the facilitator alone.
        private = [texts(m.blocks) for m in dms_of(slack, QUINN) if "per participant" in texts(m.blocks)]
        assert len(private) == 1
        assert (
            f"<@{TARA}>: 3 rated · accuracy 67%" in private[0]
            and f"<@{LEE}>: 3 rated · accuracy 100%" in private[0]
        )
        assert "🔓 Revealed" in progress(slack) and "Reveal now" not in progress(slack)
        assert "votes are closed" in texts(ballot(slack, LEE).blocks)

        # Votes are frozen.
        before = len(slack.fake.calls_to("response_url"))
        await slack.action(remove, "1|3|remove", user=LEE, channel=slack.fake.dm_channel(LEE))
        assert "revealed" in await said(slack, before)
        assert await votes_of(database_url, LEE) == [(1, "remove"), (2, "allow"), (3, "allow")]
        assert await count(database_url, CalibrationResult) == 1
        await run_timers(bot)  # a retried reveal says nothing twice
        assert len([m for m in posts(slack, QA_OPS) if "Calibration results" in texts(m.blocks)]) == 1


async def test_a_double_submit_makes_one_session(workspace, database_url) -> None:
    async with running_bot(quiet(workspace), database_url, clock=Clock()) as (bot, slack):
        view = await open_form(slack)
        answers = await asyncio.gather(*(submit(slack, view, QUINN, form_values()) for _ in range(2)))
        assert answers == [{}, {}]
        await settled(bot)
        await run_timers(bot)
        assert await sessions(database_url) == 1
        assert len([m for m in dms_of(slack, LEE) if "Item 1 of 3" in texts(m.blocks)]) == 1


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (CSV + "ITEM-101,,,remove\n", "line 5: item ITEM-101 repeats line 2"),
        (
            CSV.replace("102,,allow", "102,,delete"),
            "line 3: reference 'delete' is not one of the queue's labels",
        ),
        (CSV.replace("https://tool.example/items/101", "javascript:alert(1)"), "line 2: link"),
        ("\n".join(f"ITEM-{n}" for n in range(51)), "51 items: a session takes at most 50"),
    ],
)
async def test_an_invalid_csv_says_what_is_wrong_and_where_and_stores_nothing(
    workspace, database_url, items: str, expected: str
) -> None:
    async with running_bot(quiet(workspace), database_url, clock=Clock()) as (bot, slack):
        answer = await create(slack, bot, items=items)
        assert answer["response_action"] == "errors"
        assert expected in answer["errors"]["items"]
        assert await sessions(database_url) == 0
        db = Database(database_url)
        async with db.transaction() as session:
            kinds = set(await session.scalars(select(Claim.kind)))
        await db.dispose()
        assert not any(kind.startswith("calibrat") for kind in kinds)
        assert dms_of(slack, LEE) == []


async def _seed_decisions(database_url: str) -> None:
    """Audited decisions of hate-en: five allow→remove, three remove→allow, one age_restrict→remove
    disagreements in the period, and rows that must not be picked (agreed, unaudited, too old,
    another queue, a QA label the queue does not have)."""
    now = Clock().now
    rows: list[tuple[str, str, str | None, datetime, str]] = []
    for n in range(5):
        rows.append((f"D-A{n}", "allow", "remove", now - timedelta(days=1 + n), "hate-en"))
    for n in range(3):
        rows.append((f"D-B{n}", "remove", "allow", now - timedelta(days=2 + n), "hate-en"))
    rows.append(("D-C0", "age_restrict", "remove", now - timedelta(days=3), "hate-en"))
    rows += [(f"D-OK{n}", "remove", "remove", now - timedelta(days=1), "hate-en") for n in range(4)]
    rows += [(f"D-UN{n}", "remove", None, now - timedelta(days=1), "hate-en") for n in range(3)]
    rows.append(("D-OLD", "allow", "remove", now - timedelta(days=40), "hate-en"))
    rows.append(("D-SPAM", "allow", "remove", now - timedelta(days=1), "spam-pt"))
    rows.append(("D-ODD", "allow", "delete", now - timedelta(days=1), "hate-en"))
    utc = pa.timestamp("us", tz="UTC")
    table = pa.table(
        {
            "item_id": [r[0] for r in rows],
            "queue": [r[4] for r in rows],
            "vendor": ["northwind"] * len(rows),
            "site": ["lisbon"] * len(rows),
            "labeler_id": ["nr-0001"] * len(rows),
            "enqueued_at": pa.array([r[3] - timedelta(minutes=5) for r in rows], utc),
            "completed_at": pa.array([r[3] for r in rows], utc),
            "handle_seconds": [40.0] * len(rows),
            "decision": [r[1] for r in rows],
            "qa_decision": [r[2] for r in rows],
        }
    )
    db = Database(database_url)
    await upgrade(db)
    async with db.transaction() as session:
        assert await queue_data.store_decisions(session, table) == len(rows)
    await db.dispose()


async def test_a_session_picked_from_the_audited_disagreements(workspace, database_url) -> None:
    await _seed_decisions(database_url)
    async with running_bot(quiet(workspace), database_url, clock=Clock()) as (bot, slack):
        answer = await create(slack, bot, source=views.SOURCE_AUDITS, items="", count="5", days="28")
        assert answer == {}
        await run_timers(bot)
        db = Database(database_url)
        async with db.transaction() as session:
            items = (await session.scalars(select(CalibrationItem).order_by(CalibrationItem.position))).all()
            picked = [(i.item_id, i.reference, i.link, i.note) for i in items]
        await db.dispose()
        # Spread over the pairs, the most frequent first, the newest of each first; QA's label the
        # reference; linked into the labelling tool by hate-en's item_link; no note (it would tell).
        link = "https://labelling.example.com/queues/hate-en/items/{}".format
        assert picked == [
            ("D-A0", "remove", link("D-A0"), None),
            ("D-B0", "allow", link("D-B0"), None),
            ("D-C0", "remove", link("D-C0"), None),
            ("D-A1", "remove", link("D-A1"), None),
            ("D-B1", "allow", link("D-B1"), None),
        ]
        shown = texts(ballot(slack, LEE).blocks)
        assert "Item 1 of 5" in shown and "D-A0" in shown
        assert "remove" not in shown.split("D-A0")[1].split("\n")[0]  # blind: no decision in the item line

        # A queue with no disagreements in the period says so, next to the count.
        answer = await create(
            slack, bot, queue="graphic-img", source=views.SOURCE_AUDITS, items="", count="5"
        )
        assert answer["response_action"] == "errors" and "0 audited disagreement" in answer["errors"]["count"]
        assert await sessions(database_url) == 1


async def test_a_vote_with_a_reason_through_its_form(workspace, database_url) -> None:
    async with running_bot(quiet(workspace), database_url, clock=Clock()) as (bot, slack):
        assert await create(slack, bot) == {}
        await run_timers(bot)
        before = len(slack.fake.calls_to("views.open"))
        await click(slack, KAI, ballot(slack, KAI), views.REASON)
        view = await opened_view(slack, before)
        assert "ITEM-101" in texts(view["blocks"]) and view["callback_id"] == views.REASON_FORM
        reason = "Quoted to report, not to endorse"
        values = {**choice("label", "allow"), "reason": text_value(reason)}
        assert await submit(slack, view, KAI, values) == {}
        await settled(bot)
        db = Database(database_url)
        async with db.transaction() as session:
            row = await session.get(CalibrationVote, (1, 1, KAI))
            assert row is not None and (row.label, row.reason) == ("allow", reason)
        await db.dispose()
        assert "Item 2 of 3" in texts(ballot(slack, KAI).blocks)  # the ballot moved on, in place
        # A forged form naming another session's item is refused like a forged button.
        forged = {**view, "private_metadata": "1|9"}
        assert await submit(slack, forged, KAI, values) == {}
        await settled(bot)
        assert await votes_of(database_url, KAI) == [(1, "allow")]
        # A form pointing at someone else's ballot message never updates it: only the voter's own.
        lees = ballot(slack, LEE)
        pointed = {**view, "private_metadata": f"1|2|{slack.fake.dm_channel(LEE)}|{lees.ts}"}
        await submit(slack, pointed, KAI, values)
        await settled(bot)
        assert "Item 1 of 3" in texts(ballot(slack, LEE).blocks)
        assert await votes_of(database_url, LEE) == []


async def test_a_click_naming_another_message_updates_only_the_voters_own_ballot(
    workspace, database_url
) -> None:
    """A vote or a Previous/Next whose message (it comes from the client) names someone else's ballot
    changes that other ballot in no way: the voter's own stored ballot moves on."""
    async with running_bot(quiet(workspace), database_url, clock=Clock()) as (bot, slack):
        assert await create(slack, bot) == {}
        lee, kai = ballot(slack, LEE), ballot(slack, KAI)
        kai_before = texts(kai.blocks)
        forged = label_action(lee, "remove")
        value = buttons(lee.blocks)[forged]["value"]
        await slack.action(forged, value, user=LEE, channel=slack.fake.dm_channel(KAI), message_ts=kai.ts)
        await settled(bot)
        kai_now = next(m for m in slack.fake.messages_in(slack.fake.dm_channel(KAI)) if m.ts == kai.ts)
        assert texts(kai_now.blocks) == kai_before
        assert await votes_of(database_url, LEE) == [(1, "remove")]
        assert "Item 2 of 3" in texts(ballot(slack, LEE).blocks)
