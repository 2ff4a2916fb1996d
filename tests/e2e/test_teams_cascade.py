"""A policy cascade in Microsoft Teams through the same handlers as Slack: an admin publishes the spam
update to Northwind's channel from the personal chat, the card is posted there once with its button, a
labeler's two presses count once, and the admin's status shows it."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.e2e.harness import eventually, settled
from tests.e2e.teams_flow import actions, card_text
from tests.e2e.teams_harness import LABELER, LEAD, NORTHWIND_CHANNEL, TEAM_ID, running_teams_bot
from tests.e2e.test_policy_cascade import library
from tests.e2e.test_teams_quiz import said
from tests.fakes import activities

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


async def test_an_update_is_published_to_a_vendor_channel_and_acknowledged_once(database_url) -> None:
    await library(database_url)
    async with running_teams_bot(database_url, clock=lambda: NOW) as (bot, teams):
        # Another app's bot on the team's roster: a `28:` account without an Entra object, not tracked.
        helper = teams.bf.add_member(
            TEAM_ID, "", "Helper app", bf_id="28:0f0e0d0c-0b0a-4909-8807-060504030201"
        )
        helper.pop("aadObjectId")
        await teams.personal("policy publish spam --to northwind --ack-by 2026-12-03", LEAD)
        assert await said(teams, LEAD, "published to 1 channel(s)")
        await teams.personal("policy publish spam --to northwind --ack-by 2026-12-03", LEAD)
        await settled(bot)
        posts = [s for s in teams.bf.posts(NORTHWIND_CHANNEL) if "Policy update" in card_text(s)]
        assert len(posts) == 1 and "Spam and platform manipulation · version 2" in card_text(posts[0])
        button = next(a for a in actions(posts[0]) if a["title"] == "I have read and understood")
        for _ in range(2):  # a second press: counted once, and said so
            press = activities.card_action(
                button["verb"], button["data"], LABELER, NORTHWIND_CHANNEL, posts[0].activity_id,
                team_id=TEAM_ID, **teams.where(),
            )  # fmt: skip
            status, _ = await teams.send(press)
            assert status == 200
        assert await said(teams, LABELER, "Recorded: you have read and understood")
        assert await said(teams, LABELER, "already recorded")
        await teams.personal("policy cascade spam", LEAD)
        status_card = card_text((await said(teams, LEAD, "· cascade"))[0])
        members = len(bot.services.workspace.people)
        assert f"1 of {members} acknowledged" in status_card and "Northwind Review Services" in status_card
        assert len(await eventually(lambda: [s for s in teams.bf.posts(NORTHWIND_CHANNEL)])) == 1
