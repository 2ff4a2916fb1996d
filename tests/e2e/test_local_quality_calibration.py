"""`/quality` and `/calibrate` in the local workspace, end to end without a browser: the page's own
HTTP calls against `tsqa run --local` in-process, through the same handlers as Slack and Teams. The
quality report arrives in the person's DM with its charts and CSV in its thread (figures checked
against an independent count of the stored audits); a calibration session is made in the modal from
a pasted CSV, two participants vote blind in their DMs with the ballot buttons (a double click records
once), and the facilitator's Reveal now posts the results in the channel."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from storage.engine import Database
from storage.models import CalibrationVote
from tests.e2e.calibration_flow import CSV, KAI, LEE, NICO, QUINN
from tests.e2e.harness import settled
from tests.e2e.test_local_policy import modal, submit
from tests.e2e.test_local_quiz import PAGE, QA_OPS, Page, example_workspace, local_workspace, read
from tests.e2e.test_quality import audited, seeded

# The local workspace runs on the real clock: the audits are seeded to end yesterday, whatever day
# this runs on, and the report asked from six days before they start (as on 30 Nov: 2 Nov).
TODAY = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
SINCE = (TODAY - timedelta(days=28)).date()


async def ballot(page: Page, person: str, words: str) -> dict[str, Any]:
    """The person's ballot in their DM once it says `words` (it is updated in place)."""
    [shown] = await page.messages(person, await page.dm(person), words, timeout=20)
    return shown


async def click_as_drawn(page: Page, person: str, message: dict[str, Any], title: str) -> dict[str, Any]:
    """Press a button as the page does, with the button as the page drew it (`seen`); the answer."""
    [(block, element, drawn)] = [
        (b, e, item)
        for b, part in enumerate(message["blocks"])
        if part["type"] == "actions"
        for e, item in enumerate(part["elements"])
        if item.get("text", {}).get("text") == title
    ]
    seen = {"action_id": drawn.get("action_id", ""), "value": drawn.get("value", "")}
    body = {"as": person, "channel": message["channel"], "ts": message["ts"], "block": block,
            "element": element, "seen": seen}  # fmt: skip
    async with page.session.post(f"{page.url}/ui/action", json=body, headers=PAGE) as response:
        assert response.status == 200
        return await response.json()


async def votes(database_url: str) -> list[tuple[str, int, str]]:
    db = Database(database_url)
    async with db.transaction() as session:
        rows = await session.execute(
            select(CalibrationVote.user_id, CalibrationVote.position, CalibrationVote.label).order_by(
                CalibrationVote.user_id, CalibrationVote.position
            )
        )
        found = [(str(u), int(p), str(label)) for u, p, label in rows.all()]
    await db.dispose()
    return found


async def test_the_quality_report_with_its_files_in_the_dm(database_url) -> None:
    workspace = example_workspace()
    await seeded(database_url, workspace, TODAY)  # queue data exists, so the local seed adds none
    total, agreed = await audited(database_url, since=datetime.combine(SINCE, time(0), UTC))
    async with local_workspace(database_url, workspace) as (_run, page):
        await page.send(QUINN, f"/quality since {SINCE.isoformat()}")
        assert await page.messages(QUINN, QA_OPS, "is on its way to our DM")
        dm = await page.dm(QUINN)
        [report] = await page.messages(QUINN, dm, "Quality ·", timeout=20)
        shown = read(report)
        assert f"{agreed / total:.1%}" in shown and f"of {total:,} audited" in shown, shown
        assert "What to do next" in shown and "Northwind Review Services on Spam PT" in shown
        assert "Calibrate on these items" in shown and "Assign refresher quiz spam-basics" in shown

        files = await page.files(QUINN, dm, report["ts"], 5, timeout=30)  # four charts and a CSV
        name = f"quality-all-{SINCE}"
        pngs = [f"{name}-trend.png"] + [
            f"{name}-{q}-confusion.png" for q in ("graphic-img", "hate-en", "spam-pt")
        ]
        assert set(files) == {*pngs, f"{name}-errors.csv"}, set(files)
        for png in pngs:
            assert (await page.download(files[png]))[:4] == b"\x89PNG"
        table = (await page.download(files[f"{name}-errors.csv"])).decode()
        rows = list(csv.DictReader(io.StringIO(table)))
        assert len(rows) == total - agreed and all(r["decision"] != r["qa_decision"] for r in rows)

        # Nobody else sees it: not in the channel, not in a labeler's DM.
        assert not await page.messages(QUINN, QA_OPS, "Quality ·", timeout=0)
        await page.send(LEE, "/quality")
        assert "⛔" in read((await page.messages(LEE, QA_OPS, "⛔"))[0])
        assert not await page.messages(LEE, await page.dm(LEE), "Quality ·", timeout=0)


