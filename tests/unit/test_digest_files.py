"""The watched folder with the real bot and Slack fake: only finished files are read, entries that
cannot be read are reported once without blocking the rest, transient failures are tried again,
and unchanged files are not read again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.exc import OperationalError

from bot.workspace import Ingest, Workspace
from handlers.digest.service import digest_for_day
from handlers.queue_data import files, watch
from handlers.queue_data.generate import generate_decisions
from tests.e2e.harness import SlackSide, running_bot

NOW = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def folder_workspace(workspace: Workspace, inbox: Path) -> Workspace:
    # An hour between scheduled polls: the test polls by hand.
    return workspace.model_copy(
        update={"digests": [], "ingest": Ingest(watch_dir=str(inbox), watch_seconds=3600)}
    )


@pytest.fixture
def frame(folder_workspace: Workspace) -> pd.DataFrame:
    return generate_decisions(folder_workspace, date(2026, 11, 20), 2, seed=3, scale=0.1)


@pytest.fixture
async def bot(folder_workspace, database_url) -> AsyncIterator[tuple[object, SlackSide]]:
    async with running_bot(folder_workspace, database_url, clock=lambda: NOW) as pair:
        yield pair


def admin_notes(slack: SlackSide) -> list[str]:
    return [m.text for m in slack.fake.messages_in(slack.fake.dm_channel("U0QALEAD1"))]


async def polls(bot, times: int) -> None:
    for _ in range(times):
        await watch.poll_watch_dir(bot.services)


def count_ingests(monkeypatch, first_error: Exception | None = None) -> list[int]:
    """Count calls of the ingest the folder uses; the first raises `first_error` if given."""
    real, calls = files.ingest_decisions, []

    async def counted(*args, **kwargs):
        calls.append(1)
        if first_error is not None and len(calls) == 1:
            raise first_error
        return await real(*args, **kwargs)

    monkeypatch.setattr(files, "ingest_decisions", counted)
    return calls


async def output(bot, workspace: Workspace) -> int:
    return (await digest_for_day(bot.db, workspace, date(2026, 11, 21)))["overall"]["output"]


async def test_a_file_still_being_written_is_not_read(bot, folder_workspace, inbox, frame) -> None:
    bot, slack = bot
    text = frame.to_csv(index=False)
    half = len(text) // 2
    (inbox / "growing.csv").write_text(text[:half])
    await polls(bot, 1)
    with open(inbox / "growing.csv", "a") as handle:
        handle.write(text[half:])
    await polls(bot, 1)  # it changed since the last look: still being written
    assert admin_notes(slack) == [] and await output(bot, folder_workspace) == 0
    await polls(bot, 2)
    notes = admin_notes(slack)
    assert len(notes) == 1 and f"growing.csv: stored {len(frame):,} new decisions" in notes[0]


async def test_entries_that_cannot_be_read_are_reported_once_and_skipped(
    bot, folder_workspace, inbox, frame, tmp_path, monkeypatch
) -> None:
    bot, slack = bot
    (inbox / "a-folder.csv").mkdir()
    (inbox / "b-corrupt.parquet").write_bytes(b"PAR1" + b"\x00" * 100)
    (inbox / "c-locked.csv").write_text("queue,item_id\n")
    outside = tmp_path / "outside.csv"
    frame.to_csv(outside, index=False)
    (inbox / "d-link.csv").symlink_to(outside)
    frame.to_csv(inbox / "e-good.csv", index=False)
    real_read = watch._read

    def read(path: Path):
        if path.name == "c-locked.csv":
            raise PermissionError(13, "Permission denied")
        return real_read(path)

    monkeypatch.setattr(watch, "_read", read)
    await polls(bot, 4)
    notes = admin_notes(slack)
    expected = [
        "a-folder.csv: skipped: it is a folder, not a file",
        "b-corrupt.parquet: refused, nothing stored: the file is not a readable Parquet file",
        "c-locked.csv: skipped: it cannot be read (Permission denied)",
        "d-link.csv: skipped: it is a link to a file outside the watched folder",
        f"e-good.csv: stored {len(frame):,} new decisions",
    ]
    assert len(notes) == len(expected), notes
    assert all(sum(text in note for note in notes) == 1 for text in expected), notes


async def test_a_transient_failure_is_tried_again_on_a_later_poll(
    bot, folder_workspace, inbox, frame, monkeypatch
) -> None:
    bot, slack = bot
    calls = count_ingests(monkeypatch, OperationalError("INSERT …", {}, Exception("database is locked")))
    frame.to_csv(inbox / "monday.csv", index=False)
    await polls(bot, 2)
    assert calls and admin_notes(slack) == [] and await output(bot, folder_workspace) == 0
    await polls(bot, 2)
    notes = admin_notes(slack)
    assert len(notes) == 1 and f"monday.csv: stored {len(frame):,}" in notes[0]
    assert await output(bot, folder_workspace) > 0


async def test_unchanged_files_are_not_read_again(bot, folder_workspace, inbox, frame, monkeypatch) -> None:
    bot, slack = bot
    frame.to_csv(inbox / "monday.csv", index=False)
    await polls(bot, 2)
    assert len(admin_notes(slack)) == 1
    reads: list[str] = []
    real = watch._read

    def counting(path: Path):
        reads.append(path.name)
        return real(path)

    monkeypatch.setattr(watch, "_read", counting)
    await polls(bot, 3)
    assert reads == []
    frame.head(10).to_csv(inbox / "monday.csv", index=False)  # a new version under the same name
    await polls(bot, 2)
    assert reads == ["monday.csv"] and len(admin_notes(slack)) == 2


async def test_replicas_polling_one_folder_read_each_file_in_once(
    bot, folder_workspace, inbox, frame, monkeypatch
) -> None:
    bot, slack = bot
    calls = count_ingests(monkeypatch)
    frame.to_csv(inbox / "monday.csv", index=False)
    await polls(bot, 1)  # seen once: stable on the next look
    # Polls that overlap, as two replicas' do: the file is read in by one of them.
    await asyncio.gather(*(watch.poll_watch_dir(bot.services) for _ in range(3)))
    assert len(calls) == 1
    assert len(admin_notes(slack)) == 1
