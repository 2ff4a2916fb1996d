"""The reference for http_load.py and quiz_load.py: a bare slack-bolt AsyncApp with one listener.

`python bare_bolt_app.py PORT [awaited|answering|yielding|clicks]`: with `awaited`, Bolt awaits the
listener before answering (`process_before_response=True`, as the bot runs it) instead of polling for
the ack every 10 ms; `answering` also acks with the JSON object in `BARE_ANSWER` (the bot's own help,
so both send the same bytes), where the others ack empty; `yielding` answers so after one turn of the
event loop, as the bot does (the like-for-like reference). `/quiz` and `/policy` are answered alike
(policy_http.py sends policy questions). `clicks` (quiz_load.py) handles the
`quiz:answer` button instead: it acks, then makes one Web API call (chat.update of the clicked
message) after the ack, as the bot answers a click in the background."""

import asyncio
import contextlib
import json
import os
import re
import sys
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

mode = sys.argv[2] if len(sys.argv) > 2 else ""
answer = json.loads(os.environ["BARE_ANSWER"]) if mode in ("answering", "yielding") else {}

app = AsyncApp(
    client=AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    process_before_response=mode in ("awaited", "answering", "yielding", "clicks"),
)


@app.command(re.compile(r"^/(quiz|policy)$"))
async def quiz(ack):  # noqa: ANN001, ANN201
    if mode == "yielding":
        await asyncio.sleep(0)
    await ack(**answer)


if mode == "clicks":
    pending: set[asyncio.Task[Any]] = set()  # held so the loop does not drop a task half-way

    async def update(client: AsyncWebClient, channel: str, ts: str, value: str) -> None:
        # A reference has nobody to tell of a failure; the load script sees the call reach the fake anyway.
        with contextlib.suppress(SlackApiError):
            await client.chat_update(
                channel=channel,
                ts=ts,
                text=f"Answer {value} recorded",
                blocks=[
                    {"type": "section", "text": {"type": "mrkdwn", "text": f"Answer `{value}` recorded"}}
                ],
            )

    @app.action("quiz:answer")
    async def click(ack, body, client):  # noqa: ANN001, ANN201
        await ack()
        value = body["actions"][0].get("value", "")
        task = asyncio.create_task(update(client, body["channel"]["id"], body["message"]["ts"], value))
        pending.add(task)
        task.add_done_callback(pending.discard)


if __name__ == "__main__":
    app.start(port=int(sys.argv[1]), path="/slack/events", host="127.0.0.1")
