"""How big the bot's Teams messages are, against Teams' limit (~100 KB a message) and the renderer's budgets,
with the Slack Block Kit JSON of the same messages as the reference.

Real code throughout: the example workspace's generated queue data in a temporary SQLite file, the digest
service and views, the Teams renderer and the port's activity building, and the digest chart shrunk with
`fit_png` to `IMAGE_BYTES` as the port does before putting it in a card. Wire sizes are the JSON bodies
httpx sends (the SDK's client) and, for Slack, the chat.postMessage / views.open payloads.

    python benchmarks/teams_cards.py [--day YYYY-MM-DD] [--fits 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from microsoft_teams.api import Account, ConversationAccount, MessageActivityInput  # noqa: E402

import handlers  # noqa: E402
from bot.chat.model import Form, Message  # noqa: E402
from bot.context import utc_now  # noqa: E402
from bot.slack import render as slack  # noqa: E402
from bot.teams import render  # noqa: E402
from bot.teams.directory import Directory  # noqa: E402
from bot.teams.images import fit_png  # noqa: E402
from bot.teams.port import IMAGE_BYTES, TeamsPort  # noqa: E402
from bot.usage import overview  # noqa: E402
from bot.workspace import Workspace, load_workspace  # noqa: E402
from handlers.digest.posting import chart_png  # noqa: E402
from handlers.digest.service import digest_for_day  # noqa: E402
from handlers.digest.views import breakdown_message, digest_message, request_form  # noqa: E402
from handlers.queue_data.examples import load_example_data  # noqa: E402
from storage.engine import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tests.fakes.bot_framework import MAX_ACTIVITY_BYTES  # noqa: E402

APP_ID = "8e2d4c6a-1b3f-4a5e-9c7d-2f4e6a8c0b1d"  # made up
WORKSPACE = ROOT / "examples" / "workspace-teams.yml"


def wire_bytes(payload: dict[str, Any]) -> int:
    """Bytes of the JSON body httpx sends for `payload` (compact, UTF-8), as the SDK's client posts it."""
    return len(httpx.Request("POST", "http://connector.invalid/", json=payload).content)


def teams_activity(port: TeamsPort, activity: MessageActivityInput, conversation: str) -> dict[str, Any]:
    """What the SDK posts to the connector: the port's activity with the sender and conversation that
    `app.send` fills in."""
    activity.from_ = Account(id=APP_ID)
    activity.conversation = ConversationAccount(id=conversation)
    return activity.model_dump(by_alias=True, exclude_none=True)


def slack_message(message: Message, channel: str) -> dict[str, Any]:
    return {"channel": channel, "text": slack.fallback_text(message), "blocks": slack.blocks(message.parts)}


async def figures(db: Database, workspace: Workspace, day: date | None) -> tuple[date, dict[str, Any], bytes]:
    """(day, its digest, its 14-day chart PNG) from the example data loaded into `db`."""
    await upgrade(db)
    today = utc_now().date()
    await load_example_data(db, workspace, today)
    day = day or today - timedelta(days=1)
    digest = await digest_for_day(db, workspace, day)
    services = SimpleNamespace(workspace=workspace, db=db)  # all that chart_png reads
    png = await chart_png(services, day, workspace.timezone, None)  # type: ignore[arg-type]
    return day, digest, png


HEADINGS = ("card JSON", "of budget", "activity", "of 100 KB", "Slack blocks", "Slack wire", "card/blocks")


def row(
    name: str, card: int, budget: int, wire: int, slack_blocks: int | None, slack_wire: int | None
) -> str:
    """`wire`: the activity's bytes (for the dialog: the invoke answer's); Slack's None: no counterpart."""
    cells = [
        f"{card:,}",
        f"{card / budget:.0%} of {budget // 1000}k",
        f"{wire:,}",
        f"{wire / MAX_ACTIVITY_BYTES:.0%}",
        f"{slack_blocks:,}" if slack_blocks else "-",
        f"{slack_wire:,}" if slack_wire else "-",
        f"{card / slack_blocks:.2f}" if slack_blocks else "-",
    ]
    return f"{name:<16}" + "".join(f"{c:>15}" for c in cells)


def message_rows(port: TeamsPort, messages: dict[str, Message], channel: str) -> None:
    for name, message in messages.items():
        card = render.json_size(render.card(message, port.names))
        wire = wire_bytes(teams_activity(port, port._message(message), channel))  # noqa: SLF001
        blocks = render.json_size(slack.blocks(message.parts))
        print(row(name, card, render.CARD_BUDGET, wire, blocks, wire_bytes(slack_message(message, channel))))


