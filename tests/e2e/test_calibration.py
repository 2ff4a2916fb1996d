"""Calibration sessions end to end over signed HTTP against the Slack fake, with a controllable clock:
created from a pasted CSV or from the audited disagreements, blind voting in DMs (a double click
records once, a changed vote replaces the old one, nobody sees votes before the reveal), progress,
reminders once at their time, the reveal with its statistics (by the button and by the due timer),
and the trend across sessions."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pyarrow as pa
import pytest
from sqlalchemy import select

from handlers.calibration import views
from handlers.calibration.agreement import session_statistics
from handlers.policy.store import load_dir
from storage import queue_data
from storage.engine import Database
from storage.migrate import upgrade
from storage.models import CalibrationItem, CalibrationResult, CalibrationVote, Claim
from tests.conftest import ROOT
from tests.e2e.calibration_flow import (
    CSV,
    DUE,
    DUE_AT,
    KAI,
    LEE,
    NICO,
    QA_OPS,
    QUINN,
    TARA,
    VOTES,
    ballot,
    click,
    command_answer,
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
from tests.e2e.escalate_flow import Clock, buttons, choice, opened_view, quiet, run_timers, submit, text_value
from tests.e2e.harness import running_bot, seeded_fake, texts
from tests.e2e.teams_harness import LABELER, LEAD, TRAINER, running_teams_bot
from tests.e2e.test_teams import card_text
from tests.e2e.test_teams_escalate import button, open_dialog, submit_dialog
from tests.e2e.test_teams_quiz import chat_of
from tests.e2e.test_teams_quiz import said as said_in_teams
from tests.fakes import activities
from tests.fakes.activities import User
from tests.fakes.bot_framework import cards
from tests.teams_cards import readable


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
        await bot.services.background.drain(10)
        assert await votes_of(database_url, LEE) == [(1, "remove")]
        assert "Item 2 of 3" in texts(ballot(slack, LEE).blocks)

        # Back to item 1 and a changed vote: it replaces the old one (still one row).
        await click(slack, LEE, ballot(slack, LEE), f"{views.SHOW}prev")
        await bot.services.background.drain(10)
        shown = texts(ballot(slack, LEE).blocks)
        assert "Item 1 of 3" in shown and "Your vote: *remove*" in shown
        await vote(slack, bot, LEE, "allow")
        assert await votes_of(database_url, LEE) == [(1, "allow")]
        await click(slack, LEE, ballot(slack, LEE), f"{views.SHOW}prev")
        await bot.services.background.drain(10)
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
        await bot.services.background.drain(10)
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
        await bot.services.background.drain(10)
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
        await bot.services.background.drain(10)
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


REMINDER_CSV = """ITEM-201,,quoted slur in a news report,allow
ITEM-202,,,remove
ITEM-203,,,allow
"""


async def test_reminders_reach_who_has_not_finished_once_and_the_due_time_reveals(
    workspace, database_url
) -> None:
    db = Database(database_url)
    await upgrade(db)
    await load_dir(db, ROOT / "examples" / "policies", Clock().now)
    await db.dispose()
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        assert await create(slack, bot, participants=f"{LEE} {KAI}", items=REMINDER_CSV) == {}
        await run_timers(bot)
        await vote_all(slack, bot, {LEE: ["remove", "remove", "allow"], KAI: ["allow"]})

        def reminders(person: str) -> list[str]:
            return [texts(m.blocks) for m in dms_of(slack, person) if "⏰" in texts(m.blocks)]

        clock.now = DUE_AT - timedelta(hours=24)
        await run_timers(bot)
        await run_timers(bot)
        assert reminders(LEE) == []
        assert len(reminders(KAI)) == 1 and "rated 1 of 3" in reminders(KAI)[0]
        clock.now = DUE_AT - timedelta(hours=2)
        await run_timers(bot)
        assert len(reminders(KAI)) == 2 and reminders(LEE) == []
        assert posts(slack, QA_OPS) == []

        clock.now = DUE_AT
        await run_timers(bot)
        await run_timers(bot)
        results = [texts(m.blocks) for m in posts(slack, QA_OPS) if "Calibration results" in texts(m.blocks)]
        assert len(results) == 1
        assert "3 items · 2 raters" in results[0]
        assert "Fleiss' kappa*\nnot computed: items have 1 to 2 ratings" in results[0]
        ratings = [("ITEM-201", LEE, "remove"), ("ITEM-202", LEE, "remove"), ("ITEM-203", LEE, "allow"),
                   ("ITEM-201", KAI, "allow")]  # fmt: skip
        report = session_statistics(ratings, {"ITEM-201": "allow", "ITEM-202": "remove", "ITEM-203": "allow"})
        # Only ITEM-201 has two ratings, and they differ: alpha = 1 - (2-1)·2/(2·2 - 2) = 0.
        assert report.alpha == pytest.approx(0.0) and "Krippendorff's alpha*\n0.00" in results[0]
        threads = [texts(m.blocks) for m in posts(slack, QA_OPS) if "Discuss item" in texts(m.blocks)]
        assert len(threads) == len(report.discussion) >= 1
        assert "ITEM-201" in threads[0] and "Quoted slurs in news reports" in threads[0]
        assert "votes are closed" in texts(ballot(slack, KAI).blocks)

        before = len(slack.fake.calls_to("response_url"))
        await slack.action(f"{views.VOTE}0", "1|2|allow", user=KAI, channel=slack.fake.dm_channel(KAI))
        assert "revealed" in await said(slack, before)
        assert await votes_of(database_url, KAI) == [(1, "allow")]
        listed = await command_answer(slack, "list", user=KAI)
        assert "CAL-1" in listed and "revealed" in listed


async def test_one_voter_is_nothing_to_compare_and_keeps_no_figures_for_the_trend(
    workspace, database_url
) -> None:
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        assert await create(slack, bot, participants=f"{LEE} {KAI}") == {}
        await run_timers(bot)
        await vote_all(slack, bot, {LEE: ["remove", "remove", "remove"]})
        clock.now = DUE_AT
        await run_timers(bot)
        [results] = [
            texts(m.blocks) for m in posts(slack, QA_OPS) if "Calibration results" in texts(m.blocks)
        ]
        assert "Fewer than two people rated: nothing to compare" in results
        assert "remove 1" not in results and "alpha" not in results  # no ballot shown as "the votes"
        assert not [m for m in posts(slack, QA_OPS) if "Discuss item" in texts(m.blocks)]
        db = Database(database_url)
        async with db.transaction() as session:
            kept = (await session.scalars(select(CalibrationResult))).one()
        await db.dispose()
        assert (kept.participants, kept.mean_accuracy, kept.alpha, kept.fleiss) == (1, None, None, None)
        assert "accuracy n/a" in await command_answer(slack, "trend")


async def test_the_reveal_posts_at_most_ten_threads_and_lists_the_rest(workspace, database_url) -> None:
    clock = Clock()
    many = "item_id\n" + "".join(f"ITEM-{300 + n}\n" for n in range(1, 13))
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        assert await create(slack, bot, participants=f"{LEE} {KAI}", items=many) == {}
        await run_timers(bot)
        await vote_all(slack, bot, {LEE: ["remove"] * 12, KAI: ["allow"] * 12})  # every item split
        clock.now = DUE_AT
        await run_timers(bot)
        [results] = [
            texts(m.blocks) for m in posts(slack, QA_OPS) if "Calibration results" in texts(m.blocks)
        ]
        assert "items 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12." in results
        assert "the first 10, and 2 more are listed here only" in results
        threads = [texts(m.blocks) for m in posts(slack, QA_OPS) if "Discuss item" in texts(m.blocks)]
        assert len(threads) == 10 and "ITEM-310" in threads[-1]


async def test_the_trend_shows_agreement_per_vendor_and_queue_across_sessions(
    workspace, database_url
) -> None:
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        for number, votes in ((1, VOTES), (2, {who: ["remove", "allow", "allow"] for who in VOTES})):
            due = f"{clock.now + timedelta(days=2):%Y-%m-%d} 15:00"
            assert await create(slack, bot, title=f"Round {number}", due=due) == {}
            await run_timers(bot)
            await vote_all(slack, bot, votes, session=number)
            panel = next(
                m
                for m in dms_of(slack, QUINN)
                if f"CAL-{number} ·" in texts(m.blocks) and "Reveal now" in texts(m.blocks)
            )
            await click(slack, QUINN, panel, views.REVEAL)
            await bot.services.background.drain(10)
            await run_timers(bot)
            clock.advance(days=7)

        trend = await command_answer(slack, "trend hate-en")
        assert "Northwind Review Services · Hate speech EN" in trend
        first, second = trend.index("CAL-1"), trend.index("CAL-2")
        assert first < second  # oldest first
        assert "Round 1 · alpha 0.60 · accuracy 89%" in trend
        assert (
            "Round 2 · alpha n/a" in trend
            or "Round 2 · alpha 1.00 (+0.40) · accuracy 100% (+11 pts)" in trend
        )
        assert "alpha n/a" not in trend.split("CAL-1")[1].split("\n")[0]
        # A vendor lead sees their own vendor's trend; another vendor's lead sees none; labelers may not ask.
        assert "Hate speech EN" in await command_answer(slack, "trend", user=NICO)
        assert "No revealed calibration sessions" in await command_answer(slack, "trend", user="U0BBLEAD1")
        assert "trainers" in await command_answer(slack, "trend", user=LEE)
        assert "Only the facilitator" in await command_answer(slack, "status CAL-2", user=LEE)
        assert "Finished (3)" in await command_answer(slack, "status CAL-2", user=TARA)


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
        await bot.services.background.drain(10)
        db = Database(database_url)
        async with db.transaction() as session:
            row = await session.get(CalibrationVote, (1, 1, KAI))
            assert row is not None and (row.label, row.reason) == ("allow", reason)
        await db.dispose()
        assert "Item 2 of 3" in texts(ballot(slack, KAI).blocks)  # the ballot moved on, in place
        # A forged form naming another session's item is refused like a forged button.
        forged = {**view, "private_metadata": "1|9"}
        assert await submit(slack, forged, KAI, values) == {}
        await bot.services.background.drain(10)
        assert await votes_of(database_url, KAI) == [(1, "allow")]
        # A form pointing at someone else's ballot message never updates it: only the voter's own.
        lees = ballot(slack, LEE)
        pointed = {**view, "private_metadata": f"1|2|{slack.fake.dm_channel(LEE)}|{lees.ts}"}
        await submit(slack, pointed, KAI, values)
        await bot.services.background.drain(10)
        assert "Item 1 of 3" in texts(ballot(slack, LEE).blocks)
        assert await votes_of(database_url, LEE) == []


async def test_results_that_cannot_be_posted_are_retried_then_the_facilitator_is_told(
    workspace, database_url
) -> None:
    clock = Clock()
    fake = seeded_fake(workspace)
    fake.add_channel("C0NOBOT01", "calibration-room", members=[QUINN, LEE, KAI], bot_member=False)
    async with running_bot(quiet(workspace), database_url, clock=clock, fake=fake) as (bot, slack):
        await voted_in_a_room_without_the_bot(slack, bot, clock)
        for _ in range(12):  # every retry, with back-off, until the timer gives up
            await run_timers(bot)
            clock.advance(minutes=31)
        told = [
            texts(m.blocks) for m in dms_of(slack, QUINN) if "could not post the results" in texts(m.blocks)
        ]
        assert len(told) == 1 and "not_in_channel" in told[0] and "C0NOBOT01" in told[0]
        assert await count(database_url, CalibrationResult) == 1  # the votes froze and the figures are kept


async def voted_in_a_room_without_the_bot(slack, bot, clock: Clock) -> None:  # noqa: ANN001
    """A session made in C0NOBOT01 (the bot is not in it), voted by Lee and Kai; the clock at its due."""
    view = await open_form(slack, channel="C0NOBOT01")
    assert await submit(slack, view, QUINN, form_values(participants=f"{LEE} {KAI}")) == {}
    await bot.services.background.drain(10)
    await run_timers(bot)
    await vote_all(slack, bot, {LEE: VOTES[LEE], KAI: VOTES[KAI]})
    clock.now = DUE_AT


async def test_results_the_bot_could_not_post_are_posted_again_from_the_facilitators_button(
    workspace, database_url
) -> None:
    """The channel refusing the results holds back nothing else: the facilitator's private figures
    come first. After the retries, "Post the results again" (in the failure DM, and offered by Reveal
    now) posts them once the bot is in the channel; a second click on the same button posts nothing."""
    clock = Clock()
    fake = seeded_fake(workspace)
    room = fake.add_channel("C0NOBOT01", "calibration-room", members=[QUINN, LEE, KAI], bot_member=False)
    async with running_bot(quiet(workspace), database_url, clock=clock, fake=fake) as (bot, slack):
        await voted_in_a_room_without_the_bot(slack, bot, clock)
        for _ in range(12):
            await run_timers(bot)
            clock.advance(minutes=31)
        assert [m for m in dms_of(slack, QUINN) if "per participant (private)" in texts(m.blocks)]
        assert "votes are closed" in texts(ballot(slack, LEE).blocks)
        [told] = [m for m in dms_of(slack, QUINN) if "could not post the results" in texts(m.blocks)]
        again = buttons(told.blocks)[views.REPOST]
        assert again["text"]["text"] == "Post the results again"
        # Reveal now on the revealed session offers the same.
        before = len(slack.fake.calls_to("response_url"))
        await slack.action(views.REVEAL, "1", user=QUINN, channel=slack.fake.dm_channel(QUINN))
        offered = await said(slack, before)
        assert "revealed already" in offered and "not in" in offered
        offer = slack.fake.calls_to("response_url")[-1].args.get("blocks")
        assert buttons(offer)[views.REPOST]["value"] == again["value"]
        # A labeler cannot post them.
        before = len(slack.fake.calls_to("response_url"))
        await click(slack, LEE, told, views.REPOST)
        assert "Only the facilitator or an admin" in await said(slack, before)
        room.members.add(fake.state.bot_user_id)
        for _ in range(2):  # the same button twice: one try, one post
            await click(slack, QUINN, told, views.REPOST)
            await bot.services.background.drain(10)
            await run_timers(bot)
        results = [m for m in posts(slack, "C0NOBOT01") if "Calibration results" in texts(m.blocks)]
        assert len(results) == 1 and "3 items · 2 raters" in texts(results[0].blocks)
        assert await count(database_url, Claim, key="calibrate-post:1:1") == 1


async def test_a_session_in_teams_runs_through_the_same_handlers(database_url) -> None:
    """Teams: the command answers with a card whose button opens the dialog; ballots are cards in each
    person's personal chat, voted with Action.Execute and updated in place; the results go where the
    session was made."""
    clock = Clock()
    chat = chat_of(LEAD)
    async with running_teams_bot(database_url, clock=clock) as (bot, teams):
        await teams.personal("calibrate new", LEAD)
        [offer] = await said_in_teams(teams, LEAD, "Create a calibration session")
        opener = button(offer, "Create a calibration session")
        dialog = await open_dialog(teams, opener, LEAD, chat, offer.activity_id)
        people = f"{LABELER.aad_object_id} {TRAINER.aad_object_id}"
        values = {
            "title": "Teams round", "queue": "hate-en", "source": views.SOURCE_CSV, "items": CSV,
            "participants": people, "due": DUE, "count": "", "days": "",
        }  # fmt: skip
        assert await submit_dialog(teams, dialog, values, LEAD, chat, offer.activity_id) is None
        await bot.services.background.drain(10)
        await run_timers(bot)

        async def press(person: User, activity_id: str, title: str) -> None:
            found = button(teams.bf.activity(activity_id), title)
            assert found["type"] == "Action.Execute"
            sent = activities.card_action(
                found["verb"], found["data"], person, chat_of(person), activity_id, **teams.where()
            )
            status, _ = await teams.send(sent)
            assert status == 200
            await bot.services.background.drain(10)

        def reads(activity_id: str) -> str:
            return "\n".join(readable(card) for card in cards(teams.bf.activity(activity_id)))

        for person, labels in (
            (LABELER, ["remove", "allow", "allow"]),
            (TRAINER, ["remove", "remove", "allow"]),
        ):
            [ballot_card] = await said_in_teams(teams, person, "Item 1 of 3")
            for label in labels:
                await press(person, ballot_card.activity_id, label)
            assert "All 3 items rated" in reads(ballot_card.activity_id)
        [panel] = await said_in_teams(teams, LEAD, "Reveal now")
        assert "Not yet (0): nobody" in reads(panel.activity_id)
        await press(LEAD, panel.activity_id, "Reveal now")
        await run_timers(bot)
        results = [s for s in teams.bf.posts(chat) if "Calibration results" in card_text(s)]
        assert len(results) == 1
        shown = card_text(results[0])
        assert "3 items · 2 raters" in shown and "Krippendorff's alpha" in shown
        assert "2. ITEM-102 · allow 1 · remove 1 · reference allow · 50% agree ⚠️" in shown.replace("`", "")


async def test_the_facilitator_hears_who_could_not_get_their_ballot(workspace, database_url) -> None:
    async with running_bot(quiet(workspace), database_url, clock=Clock()) as (bot, slack):
        assert await create(slack, bot, participants=f"{LEE} {KAI} U0GHOST01") == {}
        await run_timers(bot)
        await run_timers(bot)
        told = [
            texts(m.blocks) for m in dms_of(slack, QUINN) if "could not send the ballot" in texts(m.blocks)
        ]
        assert len(told) == 1 and "<@U0GHOST01>" in told[0] and f"<@{LEE}>" not in told[0]
        assert "Item 1 of 3" in texts(ballot(slack, LEE).blocks)  # the others were invited all the same
        assert "Not yet (3)" in progress(slack)


async def test_an_invitation_that_failed_for_a_while_is_tried_again(workspace, database_url) -> None:
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        slack.fake.error_next("conversations.open", "internal_error")  # the first DM opened: Lee's
        assert await create(slack, bot) == {}
        await run_timers(bot)
        assert not [m for m in dms_of(slack, LEE) if "Item 1 of 3" in texts(m.blocks)]
        clock.advance(minutes=2)  # past the back-off
        await run_timers(bot)
        for person in (LEE, KAI, TARA):  # Lee invited now; the others still once
            assert len([m for m in dms_of(slack, person) if "CAL-1 " in texts(m.blocks)]) == 1, person
        assert not [m for m in dms_of(slack, QUINN) if "could not send the ballot" in texts(m.blocks)]


async def test_a_reminder_to_someone_without_a_ballot_sends_the_ballot(workspace, database_url) -> None:
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        slack.fake.error_next("conversations.open", "account_inactive")  # Lee, for now
        assert await create(slack, bot, participants=f"{LEE} {KAI}") == {}
        await run_timers(bot)
        assert not dms_of(slack, LEE)

        def reminders(person: str) -> list[str]:
            return [texts(m.blocks) for m in dms_of(slack, person) if "⏰" in texts(m.blocks)]

        clock.now = DUE_AT - timedelta(hours=24)
        await run_timers(bot)
        assert "Item 1 of 3" in texts(ballot(slack, LEE).blocks) and reminders(LEE) == []
        assert len(reminders(KAI)) == 1
        clock.now = DUE_AT - timedelta(hours=2)
        await run_timers(bot)
        assert len(reminders(LEE)) == 1 and "Your ballot is above" in reminders(LEE)[0]
        assert len([m for m in dms_of(slack, LEE) if "Item 1 of 3" in texts(m.blocks)]) == 1


async def test_an_invitation_failing_at_every_try_is_told_to_the_facilitator(workspace, database_url) -> None:
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        slack.fake.error_next("conversations.open", "internal_error")
        assert await create(slack, bot) == {}
        for _ in range(10):  # each try fails for Lee alone (the others' ballots are claimed, sent once)
            slack.fake.error_next("conversations.open", "internal_error")
            clock.advance(minutes=31)
            await run_timers(bot)
        assert not [m for m in dms_of(slack, LEE) if "CAL-1 " in texts(m.blocks)]
        told = [
            texts(m.blocks) for m in dms_of(slack, QUINN) if "could not send the ballot" in texts(m.blocks)
        ]
        assert len(told) == 1 and f"<@{LEE}> (internal_error)" in told[0] and f"<@{KAI}>" not in told[0]
        assert len([m for m in dms_of(slack, KAI) if "CAL-1 " in texts(m.blocks)]) == 1


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
        await bot.services.background.drain(10)
        kai_now = next(m for m in slack.fake.messages_in(slack.fake.dm_channel(KAI)) if m.ts == kai.ts)
        assert texts(kai_now.blocks) == kai_before
        assert await votes_of(database_url, LEE) == [(1, "remove")]
        assert "Item 2 of 3" in texts(ballot(slack, LEE).blocks)
