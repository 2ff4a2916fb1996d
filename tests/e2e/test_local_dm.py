"""A direct message typed to the bot in the local workspace's page reaches the same Slack listener as a
real Slack DM (a `message` event with channel_type "im"), and the answer shows in the DM."""

from __future__ import annotations

import aiohttp

from bot.chat.events import Mention
from bot.config import Settings
from bot.local.run import LocalRun
from tests.e2e.harness import settled
from tests.e2e.test_direct_messages import QUESTION, listening
from tests.e2e.test_local_quiz import LABELER, QA_OPS, Page, example_workspace


async def test_a_dm_typed_to_the_bot_is_heard_and_answered_in_the_dm(database_url) -> None:
    heard: list[Mention] = []
    settings = Settings(
        database_url=database_url, host="127.0.0.1", port=0, log_level="WARNING", _env_file=None
    )
    run = LocalRun(settings, example_workspace(), router=listening(heard), save_delay=0.05)
    await run.start()
    try:
        async with aiohttp.ClientSession() as session:
            page = Page(run.url, session)
            dm = await page.dm(LABELER)
            await page.send(LABELER, QUESTION, channel=dm)
            answers = await page.messages(LABELER, dm, f"Heard: {QUESTION}")
            assert [a["user"] for a in answers] == [run.local.api.state.bot_user_id]
            # A command named in the DM runs it there; chatter in a channel reaches no one.
            await page.send(LABELER, "digest help", channel=dm)
            assert await page.messages(LABELER, dm, "/digest help: this help")
            await page.send(LABELER, "just chatting here", channel=QA_OPS)
            await settled(run.bot)
            assert [(m.text, m.channel, m.direct) for m in heard] == [(QUESTION, dm, True)]
    finally:
        await run.stop()
