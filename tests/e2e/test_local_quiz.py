"""The quiz's trainer and review commands in the local workspace, end to end without a browser: the
page's own HTTP calls (type a command, read a conversation, click a button, download a file) against
`tsqa run --local` in-process, which talks to the real bot exactly as Slack does."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import aiohttp

from bot.config import Settings
from bot.local.run import LocalRun
from bot.workspace import Workspace, load_workspace
from tests.conftest import ROOT
from tests.e2e import quiz_stories as story
from tests.e2e.harness import texts

TRAINER, LABELER, NORTHWIND_LEAD, QA_OPS = "U0TRAINER1", "U0LABEL01", "U0NWLEAD1", "C0QAOPS01"
COHORT = story.cohort([f"U0COHORT{n}" for n in range(1, 9)])
T = TypeVar("T")
PAGE = {"X-Tsqa-Local": "1"}  # what the page sends with every post


def example_workspace() -> Workspace:
    return load_workspace(ROOT / "examples" / "workspace.yml").model_copy(update={"digests": []})


class Page:
    """What the browser page does, as its HTTP calls: acting as a person, always named with `as`."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.session = session

    async def send(self, person: str, text: str, channel: str = QA_OPS) -> None:
        body = {"as": person, "channel": channel, "text": text}
        async with self.session.post(f"{self.url}/ui/message", json=body, headers=PAGE) as response:
            assert response.status == 200 and (await response.json())["ok"]

    async def view(self, person: str, channel: str, thread: str | None = None) -> dict[str, Any]:
        query = {"as": person, "channel": channel, **({"thread": thread} if thread else {})}
        async with self.session.get(f"{self.url}/ui/view", params=query) as response:
            return await response.json()

    async def dm(self, person: str) -> str:
        """The person's DM with the bot, as the sidebar lists it."""
        seen = await self.view(person, QA_OPS)
        return next(c["id"] for c in seen["conversations"] if c["kind"] == "im")

    async def messages(
        self, person: str, channel: str, words: str, thread: str | None = None, timeout: float = 10
    ) -> list[dict]:
        """What the person sees in `channel` (or a thread) with `words` in it, once there is some."""

        async def seen() -> list[dict]:
            shown = await self.view(person, channel, thread)
            return [m for m in shown.get("thread" if thread else "messages", []) if words in read(m)]

        return await polled(seen, bool, timeout)

    async def click(self, person: str, message: dict, title: str) -> None:
        """Press the button titled `title` in a message, as the page does: by block and element index."""
        block, element = next(
            (b, e)
            for b, part in enumerate(message["blocks"])
            if part["type"] == "actions"
            for e, item in enumerate(part["elements"])
            if item.get("text", {}).get("text") == title
        )
        body = {"as": person, "channel": message["channel"], "ts": message["ts"], "block": block}
        body["element"] = element
        async with self.session.post(f"{self.url}/ui/action", json=body, headers=PAGE) as response:
            assert response.status == 200 and (await response.json())["ok"]

    async def files(
        self, person: str, channel: str, thread: str, count: int, timeout: float = 10
    ) -> dict[str, dict]:
        """The files shared in a thread by name, once there are `count` of them (or `timeout` passed)."""

        async def shared() -> dict[str, dict]:
            shown = (await self.view(person, channel, thread))["thread"]
            return {f["name"]: f for m in shown for f in m["files"]}

        return await polled(shared, lambda found: len(found) >= count, timeout)

    async def download(self, file: dict) -> bytes:
        async with self.session.get(self.url + file["url"]) as response:
            assert response.status == 200
            return await response.read()


async def polled(look: Callable[[], Awaitable[T]], enough: Callable[[T], bool], timeout: float = 10) -> T:
    """`eventually` for a look that awaits the page's endpoints: the first result that is enough, or the
    last one when `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        found = await look()
        if enough(found) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


def read(message: dict) -> str:
    """What a person reads in a message: its text and its blocks, without Slack's bold and code marks."""
    return (
        (message.get("text") or "")
        + "\n"
        + texts(message.get("blocks") or []).replace("*", "").replace("`", "")
    )