def dialog_row(form: Form) -> None:
    """The dialog is the HTTP answer to `task/fetch`, not an activity; Slack's is a views.open call."""
    answer = render.dialog_response(form)
    view = slack.form_view(form)
    card = render.json_size(answer["task"]["value"]["card"]["content"])
    slack_wire = wire_bytes({"trigger_id": "1.2.bench", "view": view})
    print(
        row(
            "request dialog",
            card,
            render.CARD_BUDGET,
            wire_bytes(answer),
            render.json_size(view["blocks"]),
            slack_wire,
        )
    )


def growth(port: TeamsPort, digest: dict[str, Any]) -> None:
    """What one more queue line costs, from the digest with its first queue only and with all of them."""
    queues = digest["queues"]
    if len(queues) < 2:
        return
    one = digest_message({**digest, "queues": queues[:1]})
    every = digest_message(digest)
    per_card = render.json_size(render.card(every, port.names)) - render.json_size(
        render.card(one, port.names)
    )
    per_card //= len(queues) - 1
    fixed = render.json_size(render.card(one, port.names)) - per_card
    blocks_fixed = len(slack.blocks(one.parts)) - 1
    print(
        f"Each queue line adds ~{per_card:,} bytes to the digest card: CARD_BUDGET holds about "
        f"{(render.CARD_BUDGET - fixed) // per_card} queues before the renderer cuts the card; Slack's "
        f"{slack.MESSAGE_BLOCKS} blocks hold {slack.MESSAGE_BLOCKS - blocks_fixed} before it pages."
    )


async def chart_row(port: TeamsPort, png: bytes, day: date, channel: str, fits: int) -> None:
    timings = []
    for _ in range(max(fits, 1)):
        began = time.perf_counter()
        fitted = await asyncio.to_thread(fit_png, png, IMAGE_BYTES)  # as the port runs it
        timings.append(time.perf_counter() - began)
    title = f"Output and SLA, 14 days to {day}"
    chart = render.image_card(title, fitted, alt=title)
    wire = wire_bytes(teams_activity(port, port._activity(chart, title), channel))  # noqa: SLF001
    print(row("digest chart", render.json_size(chart), render.IMAGE_CARD_BUDGET, wire, None, None))
    print(
        f"Chart PNG: {len(png):,} bytes as drawn (Slack uploads it as a file, unchanged), "
        f"{len(fitted):,} after fit_png to {IMAGE_BYTES:,} ({len(fitted) / len(png):.0%}); fitting took "
        f"{statistics.median(timings) * 1000:.0f} ms (median of {len(timings)}; "
        f"{min(timings) * 1000:.0f}-{max(timings) * 1000:.0f})"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--day", type=date.fromisoformat, default=None, help="default: yesterday")
    parser.add_argument("--fits", type=int, default=3, help="times to fit the chart (median time)")
    args = parser.parse_args()

    workspace = load_workspace(WORKSPACE)
    channel = workspace.digests[0].channel
    with tempfile.TemporaryDirectory(prefix="tsqa-cards-") as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/cards.db")
        try:
            day, digest, png = await figures(db, workspace, args.day)
            # The port only builds activities here and sends nothing, so it needs no SDK app.
            directory = Directory(db, workspace, utc_now)
            port = TeamsPort(None, directory, app_id=APP_ID, tenant_id="", service_url="")  # type: ignore[arg-type]
            print(
                f"Example workspace {WORKSPACE.name}, digest of {day} ({len(digest['queues'])} queues); bytes"
            )
            print(f"{'message':<16}" + "".join(f"{h:>15}" for h in HEADINGS))
            messages = {
                "digest": digest_message(digest),
                "breakdown": breakdown_message(digest),
                "help overview": overview(handlers.collect().commands.values()),
            }
            message_rows(port, messages, channel)
            dialog_row(request_form(workspace, day))
            await chart_row(port, png, day, channel, args.fits)
            growth(port, digest)
        finally:
            await db.dispose()
    print(
        f"Budgets: render.CARD_BUDGET {render.CARD_BUDGET:,}, IMAGE_CARD_BUDGET {render.IMAGE_CARD_BUDGET:,} "
        "(card JSON as the renderer counts it: ASCII-escaped, spaced); activity and Slack wire: compact "
        f"UTF-8 JSON as httpx sends it; Teams' limit taken as {MAX_ACTIVITY_BYTES:,} (the connector fake's)."
    )


if __name__ == "__main__":
    asyncio.run(main())
