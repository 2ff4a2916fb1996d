"""A question bank sent to the bot directly (a Slack DM, a Teams personal chat): imported like
`tsqa quiz import`, the outcome answered where it was sent.

GIFT, YAML and Aiken files are taken here; a `.csv` sent directly is queue data (the digest's), so CSV
banks go through `tsqa quiz import`. Only trainers and admins import banks.
"""

from __future__ import annotations

import asyncio

from bot.chat.events import FileShared
from bot.chat.model import Message, MessageRef, md
from bot.chat.port import ChatError
from bot.context import Context
from bot.roles import Role
from handlers.quiz import store
from handlers.quiz.bank import BankError
from handlers.quiz.formats import parse_bank

SUFFIXES = (".gift", ".yml", ".yaml", ".aiken", ".txt")
MAX_BYTES = 1024 * 1024
SHOWN = 10


async def file_shared(ctx: Context, event: FileShared) -> bool:
    if not event.direct:
        return False
    try:
        shared = await ctx.port.download_file(event.file_id, event.channel, content=False)
    except ChatError:
        return False  # not describable: the digest's handler answers for files it cannot read
    if not shared.name.lower().endswith(SUFFIXES):
        return False
    thread = shared.thread or MessageRef(event.channel, event.ts or "")
    await ctx.port.reply(thread, await _outcome(ctx, event, shared.name))
    return True


async def _outcome(ctx: Context, event: FileShared, name: str) -> Message:
    if not (await ctx.roles()).has(Role.ADMIN, Role.TRAINER):
        return Message.text(
            md("⛔ {}: not imported. Question banks are imported by trainers and admins.", name)
        )
    try:
        shared = await ctx.port.download_file(event.file_id, event.channel, max_bytes=MAX_BYTES)
    except ChatError as exc:
        if exc.code == "file_too_large":
            return Message.text(md("❌ {}: not imported: banks are at most 1 MB.", name))
        raise
    try:
        bank = await asyncio.to_thread(parse_bank, name, shared.content, topic=None)
    except BankError as exc:
        problems = md("\n").join(md("• {}", p) for p in exc.problems[:SHOWN])
        return Message.text(md("❌ {}: not imported, nothing stored:\n", name) + problems)
    report = await store.import_bank(ctx.db, bank, ctx.now())
    text = md(
        "✅ {}: {} imported, {} updated, {} skipped.",
        name,
        report.count("imported"),
        report.count("updated"),
        report.count("skipped"),
    )
    skipped = [line for line in report.lines if line.status == "skipped" and "unchanged" not in line.reason]
    if skipped:
        text += md("\n") + md("\n").join(
            md("• line {}: {}", line.line, line.reason) for line in skipped[:SHOWN]
        )
    topics = sorted({line.topic for line in report.lines if line.topic})
    if topics:
        text += md("\nTopics: {}", ", ".join(topics))
    return Message.text(text)