@asynccontextmanager
async def local_workspace(database_url: str, workspace: Workspace) -> AsyncIterator[tuple[LocalRun, Page]]:
    settings = Settings(
        database_url=database_url, host="127.0.0.1", port=0, log_level="WARNING", _env_file=None
    )
    run = LocalRun(settings, workspace, save_delay=0.05)
    await run.start()
    try:
        async with aiohttp.ClientSession() as session:
            yield run, Page(run.url, session)
    finally:
        await run.stop()


async def test_a_trainer_gets_status_and_the_report_with_its_files_and_others_only_what_they_may(
    database_url,
) -> None:
    workspace = story.with_cohort(example_workspace(), COHORT)
    await story.seed(database_url, workspace, COHORT, datetime.now(UTC) - timedelta(days=3))
    async with local_workspace(database_url, workspace) as (_run, page):
        await page.send(TRAINER, f"/quiz assign {story.TOPIC} to group:cohort")
        assert await page.messages(TRAINER, QA_OPS, "assigned to 8 people")
        await page.send(TRAINER, f"/quiz status {story.TOPIC}")
        status = read((await page.messages(TRAINER, QA_OPS, f"{story.TITLE} · status"))[0])
        for line in story.status_lines(COHORT):
            assert line in status

        await page.send(TRAINER, f"/quiz report {story.TOPIC}")
        dm = await page.dm(TRAINER)
        report = (await page.messages(TRAINER, dm, "KR-20"))[0]
        assert story.report_headline(COHORT) in read(report)
        for line in story.question_lines(COHORT):
            assert line in read(report)
        # The chart and the answers as CSV, in the report's thread.
        files = await page.files(TRAINER, dm, report["ts"], 2)
        assert (await page.download(files[f"quiz-{story.TOPIC}.png"]))[:4] == b"\x89PNG"
        table = (await page.download(files[f"quiz-{story.TOPIC}-answers.csv"])).decode()
        assert len(list(csv.DictReader(io.StringIO(table)))) == story.answer_rows(COHORT)

        # A labeler is refused; a vendor lead sees their own vendor, and no other.
        await page.send(LABELER, f"/quiz report {story.TOPIC}")
        refusal = read((await page.messages(LABELER, QA_OPS, "⛔"))[0])
        assert "trainer" in refusal.lower()
        await page.send(NORTHWIND_LEAD, f"/quiz report {story.TOPIC}")
        theirs = read((await page.messages(NORTHWIND_LEAD, await page.dm(NORTHWIND_LEAD), "KR-20"))[0])
        assert story.report_headline(COHORT, "northwind") in theirs
        assert "bluebird" not in theirs.lower() and "nairobi" not in theirs
        await page.send(NORTHWIND_LEAD, f"/quiz report {story.TOPIC} bluebird")
        assert await page.messages(NORTHWIND_LEAD, QA_OPS, "your own vendor only")
        assert not await page.messages(LABELER, await page.dm(LABELER), "KR-20", timeout=0)


async def test_a_labeler_reviews_a_missed_question_with_a_button(database_url) -> None:
    await story.seed_missed(database_url, LABELER, datetime.now(UTC) - timedelta(days=2))
    async with local_workspace(database_url, example_workspace()) as (run, page):
        await page.send(LABELER, "/quiz review")
        dm = await page.dm(LABELER)
        question = (await page.messages(LABELER, dm, "· 1/1"))[0]
        assert story.MISSED[1] in read(question)
        await page.click(LABELER, question, story.letter_in(read(question), story.MISSED[2]))
        answered = (await page.messages(LABELER, dm, "Right"))[0]
        assert answered["ts"] == question["ts"]  # the question itself, updated with the verdict
        assert await page.messages(LABELER, dm, "Review done: 1 of 1 right")
        reviews, lapses, due = await story.review_card(run.bot.db, LABELER)
        assert (reviews, lapses) == (2, 0)  # the miss, then this right answer
        assert (due if due.tzinfo else due.replace(tzinfo=UTC)) > datetime.now(UTC)
