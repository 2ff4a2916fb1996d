"""The auditors' file sent to the bot in chat (a DM, or an ingest channel under the draw's file name):
fetched only when it looks like one, checked and stored by returns.take_back, answered in its thread."""

from __future__ import annotations

from bot.chat.events import FileShared
from bot.chat.model import Message, MessageRef, md
from bot.context import Context
from handlers.queue_data.files import failure_message, new_reference
from handlers.queue_data.uploads import MB, WHO_MAY, upload_scope
from handlers.sampling.returns import (
    MAX_BYTES,
    NAMED,
    ReturnsRefused,
    is_returns_file,
    refusal_lines,
    report_lines,
    take_back,
)


async def _fetched(ctx: Context, event: FileShared) -> tuple[str, bytes, MessageRef | None] | None:
    """Name, content and thread of an auditors' file; None for anything else (the queue-data upload
    then answers as it always has). Only a CSV of a sample's size is fetched to read its header, and in
    an ingest channel only one named as the draw names it: queue data shared there is not fetched twice."""
    try:
        shared = await ctx.port.download_file(event.file_id, event.channel, content=False)
    except Exception:
        return None
    limit = min(ctx.workspace.ingest.max_upload_mb * MB, MAX_BYTES)
    name = shared.name.lower()
    if not name.endswith(".csv") or shared.size > limit or not (event.direct or NAMED in name):
        return None
    try:
        fetched = await ctx.port.download_file(event.file_id, event.channel, max_bytes=limit)
    except Exception:
        return None
    if not is_returns_file(fetched.content):
        return None
    return shared.name, fetched.content, shared.thread or fetched.thread


async def file_shared(ctx: Context, event: FileShared) -> bool:
    """An auditors' file sent to the bot, or into an ingest channel under the draw's file name: the
    audits stored with the figures of their sample days, or every problem by line and nothing stored.
    Registered first (`router.on_file(first=True)`): queue data would refuse it for missing columns."""
    if event.channel not in ctx.workspace.ingest.channels and not event.direct:
        return False
    found = await _fetched(ctx, event)
    if found is None:
        return False
    name, content, thread = found
    scope = upload_scope({q.id: q.vendor for q in ctx.workspace.queues}, await ctx.roles())
    if scope is None:
        answer = Message.text(md("⛔ {}: not loaded. " + WHO_MAY + ": ask a QA lead to send it.", name))
    else:
        try:
            report = await take_back(
                ctx.db, ctx.workspace, name, content, now=ctx.now(), queues=scope[0], queues_reason=scope[1]
            )
        except ReturnsRefused as exc:
            answer = Message.text(md("❌ ```{}```", "\n".join(refusal_lines(name, exc.problems))))
        except Exception:
            answer = failure_message(name, new_reference("audit returns", name))
        else:
            answer = Message.text(md("✅ {}", "\n".join(report_lines(report))))
    place = thread or MessageRef(event.channel, event.ts or "")
    if place.ts:
        await ctx.port.reply(place, answer)
    else:
        await ctx.port.post(event.channel, answer)
    return True
