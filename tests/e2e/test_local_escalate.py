"""Escalations in the local workspace, end to end without a browser: the page's own HTTP calls against
`tsqa run --local` in-process. A QA lead runs `/escalate`, fills the modal, and the escalation shows
in the escalation channel with its thread (the R&D on-call and Northwind's contact mentioned) and the
lead's DM; the on-call's two clicks on Acknowledge record once, the message updated in place. The
"⋯" menu's "Escalate this message" opens the modal pre-filled from the message and raises from it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.engine import Database
from storage.models import Escalation
from tests.e2e.test_escalate import events
from tests.e2e.test_local_policy import modal, submit
from tests.e2e.test_local_quiz import PAGE, QA_OPS, Page, example_workspace, local_workspace, read

QUINN, ROBIN, REMY, NICO, LEE = "U0QALEAD1", "U0RDONCALL", "U0RDLEAD1", "U0NWLEAD1", "U0LABEL01"
ESCALATIONS = "C0ESCAL01"


def fields(form: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The modal's input elements by block id (the form's field names)."""
    return {b["block_id"]: b["element"] for b in form["blocks"] if b.get("type") == "input"}


def raised(**changed: str) -> dict[str, Any]:
    """The raise modal as a person fills it: `{block_id: value}`, as the page submits it."""
    filled = {"queue": "hate-en", "platform": "media-service", "severity": "SEV2", "impact": "", "link": ""}
    return {**filled, "title": "Media not loading", "description": "Images stay blank.", **changed}


def buttons(message: dict[str, Any]) -> list[str]:
    """The titles of a message's buttons."""
    return [e["text"]["text"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def menu(page: Page) -> dict[str, Any]:
    """What the page learns of the workspace at load, the shortcuts of every message's menu with it."""
    async with page.session.get(f"{page.url}/ui/workspace") as response:
        return await response.json()


async def rows(database_url: str) -> list[Escalation]:
    db = Database(database_url)
    async with db.transaction() as session:
        found = (await session.scalars(select(Escalation).order_by(Escalation.number))).all()
    await db.dispose()
    return list(found)


async def shortcut(page: Page, person: str, message: dict[str, Any], callback_id: str) -> dict[str, Any]:
    """Choose a shortcut in a message's "⋯" menu, as the page does."""
    body = {"as": person, "channel": message["channel"], "ts": message["ts"], "callback_id": callback_id}
    async with page.session.post(f"{page.url}/ui/shortcut", json=body, headers=PAGE) as response:
        assert response.status == 200
        return await response.json()


async def test_raise_in_the_local_workspace_and_acknowledge_once(database_url) -> None:
    async with local_workspace(database_url, example_workspace()) as (_run, page):
        await page.send(QUINN, "/escalate hate-en Media not loading")
        form = await modal(page, QUINN)
        shown = fields(form)
        assert form["title"]["text"] == "Escalate an issue"
        assert shown["title"]["initial_value"] == "Media not loading"
        assert shown["queue"]["initial_option"]["value"] == "hate-en"
        missing = await submit(page, QUINN, raised(description=""))
        assert set(missing["errors"]) == {"description"}  # shown in the modal, which stays open
        assert await submit(page, QUINN, raised()) == {"ok": True}
        assert (await page.view(QUINN, QA_OPS))["modal"] is None

        [root] = await page.messages(ROBIN, ESCALATIONS, "ESC-1 · SEV2 · Media not loading")
        assert "Hate speech EN" in read(root) and "Not acknowledged" in read(root)
        [first] = await page.messages(ROBIN, ESCALATIONS, "R&D on-call", thread=root["ts"])
        assert f"<@{ROBIN}>" in read(first) and f"<@{NICO}>" in read(first)
        assert f"<@{REMY}>" not in read(first)  # tier 2 only when tier 1 stays silent
        told = await page.messages(QUINN, await page.dm(QUINN), "is posted in")
        assert len(told) == 1 and "ESC-1" in read(told[0])

        # Lee (a labeler) sees the button but may not acknowledge; Robin's two clicks count once.
        await page.click(LEE, root, "Acknowledge")
        assert await page.messages(LEE, ESCALATIONS, "Only admins, this platform's R&D people")
        await page.click(ROBIN, root, "Acknowledge")
        await page.click(ROBIN, root, "Acknowledge")
        [acked] = await page.messages(QUINN, ESCALATIONS, f"Acknowledged by <@{ROBIN}>")
        assert acked["ts"] == root["ts"]  # the message itself, updated in place
        assert buttons(acked) == ["Post update", "Change severity", "Resolve"]
        assert len(await page.messages(QUINN, ESCALATIONS, "acknowledged this", thread=root["ts"])) == 1
        assert await page.messages(ROBIN, ESCALATIONS, "already acknowledged")
    assert await events(database_url, "acknowledged") == 1
    [row] = await rows(database_url)
    assert (row.status, row.owner, row.reporter) == ("acknowledged", ROBIN, QUINN)


async def test_escalate_this_message_from_the_menu_prefills_the_modal(database_url) -> None:
    async with local_workspace(database_url, example_workspace()) as (_run, page):
        await page.send(NICO, "Queue routing stuck for spam-pt\nNobody gets new items & the backlog grows.")
        [said] = await page.messages(QUINN, QA_OPS, "Queue routing stuck")
        offered = {s["callback_id"]: s["name"] for s in (await menu(page))["shortcuts"]}
        assert offered.get("escalate_message") == "Escalate this message"  # on every message's "⋯"
        assert await shortcut(page, QUINN, said, "escalate_message") == {"ok": True}
        shown = fields(await modal(page, QUINN))
        assert shown["title"]["initial_value"] == "Queue routing stuck for spam-pt"
        described = shown["description"]["initial_value"]
        assert "Nobody gets new items & the backlog grows." in described
        link = shown["link"]["initial_value"]
        assert f"/archives/{QA_OPS}/p{said['ts'].replace('.', '')}" in link  # the message's permalink
        good = raised(
            queue="spam-pt",
            platform="routing",
            severity="SEV3",
            title="Queue routing stuck",
            description=described,
        )
        assert await submit(page, QUINN, good) == {"ok": True}
        [root] = await page.messages(ROBIN, ESCALATIONS, "ESC-1 · SEV3 · Queue routing stuck")
        assert "Spam PT" in read(root) and "Nobody gets new items" in read(root)
        assert await page.messages(ROBIN, ESCALATIONS, f"<@{ROBIN}>", thread=root["ts"])
    [row] = await rows(database_url)
    assert (row.source_channel, row.source_ts, row.queue) == (QA_OPS, said["ts"], "spam-pt")
