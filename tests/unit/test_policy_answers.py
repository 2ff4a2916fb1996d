"""Policy answering below the chat: the index (what it holds, when it is rebuilt), questions and
feedback in storage (one verdict per person), each owner's answer its own row and
the one saved the verified answer (a correction replaces it), asks once per meaning, the views (citations,
escaping, coming versions), what changed between versions, and the week's knowledge gaps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.chat.model import Buttons
from handlers.policy import answer_views as views
from handlers.policy import answers, changes, gaps, store
from handlers.policy import index as answer_index
from handlers.policy.model import Hit, Passage, Policy, Section
from storage.engine import Database
from storage.models import PolicyVerifiedAnswer
from storage.models.core import Claim

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
GLOSSARY = {"impersonation": ["fake account"]}
QUESTION = "may labelers take a lunch break during a calibration meeting"


async def loaded(db: Database) -> answer_index.AnswerIndex:
    await store.load_dir(db, ROOT / "examples" / "policies", NOW)
    answer_index.invalidate(db)
    return await answer_index.current(db, TODAY, GLOSSARY)


async def test_the_index_holds_the_versions_in_effect_and_says_what_is_coming(db: Database) -> None:
    built = await loaded(db)
    assert built.policies["spam"].version == "2"  # v1 is superseded
    assert built.policies["harassment"].version == "1" and built.coming["harassment"].version == "2"
    keys = {p.key for p in built.index.passages}
    assert "policy:spam#engagement-bait" in keys  # only in v2
    # The day v2 of harassment applies, the index is rebuilt with it.
    later = await answer_index.current(db, built.coming["harassment"].effective, GLOSSARY)
    assert later.policies["harassment"].version == "2" and "harassment" not in later.coming
    # The same day and nothing changed: the same build is kept.
    assert await answer_index.current(db, TODAY, GLOSSARY) is await answer_index.current(db, TODAY, GLOSSARY)


async def _verified(db: Database) -> list[PolicyVerifiedAnswer]:
    async with db.transaction() as session:
        return list(await session.scalars(select(PolicyVerifiedAnswer)))


async def _timers(db: Database) -> list[str]:
    async with db.transaction() as session:
        return sorted(await session.scalars(select(Claim.key).where(Claim.kind.like("policy.%"))))


async def test_each_owner_answer_is_its_own_row_and_the_one_saved_becomes_the_verified_answer(
    db: Database,
) -> None:
    built = await loaded(db)
    hits = answers.search(built, QUESTION)
    asked = await answers.ask(db, hits, text=QUESTION, user="U0LABEL01", channel="C1", via="command", now=NOW)
    assert not asked.confident
    question = await answers.question(db, asked.question_id)
    ask = await answers.attach_to_ask(db, question, "spam", "C0POLOWN1", "U0LABEL01", NOW)
    assert ask.question_id == asked.question_id
    month = TODAY + timedelta(days=30)
    given = dict(policy_id="spam", anchor="definitions", owner="U0QALEAD1", now=NOW)
    first = await answers.record_owner_answer(
        db, ask.question_id, answer="Breaks follow the site's schedule.", review_by=month, **given
    )
    # The same form submitted again is the same answer: no second row, no second post or DM.
    again = await answers.record_owner_answer(
        db, ask.question_id, answer="Breaks follow the site's  schedule.", review_by=month, **given
    )
    assert again == first
    assert await _timers(db) == [f"policy-owner-answer:{first}", f"policy-tell:{first}:U0LABEL01"]
    corrected = await answers.record_owner_answer(
        db, ask.question_id, answer="Breaks follow the site's schedule, calibration included.",
        review_by=TODAY + timedelta(days=60), **given,
    )  # fmt: skip
    assert corrected != first

    assert await answers.save_verified(db, first, "U0QALEAD1", NOW) == "saved"
    assert await answers.save_verified(db, first, "U0QALEAD1", NOW) == "already"
    [saved] = await _verified(db)
    assert saved.answer == "Breaks follow the site's schedule." and saved.owner_answer_id == first
    answer_index.invalidate(db)
    rebuilt = await answer_index.current(db, TODAY, GLOSSARY)
    top = answers.search(rebuilt, "can a labeler take lunch breaks in calibration meetings?")[0]
    assert top.passage.key == f"answer:{saved.answer_id}" and top.passage.verified
    assert (await answers.question(db, asked.question_id)).answered_by_owner == "U0QALEAD1"

    # Saving the corrected answer replaces the text and the review-by day; the earlier one cannot
    # come back over it.
    assert await answers.save_verified(db, corrected, "U0QALEAD1", NOW) == "replaced"
    assert await answers.save_verified(db, first, "U0QALEAD1", NOW) == "older"
    [replaced] = await _verified(db)
    assert replaced.answer_id == saved.answer_id and "calibration included" in replaced.answer
    assert replaced.review_by == TODAY + timedelta(days=60)
    assert f"policy-saved:{first}" in await _timers(db) and f"policy-saved:{corrected}" in await _timers(db)
    # Due for review on its review-by day, not before.
    assert await answers.due_for_review(db, TODAY + timedelta(days=30)) == []
    due = await answers.due_for_review(db, TODAY + timedelta(days=60))
    assert [r.answer_id for r in due] == [saved.answer_id]


async def test_the_same_question_about_the_same_policy_is_one_ask_and_its_askers_are_attached(
    db: Database,
) -> None:
    built = await loaded(db)
    hits = answers.search(built, QUESTION)
    ids = []
    for user, text in (
        ("U0LABEL01", QUESTION),
        ("U0LABEL02", "  May labelers take a LUNCH break, during a calibration meeting?"),
    ):
        asked = await answers.ask(db, hits, text=text, user=user, channel="C1", via="command", now=NOW)
        ids.append(asked.question_id)
        await answers.attach_to_ask(
            db, await answers.question(db, asked.question_id), "spam", "C0POLOWN1", user, NOW
        )
    other = await answers.ask(db, hits, text=QUESTION, user="U0LABEL03", channel="C1", via="command", now=NOW)
    elsewhere = await answers.attach_to_ask(
        db, await answers.question(db, other.question_id), "harassment", "C0POLOWN1", "U0LABEL03", NOW
    )
    assert elsewhere.question_id == other.question_id  # another policy: another ask
    async with db.transaction() as session:
        assert await answers.askers(session, ids[0]) == ["U0LABEL01", "U0LABEL02"]
    answer_id = await answers.record_owner_answer(
        db, ids[0], answer="Yes.", policy_id="spam", anchor="definitions",
        review_by=TODAY + timedelta(days=30), owner="U0QALEAD1", now=NOW,
    )  # fmt: skip
    assert await _timers(db) == [
        f"policy-owner-answer:{answer_id}",
        f"policy-tell:{answer_id}:U0LABEL01",
        f"policy-tell:{answer_id}:U0LABEL02",
    ]
    assert answers.meaning("Is it OK?", "spam") == answers.meaning("is it   ok", "spam")
    assert answers.meaning("Is it OK?", "spam") != answers.meaning("Is it OK?", "ncii")


async def test_feedback_is_one_verdict_per_person_and_question(db: Database) -> None:
    built = await loaded(db)
    q = "is it spam to post the same comment many times?"
    asked = await answers.ask(
        db, answers.search(built, q), text=q, user="U1", channel="C1", via="mention", now=NOW
    )
    assert asked.confident
    assert await answers.feedback(db, asked.question_id, "U1", False, NOW) is True
    assert await answers.feedback(db, asked.question_id, "U1", True, NOW) is False
    assert await answers.feedback(db, asked.question_id, "U2", True, NOW) is True
    found = await answers.gaps(db, NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert [(g.text, g.reason) for g in found] == [(q, "not helpful")]


async def test_the_weeks_gaps_count_the_same_question_once_most_asked_first(db: Database) -> None:
    built = await loaded(db)
    for text, when in (
        (QUESTION, NOW),
        (QUESTION.upper(), NOW),
        ("what is a widget?", NOW),
        (QUESTION, NOW - timedelta(days=9)),
    ):
        await answers.ask(
            db, answers.search(built, text), text=text, user="U1", channel="C1", via="direct", now=when
        )
    week, start, end = gaps.last_week(NOW + timedelta(days=7))
    assert (
        week == "2026-W49"
        and start == datetime(2026, 11, 30, tzinfo=UTC)
        and end - start == timedelta(days=7)
    )
    found = await answers.gaps(db, start, end)
    assert [(g.times, g.reason) for g in found] == [(2, "unanswered"), (1, "unanswered")]
    assert "2 times" in gaps.gaps_message(week, found).parts[1].markdown.plain


def passage(text: str, **kw: object) -> Passage:
    fields = dict(key="policy:p#s", policy_id="p", anchor="s", title="P <!channel>", heading="S",
                  version="3", effective=date(2026, 1, 1), link="https://policies.example.com/p")  # fmt: skip
    fields.update(kw)
    return Passage(text=text, **fields)  # type: ignore[arg-type]


def test_an_answer_cites_escapes_and_bolds_what_matched() -> None:
    hit = Hit(
        passage("Remove *copies* of a post <@U0BAD> posted again.", key="policy:p#s"), 1.0, ("copies",), 1.0
    )
    built = answer_index.AnswerIndex(index=None, today=TODAY, policies={}, coming={})  # type: ignore[arg-type]
    built.coming["p"] = Policy("p", "P", "4", date(2027, 1, 1), ())
    message = views.answer_message(7, "copies?", [hit], built, share=True)
    markup = message.parts[1].markdown
    assert ("markup", "*") in markup.pieces and ("text", "copies") in markup.pieces  # bold, as data
    assert ("text", "P <!channel>") in markup.pieces  # a title is text, never markup
    plain = markup.plain
    assert "version 3, effective 2026-01-01" in plain and "https://policies.example.com/p#s" in plain
    assert "Coming on 2027-01-01: version 4" in plain
    labels = [b.label for b in message.parts[-1].buttons if isinstance(message.parts[-1], Buttons)]
    assert labels == ["Share in channel", "Helpful", "Not helpful"]
    shared = views.shared_message("U1", message)
    assert [b.label for b in shared.parts[-1].buttons] == ["Helpful", "Not helpful"]


def section(anchor: str, text: str) -> Section:
    return Section(anchor, anchor.title(), 2, text, 1)


def test_changes_name_added_removed_and_changed_sections_with_a_diff() -> None:
    old = Policy(
        "p",
        "P",
        "1",
        date(2026, 1, 1),
        (),
        sections=(section("a", "same"), section("b", "old line"), section("c", "gone")),
    )
    new = Policy(
        "p",
        "P",
        "2",
        date(2026, 6, 1),
        (),
        sections=(section("a", "same"), section("b", "new line"), section("d", "fresh")),
    )
    found = changes.compare(old, new)
    assert [(c.kind, c.section.anchor) for c in found] == [("changed", "b"), ("added", "d"), ("removed", "c")]
    assert "-old line" in found[0].diff and "+new line" in found[0].diff
    assert "first version" in changes.changes_message(None, new).summary.plain


def test_greetings_and_questions_about_the_bot_are_small_talk() -> None:
    assert answers.small_talk("hello, what can you do?") and answers.small_talk("Hi tsqa!")
    assert not answers.small_talk("hello, does a quoted insult in a news report count?")
    assert not answers.small_talk("")


def test_content_words_leave_out_stop_words() -> None:
    assert answers.content_words("a note to myself") == 1
    assert answers.content_words("does a quoted insult in a news report count?") >= 4
