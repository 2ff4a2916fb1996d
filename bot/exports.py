"""A report's CSV under its message: uploaded where the platform takes files, else the command that
writes it (Teams takes no file from a bot in some conversations)."""

from __future__ import annotations

from bot.chat.model import Message, MessageRef, md
from bot.chat.port import ChatError, ChatPort


async def attach_csv(
    port: ChatPort,
    thread: MessageRef,
    filename: str,
    content: bytes,
    title: str,
    cli_line: str,
    *,
    look_first: bool = False,
) -> None:
    """`content` as `filename` under `thread`; where files are not supported, `tsqa {cli_line}`.
    `look_first`: an earlier attempt may have uploaded it already (then it is not uploaded again)."""
    try:
        await port.upload_file(
            thread.channel, filename, content, title=title, thread=thread, look_first=look_first
        )
    except ChatError as exc:
        if exc.code != "files_not_supported":
            raise
        await port.reply(thread, Message.text(md("CSV export: `tsqa {}`", cli_line)))
