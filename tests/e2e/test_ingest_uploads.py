"""Files uploaded into an ingest channel, over signed HTTP against the Slack fake: who may load
which queues, the size limit before download, a flaky download, and an answer in every case."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest
from aiohttp import web

from bot.local.state import File
from bot.workspace import Workspace
from handlers.digest.service import digest_for_day
from handlers.queue_data import files as files_module
from handlers.queue_data.generate import generate_decisions
from tests.e2e.harness import SlackSide, eventually, running_bot, seeded_fake

NOW = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)
CHANNEL = "C0QAOPS01"
_events = itertools.count(1)


def clock() -> datetime:
    return NOW


def decisions_csv(workspace: Workspace, queues: list[str] | None = None) -> bytes:
    frame = generate_decisions(workspace, date(2026, 11, 20), 2, seed=5, scale=0.1)
    if queues is not None:
        frame = frame[frame["queue"].isin(queues)]
    return frame.to_csv(index=False).encode()


async def upload(slack: SlackSide, user: str, name: str, data: bytes, channel: str = CHANNEL) -> str:
    """Share a file into the ingest channel (or another) as Slack does; returns its message's ts."""
    state = slack.fake.state
    file = File(state.new_id("F"), name, name, data=data, length=len(data), user=user)
    state.files[file.id] = file
    message = state.post(channel, user, NOW.timestamp(), text="", files=[file.id])
    file.channel, file.ts = channel, message.ts
    event = {
        "type": "file_shared",
        "channel_id": channel,
        "file_id": file.id,
        "user_id": user,
        "file": {"id": file.id},
        "event_ts": message.ts,
    }
    await slack.event(event, f"EvUp{next(_events)}")
    return message.ts


async def thread_reply(slack: SlackSide, ts: str, channel: str = CHANNEL) -> str:
    replies = await eventually(lambda: slack.fake.messages_in(channel, thread_ts=ts)[1:], 15)
    assert len(replies) == 1, [r.text for r in replies]
    return replies[0].text


async def output_on(bot, workspace: Workspace, queue: str) -> int:
    digest = await digest_for_day(bot.db, workspace, date(2026, 11, 21), queues=[queue])
    return digest["overall"]["output"]


async def test_only_admins_and_own_vendor_leads_may_load(workspace, database_url) -> None:
    async with running_bot(workspace, database_url, clock=clock) as (bot, slack):
        labeler = await upload(slack, "U0LABEL01", "mine.csv", decisions_csv(workspace))
        assert "not loaded. Queue data is loaded from admins (QA leads)" in await thread_reply(slack, labeler)
        trainer = await upload(slack, "U0TRAINER1", "t.csv", decisions_csv(workspace))
        assert "ask a QA lead to upload it" in await thread_reply(slack, trainer)
        assert await output_on(bot, workspace, "graphic-img") == 0

        # Bluebird's lead uploads a file that also holds Northwind's queues: refused, nothing stored.
        mixed = await upload(slack, "U0BBLEAD1", "mixed.csv", decisions_csv(workspace))
        text = await thread_reply(slack, mixed)
        assert "refused, nothing stored" in text
        assert (
            "queue: another vendor's queue: as a lead of bluebird you may load bluebird's queues only" in text
        )
        assert await output_on(bot, workspace, "hate-en") == 0

        own = await upload(slack, "U0BBLEAD1", "own.csv", decisions_csv(workspace, ["graphic-img"]))
        assert "stored" in await thread_reply(slack, own)
        assert await output_on(bot, workspace, "graphic-img") > 0


async def test_a_file_sent_to_the_bot_directly_is_loaded_like_one_in_an_ingest_channel(
    workspace, database_url
) -> None:
    async with running_bot(workspace, database_url, clock=clock) as (bot, slack):
        dm = slack.fake.dm_channel("U0BBLEAD1")
        own = await upload(slack, "U0BBLEAD1", "own.csv", decisions_csv(workspace, ["graphic-img"]), dm)
        assert "stored" in await thread_reply(slack, own, dm)
        assert await output_on(bot, workspace, "graphic-img") > 0
        other = slack.fake.dm_channel("U0LABEL01")
        refused = await upload(slack, "U0LABEL01", "mine.csv", decisions_csv(workspace), other)
        assert "not loaded" in await thread_reply(slack, refused, other)


