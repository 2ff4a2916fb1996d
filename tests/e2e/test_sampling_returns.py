"""The audited sample coming back in a running bot (Slack fake, signed HTTP): the daily draw posts the
auditors' CSV, QA fills in qa_decision and sends it back to the bot in a DM, the answer gives the sample
day's figures, and the next draw judges the lot: a bad lot on reduced inspection switches to normal,
said with when and why. The same file again (into the ingest channel) fills nothing; a labeler and
another vendor's lead are refused and nothing is stored. On Teams it comes back in the personal chat."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from handlers.sampling import daily
from handlers.sampling.daily import draw_day
from storage.models import Decision
from tests.e2e.harness import EXAMPLE_NOW, SlackSide, eventually, running_bot, texts
from tests.e2e.sampling_flow import (
    REDUCED,
    YESTERDAY,
    sample_name,
    switch_posts,
    with_sampling,
    yesterdays_file,
    yesterdays_posts,
)
from tests.e2e.teams_flow import card_text
from tests.e2e.teams_harness import LEAD, running_teams_bot
from tests.e2e.test_ingest_uploads import thread_reply, upload
from tests.e2e.test_teams_quiz import said as said_in_teams
from tests.fakes import activities
from tests.unit.sampling_fixtures import DAY, NOW, csv_rows, day_table, filled, load

ADMIN, LABELER, BLUEBIRD_LEAD = "U0QALEAD1", "U0LABEL01", "U0BBLEAD1"
LABELS = ["allow", "age_restrict", "remove", "escalate"]


async def send(slack: SlackSide, user: str, name: str, data: bytes) -> str:
    """`user` sends the file to the bot in their DM; the text of the bot's one answer in its thread."""
    dm = slack.fake.dm_channel(user)
    ts = await upload(slack, user, name, data, dm)
    replies = await eventually(lambda: slack.fake.messages_in(dm, thread_ts=ts)[1:], 15)
    assert len(replies) == 1, [r.text for r in replies]
    return replies[0].text + texts(replies[0].blocks or [])


def audited(data: bytes) -> tuple[bytes, int]:
    """Every row audited with another label than the labeler's (a lot that fails whatever the plan);
    also how many rows there are."""
    rows = csv_rows(data)
    others = {i: next(label for label in LABELS if label != row["decision"]) for i, row in enumerate(rows)}
    return filled(data, others, auditor="qa-auditor-1"), len(rows)


async def audits_stored(db, queue: str) -> int:
    async with db.transaction() as session:
        query = select(func.count()).where(
            Decision.queue == queue, Decision.qa_decision.is_not(None), Decision.qa_decision != ""
        )
        return int(await session.scalar(query) or 0)


async def test_the_audited_sample_sent_back_is_stored_and_the_next_draw_judges_it(
    workspace, loaded_url
) -> None:
    ws = with_sampling(workspace, **{"hate-en": REDUCED})
    now = [EXAMPLE_NOW]
    async with running_bot(ws, loaded_url, clock=lambda: now[0]) as (bot, slack):
        await yesterdays_posts(slack)
        name = sample_name("hate-en")
        posted = await yesterdays_file(slack, "hate-en")
        draw = await daily.store.load_draw(bot.db, "hate-en", YESTERDAY)
        assert draw is not None and draw.inspection == "reduced" and draw.drawn.size > 0
        data, size = audited(posted.data)
        assert size == draw.drawn.size
        plan = min(draw.sample_size, size)  # the plan's own sample judges the lot, the rest are extra
        extra = (
            f"; {size - plan} more drawn for the labelers' minimums do not judge it" if size > plan else ""
        )
        before = await audits_stored(bot.db, "hate-en")

        # who may not: a labeler, and Bluebird's lead for a Northwind queue; nothing is stored
        said = await send(slack, LABELER, name, data)
        assert "not loaded" in said and "from admins (QA leads)" in said
        said = await send(slack, BLUEBIRD_LEAD, name, data)
        assert "refused, nothing stored" in said
        assert "line 2: queue: hate-en is another vendor's queue: as a lead of bluebird" in said
        assert await audits_stored(bot.db, "hate-en") == before

        # the QA lead sends it back in a DM
        said = await send(slack, ADMIN, name, data)
        assert f"{name}: {size} rows read; {size} audits filled, 0 already audited, 0 not audited yet" in said
        assert (
            f"hate-en {YESTERDAY}: {plan} drawn for the plan, {plan} of them audited now, "
            f"{plan} nonconforming so far ({size} audits from this file){extra}" in said
        )
        assert "The lot is judged at the next draw." in said
        assert await audits_stored(bot.db, "hate-en") == before + size

        # sent again, into the ingest channel this time: nothing filled
        ts = await upload(slack, ADMIN, name, data)
        said = await thread_reply(slack, ts)
        assert f"{size} rows read; 0 audits filled, {size} already audited" in said
        assert "differ from the audit stored before" not in said
        assert f"{plan} nonconforming so far (0 audits from this file)" in said
        assert await audits_stored(bot.db, "hate-en") == before + size

        # the next morning's draw judges the lot: not accepted on reduced, back to normal
        assert switch_posts(slack.fake) == []
        now[0] = EXAMPLE_NOW + timedelta(days=1)
        await daily.draw_due(bot.services)
        posts = switch_posts(slack.fake)
        assert len(posts) == 1
        text = texts(posts[0].json("blocks"))
        assert "Hate speech EN" in text and "reduced → normal inspection" in text
        assert f"When: after the lot of {YESTERDAY} (its audits judged {now[0].date()})" in text
        assert f"lot {YESTERDAY} was not accepted under reduced inspection" in text
        lots = await daily.store.lots(bot.db, "hate-en")
        assert [(lot.day, lot.audited, lot.nonconforming, lot.accepted) for lot in lots] == [
            (YESTERDAY, plan, plan, False)
        ]


async def test_on_teams_the_file_sent_in_the_personal_chat_is_taken_back(database_url) -> None:
    async with running_teams_bot(database_url, clock=lambda: NOW) as (bot, teams):
        await load(bot.db, day_table(DAY))  # 1000 hate-en decisions, all "allow"
        result = await draw_day(bot.db, bot.services.workspace, "hate-en", DAY, NOW)
        assert result.stored is not None and result.stored.drawn.size == 80
        five = {index: "remove" if index < 2 else "allow" for index in range(5)}  # audited, two disagreeing
        name = f"audit-sample-hate-en-{DAY}.csv"
        url = teams.bf.add_file(name, filled(result.csv(), five, auditor=""))
        await teams.send(activities.file_in_personal_chat(name, url, LEAD, **teams.where()))
        [answer] = await said_in_teams(teams, LEAD, "audits filled")
        text = card_text(answer)
        assert f"{name}: 80 rows read; 5 audits filled, 0 already audited, 75 not audited yet" in text
        assert (
            f"hate-en {DAY}: 80 drawn for the plan, 5 of them audited now, 2 nonconforming so far "
            "(5 audits from this file)" in text
        )
