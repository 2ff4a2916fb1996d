"""Appeals in the local workspace, end to end without a browser: the page's own HTTP calls against
`tsqa run --local` in-process, through the same handlers as Slack and Teams. The QA lead shares the
audited decisions in qa-ops; the labeler's `/quality mine` shows their disagreements with Appeal
buttons, the appeal form files one appeal however often it is submitted, the review thread in the
review channel refuses the auditor, another reviewer overturns, the labeler's DM says so once, and
eight days on the other audit is refused with the date."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import aiohttp
from sqlalchemy import select

from storage.models.appeals import Appeal
from tests.e2e.appeals_flow import (
    LABELER,
    LABELER_ID,
    OTHER,
    QUINN,
    REVIEWS,
    ROWS,
    TARA,
    decisions_csv,
    on_roster,
    with_appeals,
)
from tests.e2e.escalate_flow import Clock, run_timers
from tests.e2e.harness import EXAMPLE_NOW
from tests.e2e.test_local_policy import modal, submit
from tests.e2e.test_local_quiz import PAGE, QA_OPS, Page, example_workspace, read
from tests.e2e.test_local_training import local_on


async def share(page: Page, person: str, name: str, data: bytes, channel: str = QA_OPS) -> str:
    """A file shared from the page's composer; the message's ts (the bot answers in its thread)."""
    form = aiohttp.FormData({"as": person, "channel": channel})
    form.add_field("file", data, filename=name)
    async with page.session.post(f"{page.url}/ui/upload", data=form, headers=PAGE) as response:
        assert response.status == 200
        shared = await response.json()
    assert shared["ok"], shared
    return str(shared["ts"])


def appeal_values(message: dict[str, Any]) -> dict[str, str]:
    """The message's Appeal buttons' values by the item they appeal."""
    return {
        e["value"].rsplit("|", 1)[-1]: e["value"]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id") == "appeal.open"
    }


async def press(page: Page, person: str, message: dict[str, Any], action_id: str, value: str) -> None:
    """Press the button with this action and value, as the page does: by block and element index."""
    [(block, element)] = [
        (b, e)
        for b, part in enumerate(message["blocks"])
        if part["type"] == "actions"
        for e, item in enumerate(part["elements"])
        if item.get("action_id") == action_id and item.get("value") == value
    ]
    body = {"as": person, "channel": message["channel"], "ts": message["ts"], "block": block}
    body["element"] = element
    async with page.session.post(f"{page.url}/ui/action", json=body, headers=PAGE) as response:
        assert response.status == 200 and (await response.json())["ok"]


async def submit_view(page: Page, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """One post of the page's modal submit; (status, answer)."""
    async with page.session.post(f"{page.url}/ui/submit", json=body, headers=PAGE) as response:
        text = await response.text()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, {"text": text}


async def submit_twice(page: Page, person: str, values: dict[str, Any]) -> None:
    """The open modal submitted, then the same view again (a second click): the page refuses the view
    it has closed, so the bot files from the first."""
    body = {"as": person, "view_id": (await modal(page, person))["id"], "values": values}
    assert await submit_view(page, body) == (200, {"ok": True})
    assert (await page.view(person, QA_OPS))["modal"] is None
    status, again = await submit_view(page, body)
    assert status == 400 and again.get("error") == "view_not_found", (status, again)