async def test_a_row_claiming_another_vendor_is_invalid(workspace, database_url) -> None:
    data = decisions_csv(workspace, ["graphic-img"]).decode().splitlines()
    header = data[0].split(",")
    row = data[3].split(",")
    row[header.index("vendor")] = "northwind"
    data[3] = ",".join(row)
    async with running_bot(workspace, database_url, clock=clock) as (_bot, slack):
        ts = await upload(slack, "U0QALEAD1", "claims.csv", "\n".join(data).encode())
        text = await thread_reply(slack, ts)
        assert "line 4: vendor: northwind is not queue graphic-img's vendor (bluebird)" in text


def counting_downloads(workspace: Workspace, fail_first: int = 0):
    """The Slack fake with its file downloads counted, the first `fail_first` answered 503."""
    fake = seeded_fake(workspace)
    original, seen = fake._download, []

    async def download(request: web.Request) -> web.Response:
        seen.append(request.path)
        if len(seen) <= fail_first:
            return web.Response(status=503, text="try again")
        return await original(request)

    fake._download = download  # routes are built at start, from this attribute
    return fake, seen


async def test_too_large_upload_is_refused_before_download(workspace, database_url) -> None:
    small = workspace.model_copy(update={"ingest": workspace.ingest.model_copy(update={"max_upload_mb": 1})})
    fake, downloads = counting_downloads(small)
    async with running_bot(small, database_url, clock=clock, fake=fake) as (_bot, slack):
        ts = await upload(slack, "U0QALEAD1", "huge.csv", b"queue,item_id\n" + b"x" * (3 * 1024 * 1024))
        text = await thread_reply(slack, ts)
    assert "huge.csv: not loaded: it is 3 MB, above the upload limit of 1 MB (ingest.max_upload_mb)" in text
    assert downloads == []


async def test_a_failed_download_is_tried_again(workspace, database_url) -> None:
    fake, downloads = counting_downloads(workspace, fail_first=1)
    async with running_bot(workspace, database_url, clock=clock, fake=fake) as (bot, slack):
        ts = await upload(slack, "U0QALEAD1", "monday.csv", decisions_csv(workspace))
        assert "monday.csv: stored" in await thread_reply(slack, ts)
        assert len(downloads) == 2 and await output_on(bot, workspace, "hate-en") > 0


async def test_an_unexpected_failure_is_answered_with_a_reference(
    workspace, database_url, monkeypatch, caplog
) -> None:
    async def broken(*args, **kwargs):
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(files_module, "ingest_decisions", broken)
    async with running_bot(workspace, database_url, clock=clock) as (_bot, slack):
        ts = await upload(slack, "U0QALEAD1", "monday.csv", decisions_csv(workspace))
        text = await thread_reply(slack, ts)
    assert "monday.csv: could not be loaded because of an error on my side; nothing was stored" in text
    reference = text.split("logged as `")[1].split("`")[0]
    logged = [r for r in caplog.records if f"ref {reference}" in r.getMessage()]
    assert logged and logged[0].exc_info is not None


async def test_an_upload_slack_cannot_describe_is_still_answered(workspace, database_url) -> None:
    async with running_bot(workspace, database_url, clock=clock) as (_bot, slack):
        slack.fake.fail_next("files.info", status=500, times=10)  # beyond the client's retries
        await upload(slack, "U0QALEAD1", "monday.csv", decisions_csv(workspace))
        notes = await eventually(lambda: slack.fake.ephemeral_for("U0QALEAD1"), 15)
    assert "could not be loaded because of an error on my side" in notes[-1].text
    assert "logged as `" in notes[-1].text


@pytest.fixture(autouse=True)
def _quiet_aiohttp_access_log(caplog) -> None:
    caplog.set_level("INFO", logger="tsqa.digest.files")


async def test_download_file_refuses_above_max_bytes_without_fetching(workspace) -> None:
    from bot.chat.port import ChatError
    from bot.slack.port import SlackPort, make_client
    from tests.e2e.harness import TOKEN

    fake, downloads = counting_downloads(workspace)
    await fake.start()
    try:
        file = File(
            fake.state.new_id("F"), "big.csv", "big.csv", data=b"x" * 5000, length=5000, user="U0QALEAD1"
        )
        fake.state.files[file.id] = file
        port = SlackPort(make_client(TOKEN, fake.api_url))
        with pytest.raises(ChatError) as caught:
            await port.download_file(file.id, CHANNEL, max_bytes=4096)
        assert caught.value.code == "file_too_large" and "5,000 bytes" in str(caught.value)
        assert downloads == []
        shared = await port.download_file(file.id, CHANNEL, max_bytes=5000)
        assert shared.content == file.data and shared.size == 5000 and len(downloads) == 1
    finally:
        await fake.stop()
