"""Policy answers in the local workspace, end to end without a browser: the page's own HTTP calls
against `tsqa run --local` in-process. A new local workspace starts with the example policy library
(its local seed), so a labeler's first question already has an answer; one it has not is asked of the
owners, answered through the owner's form, saved, and answers the next wording of it."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_local_quiz import (
    LABELER,
    PAGE,
    QA_OPS,
    Page,
    example_workspace,
    local_workspace,
    polled,
    read,
)

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


QUINN, OWNERS = "U0QALEAD1", "C0POLOWN1"  # the example policies' owner (policy-owners), their channel
UNANSWERABLE = "may labelers take a lunch break during a calibration meeting?"
PARAPHRASE = "can a labeler take lunch breaks in calibration meetings?"


async def modal(page: Page, person: str) -> dict[str, Any]:
    """The modal open for the person, once there is one."""
    shown = await polled(lambda: page.view(person, QA_OPS), lambda shown: bool(shown.get("modal")))
    return shown["modal"]


async def submit(page: Page, person: str, values: dict[str, Any]) -> dict[str, Any]:
    """Submit the person's open modal as the page does: `{block_id: chosen}`; the page's answer."""
    body = {"as": person, "view_id": (await modal(page, person))["id"], "values": values}
    async with page.session.post(f"{page.url}/ui/submit", json=body, headers=PAGE) as response:
        assert response.status == 200
        return await response.json()


async def test_an_owner_answers_through_the_form_and_the_saved_answer_answers_the_next_question(
    database_url,
) -> None:
    async with local_workspace(database_url, example_workspace()) as (_run, page):
        await page.send(LABELER, f"/policy {UNANSWERABLE}")
        unsure = (await page.messages(LABELER, QA_OPS, "no confident answer"))[0]
        await page.click(LABELER, unsure, "Ask a policy owner")
        await page.click(LABELER, unsure, "Ask a policy owner")  # a double click asks once
        [asked] = await page.messages(QUINN, OWNERS, UNANSWERABLE)
        assert "@U0QALEAD1" in asked["blocks"][0]["text"]["text"]  # the owner is mentioned

        await page.click(LABELER, asked, "Answer")  # a labeler: no form
        assert "Only this policy's owners" in read(
            (await page.messages(LABELER, OWNERS, "Only this policy's owners"))[0]
        )
        assert (await page.view(LABELER, OWNERS))["modal"] is None
        await page.click(QUINN, asked, "Answer")
        [section] = [b for b in (await modal(page, QUINN))["blocks"] if b.get("block_id") == "section"]
        offered = [o["value"] for o in section["element"]["options"]]
        assert offered and all(v.startswith("harassment#") for v in offered)
        answer = "Yes. Breaks follow the site's schedule; calibration meetings are not live queue time."
        empty = await submit(page, QUINN, {"answer": "", "section": offered[0]})
        assert set(empty["errors"]) == {"answer"}  # shown in the form, which stays open
        assert await submit(page, QUINN, {"answer": answer, "section": offered[0]}) == {"ok": True}
        assert (await page.view(QUINN, OWNERS))["modal"] is None

        [answered] = await page.messages(QUINN, OWNERS, "Breaks follow", thread=asked["ts"])
        dm = await page.dm(LABELER)
        told = await page.messages(LABELER, dm, "Breaks follow")
        assert len(told) == 1 and "Harassment and insults" in read(told[0])

        await page.click(LABELER, answered, "Save as answer")  # a labeler: refused
        await page.click(QUINN, answered, "Save as answer")
        saved = await page.messages(QUINN, OWNERS, "Saved as a verified answer", thread=asked["ts"])
        assert len(saved) == 1
        refused = await page.messages(LABELER, OWNERS, "Only this policy's owners", thread=asked["ts"])
        assert len(refused) == 1  # to the labeler alone, in the thread they clicked in
        assert not await page.messages(QUINN, OWNERS, "Only this policy's owners", asked["ts"], timeout=0)

        await page.send(LABELER, f"/policy {PARAPHRASE}")
        later = read((await page.messages(LABELER, QA_OPS, "A policy owner answered this question"))[0])
        assert later.index("A policy owner answered") < later.index("Breaks follow"), later
        assert len(await page.messages(LABELER, dm, "Breaks follow")) == 1  # told once
        assert len(await page.messages(QUINN, OWNERS, UNANSWERABLE)) == 1  # asked once