async def test_an_appeal_in_the_local_workspace_filed_once_overturned_by_another_and_told_once(
    database_url,
) -> None:
    clock = Clock(EXAMPLE_NOW)
    workspace = with_appeals(example_workspace())
    assert workspace.appeals is not None
    window = timedelta(days=workspace.appeals.window_days)
    async with local_on(database_url, workspace, clock) as (run, page):
        await on_roster(run.bot.db, LABELER, now=clock())
        shared = await share(page, QUINN, "audits.csv", decisions_csv())
        assert await page.messages(QUINN, QA_OPS, f"{len(ROWS)} rows", thread=shared, timeout=20)

        # The labeler's own audited disagreements, privately, each with an Appeal button.
        disagreements = {item: (mine, qa) for item, mine, qa, _ in ROWS if mine != qa}
        await page.send(LABELER, "/quality mine")
        [listed] = await page.messages(LABELER, QA_OPS, "Your audited disagreements")
        shown = read(listed)
        for item, (mine, qa) in disagreements.items():
            assert f"{item} on Hate speech EN" in shown, shown
            assert f"you: {mine.replace('_', ' ')} · QA: {qa.replace('_', ' ')}" in shown
        assert "ap-003" not in shown  # QA agreed with it: nothing to appeal
        assert set(appeal_values(listed)) == set(disagreements)
        assert not await page.messages(OTHER, QA_OPS, "Your audited disagreements", timeout=0)

        # Appeal opens the form; submitted twice, one appeal and one thread in the review channel.
        values = appeal_values(listed)
        await press(page, LABELER, listed, "appeal.open", values["ap-001"])
        form = await modal(page, LABELER)
        assert form["title"]["text"] == "Appeal a QA verdict"
        assert {b.get("block_id") for b in form["blocks"]} >= {"reason", "section"}
        await submit_twice(page, LABELER, {"reason": "Policy 4.2 allows removal here.", "section": "4.2"})
        await run_timers(run.bot)
        [root] = await page.messages(QUINN, REVIEWS, "Appeal #")  # one thread, however it is numbered
        assert "Appeal #1" in read(root)
        assert "qa-01" in read(root) and "Policy 4.2 allows removal here." in read(root)
        dm = await page.dm(LABELER)
        assert len(await page.messages(LABELER, dm, "is filed")) == 1

        # The auditor (qa-01 is Quinn) gets no form; Tara overturns with a note.
        await press(page, QUINN, root, "appeal.overturn", "1")
        assert await page.messages(QUINN, REVIEWS, "You audited this decision (qa-01)")
        assert (await page.view(QUINN, REVIEWS))["modal"] is None
        await press(page, TARA, root, "appeal.overturn", "1")
        assert (await modal(page, TARA))["title"]["text"] == "Overturn appeal #1"
        assert await submit(page, TARA, {"note": "Section 4.2 covers this: the removal was right."}) == {
            "ok": True
        }
        await run_timers(run.bot)

        async with run.bot.db.transaction() as session:
            appeal = await session.get(Appeal, 1)
        assert appeal is not None and appeal.labeler_id == LABELER_ID and appeal.item_id == "ap-001"
        assert appeal.status == "overturned" and appeal.reviewer == TARA
        assert appeal.final_label == disagreements["ap-001"][0]
        [now_reads] = await page.messages(QUINN, REVIEWS, "Overturned by")
        assert now_reads["ts"] == root["ts"]  # the thread's root, updated in place
        assert not [b for b in now_reads["blocks"] if b["type"] == "actions"]  # its buttons gone
        outcome = await page.messages(QUINN, REVIEWS, "Overturned", thread=root["ts"])
        assert len([m for m in outcome if m["ts"] != root["ts"]]) == 1
        await run_timers(run.bot)
        assert len(await page.messages(LABELER, dm, "was overturned")) == 1

        # Eight days on, the other audit's window has closed: refused, with the date.
        clock.advance(days=8)
        closes = (EXAMPLE_NOW.astimezone(workspace.tz).date() + window).isoformat()
        audited_on = EXAMPLE_NOW.astimezone(workspace.tz).date().isoformat()
        await press(page, LABELER, listed, "appeal.open", values["ap-002"])
        late = f"closed at the end of {closes} (the audit was on {audited_on})"
        assert await page.messages(LABELER, QA_OPS, late)
        assert (await page.view(LABELER, QA_OPS))["modal"] is None


async def test_a_double_click_on_the_appeal_forms_submit_files_one_appeal(database_url) -> None:
    """Two submits of the same open form at once (a double click, or two tabs): each is answered as the
    page answers a submit (ok, or the view already closed), and one appeal is filed."""
    clock = Clock(EXAMPLE_NOW)
    async with local_on(database_url, with_appeals(example_workspace()), clock) as (run, page):
        await on_roster(run.bot.db, LABELER, now=clock())
        shared = await share(page, QUINN, "audits.csv", decisions_csv())
        assert await page.messages(QUINN, QA_OPS, f"{len(ROWS)} rows", thread=shared, timeout=20)
        await page.send(LABELER, "/quality mine")
        [listed] = await page.messages(LABELER, QA_OPS, "Your audited disagreements")
        await press(page, LABELER, listed, "appeal.open", appeal_values(listed)["ap-001"])
        values = {"reason": "Policy 4.2 allows removal here.", "section": "4.2"}
        body = {"as": LABELER, "view_id": (await modal(page, LABELER))["id"], "values": values}
        answers = await asyncio.gather(*(submit_view(page, body) for _ in range(3)))
        assert (200, {"ok": True}) in answers, answers
        refused = (400, {"ok": False, "error": "view_not_found"})
        assert all(a in ((200, {"ok": True}), refused) for a in answers), answers
        await run_timers(run.bot)
        async with run.bot.db.transaction() as session:
            filed = (await session.scalars(select(Appeal))).all()
        assert [(a.item_id, a.labeler_id) for a in filed] == [("ap-001", LABELER_ID)]
        # PostgreSQL spends a sequence number on each insert tried, so the winner may not be #1.
        number = filed[0].appeal_id
        assert len(await page.messages(QUINN, REVIEWS, f"Appeal #{number}")) == 1