async def test_a_session_from_a_pasted_csv_voted_blind_and_revealed_in_the_channel(database_url) -> None:
    workspace = example_workspace()
    async with local_workspace(database_url, workspace) as (run, page):
        await page.send(QUINN, "/calibrate new")
        form = await modal(page, QUINN)
        assert form["title"]["text"] == "Calibration session"
        due = (datetime.now(workspace.tz) + timedelta(days=2)).strftime("%Y-%m-%d 15:00")
        values = {"title": "Local round", "queue": "hate-en", "participants": f"{LEE} {KAI}", "due": due,
                  "source": "csv", "items": CSV, "count": "", "days": ""}  # fmt: skip
        bad = await submit(page, QUINN, {**values, "items": "item_id,link\n,https://tool.example/1\n"})
        assert "items" in bad["errors"] and "line 2" in bad["errors"]["items"], bad
        assert await submit(page, QUINN, values) == {"ok": True}
        assert (await page.view(QUINN, QA_OPS))["modal"] is None

        first = await ballot(page, LEE, "Item 1 of 3")
        assert "ITEM-101" in read(first) and "quoted term in a news headline" in read(first)
        labels = [e["text"]["text"] for b in first["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert labels[:4] == ["allow", "age_restrict", "remove", "escalate"], labels

        # A double click records once; the ballot moves on to item 2, in place. Both clicks carry item
        # 1's drawing, as the page sends them: a second one that arrives after the move is refused.
        pressed = await asyncio.gather(*(click_as_drawn(page, LEE, first, "remove") for _ in range(2)))
        assert {"ok": True} in pressed, pressed
        assert all(p["ok"] or "changed" in p["error"] for p in pressed), pressed
        second = await ballot(page, LEE, "Item 2 of 3")
        assert second["ts"] == first["ts"]
        await settled(run.bot)
        assert await votes(database_url) == [(LEE, 1, "remove")]
        # A click on item 1's drawing that reaches the local workspace after the ballot moved on is
        # refused, not sent as item 2's button at the same place.
        stale = await click_as_drawn(page, LEE, first, "remove")
        assert stale["ok"] is False and "changed" in stale["error"]
        await settled(run.bot)
        assert await votes(database_url) == [(LEE, 1, "remove")]
        await page.click(LEE, second, "allow")
        await page.click(LEE, await ballot(page, LEE, "Item 3 of 3"), "allow")
        await ballot(page, LEE, "All 3 items rated")

        # Blind: Kai's ballot and the channel show nothing of Lee's votes before the reveal.
        kai = await ballot(page, KAI, "Item 1 of 3")
        assert "remove 1" not in read(kai) and "Your vote" not in read(kai)
        assert not await page.messages(NICO, QA_OPS, "Local round", timeout=0)
        for label, now, then in (("remove", 1, "Item 2 of 3"), ("remove", 2, "Item 3 of 3"),
                                 ("allow", 3, "All 3 items rated")):  # fmt: skip
            await page.click(KAI, await ballot(page, KAI, f"Item {now} of 3"), label)
            await ballot(page, KAI, then)

        panel = await ballot(page, QUINN, "Reveal now")
        await page.messages(QUINN, await page.dm(QUINN), "Finished (2)")
        # A double click reveals once; the second may come after the panel lost its buttons: "changed".
        answers = await asyncio.gather(*(click_as_drawn(page, QUINN, panel, "Reveal now") for _ in range(2)))
        assert {"ok": True} in answers, answers
        assert all(a["ok"] or "changed" in a["error"] for a in answers), answers
        await page.messages(NICO, QA_OPS, "Calibration results", timeout=20)
        await settled(run.bot)
        [results] = await page.messages(NICO, QA_OPS, "Calibration results")
        gone = await click_as_drawn(page, QUINN, panel, "Reveal now")  # the panel has no buttons now
        assert gone["ok"] is False and "changed" in gone["error"], gone
        shown = read(results)
        assert "Local round" in shown and "3 items · 2 raters" in shown and "Krippendorff's alpha" in shown
        assert "2. ITEM-102 · allow 1 · remove 1 · reference allow · 50% agree ⚠️" in shown, shown
    assert await votes(database_url) == sorted(
        [(LEE, 1, "remove"), (LEE, 2, "allow"), (LEE, 3, "allow"),
         (KAI, 1, "remove"), (KAI, 2, "remove"), (KAI, 3, "allow")]
    )  # fmt: skip
