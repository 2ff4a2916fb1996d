"""The reference for http_load.py: a bare slack-bolt AsyncApp with one /quiz listener.

`python bare_bolt_app.py PORT [awaited|answering|yielding]`: with `awaited`, Bolt awaits the
listener before answering (`process_before_response=True`, as the bot runs it) instead of polling for
the ack every 10 ms; `answering` also acks with the JSON object in `BARE_ANSWER` (the bot's own help,
so both send the same bytes), where the others ack empty; `yielding` answers so after one turn of the
event loop, as the bot does (the like-for-like reference)."""

import asyncio
import json
import os
import sys

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

mode = sys.argv[2] if len(sys.argv) > 2 else ""
answer = json.loads(os.environ["BARE_ANSWER"]) if mode in ("answering", "yielding") else {}

app = AsyncApp(
    client=AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    process_before_response=mode in ("awaited", "answering", "yielding"),
)


@app.command("/quiz")
async def quiz(ack):  # noqa: ANN001, ANN201
    if mode == "yielding":
        await asyncio.sleep(0)
    await ack(**answer)


if __name__ == "__main__":
    app.start(port=int(sys.argv[1]), path="/slack/events", host="127.0.0.1")
