"""Policy answers in the local workspace, end to end without a browser: the page's own HTTP calls
against `tsqa run --local` in-process. A new local workspace starts with the example policy library
(its local seed), so a labeler's first question already has an answer."""

from __future__ import annotations

from tests.e2e.test_local_quiz import LABELER, QA_OPS, example_workspace, local_workspace, read

KAI = "U0LABEL02"


async def test_a_question_is_answered_privately_then_shared_once(database_url) -> None:
    async with local_workspace(database_url, example_workspace()) as (_run, page):
        await page.send(LABELER, "/policy is it spam to post the same comment many times?")
        answer = (await page.messages(LABELER, QA_OPS, "Spam and platform manipulation"))[0]
        assert "version 2" in read(answer)
        # Private: the other labeler in the channel sees nothing yet.
        assert not await page.messages(KAI, QA_OPS, "Spam and platform manipulation", timeout=0)
        await page.click(LABELER, answer, "Share in channel")
        await page.click(LABELER, answer, "Share in channel")
        shared = await page.messages(KAI, QA_OPS, "Shared by")
        assert len(shared) == 1 and "Spam and platform manipulation" in read(shared[0])


async def test_a_mention_is_answered_in_its_thread_and_a_dm_in_the_dm(database_url) -> None:
    async with local_workspace(database_url, example_workspace()) as (_run, page):
        await page.send(LABELER, "@tsqa does a quoted insult in a news report count as harassment?")
        asked = (await page.messages(KAI, QA_OPS, "quoted insult"))[0]
        thread = await page.messages(KAI, QA_OPS, "Harassment and insults", thread=asked["ts"])
        assert thread, "the answer is in the question's thread, for everyone there"

        dm = await page.dm(LABELER)
        await page.send(LABELER, "what about fake accounts that copy a brand?", channel=dm)
        answered = await page.messages(LABELER, dm, "Impersonation")
        assert answered and "Helpful" in read(answered[0])
