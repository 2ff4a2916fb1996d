"""A report's CSV: uploaded under the report, or, where the platform takes no files from the bot, the
command that writes it; any other failure is not hidden."""

from __future__ import annotations

import pytest

from bot.chat.model import Message, MessageRef
from bot.chat.port import ChatError
from bot.exports import attach_csv

THREAD = MessageRef("D1", "1.0")


class Port:
    """Only the two calls attach_csv makes; `refuse` is the error the upload meets."""

    def __init__(self, refuse: str | None = None):
        self.refuse = refuse
        self.uploads: list[tuple[str, str, MessageRef | None]] = []
        self.replies: list[str] = []

    async def upload_file(self, channel, filename, content, *, title="", thread=None, look_first=False):  # noqa: ANN001, ANN201
        if self.refuse:
            raise ChatError(self.refuse)
        self.uploads.append((channel, filename, thread))

    async def reply(self, thread: MessageRef, message: Message, **_: object) -> MessageRef:
        self.replies.append(
            message.summary.plain if not isinstance(message.summary, str) else message.summary
        )
        return thread


async def test_the_csv_goes_under_the_report() -> None:
    port = Port()
    await attach_csv(port, THREAD, "r.csv", b"a,b\n", "Rows", "quality report --csv FILE")  # type: ignore[arg-type]
    assert port.uploads == [("D1", "r.csv", THREAD)] and port.replies == []


async def test_without_files_the_command_that_writes_it_is_said() -> None:
    port = Port("files_not_supported")
    await attach_csv(port, THREAD, "r.csv", b"a,b\n", "Rows", "quality report --csv FILE")  # type: ignore[arg-type]
    assert port.replies == ["CSV export: `tsqa quality report --csv FILE`"]


async def test_another_failure_is_raised() -> None:
    with pytest.raises(ChatError):
        await attach_csv(Port("not_in_channel"), THREAD, "r.csv", b"", "Rows", "x")  # type: ignore[arg-type]
