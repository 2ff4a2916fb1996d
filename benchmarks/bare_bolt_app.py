"""The reference for http_load.py: a bare slack-bolt AsyncApp with one no-op /quiz listener.

`python bare_bolt_app.py PORT [awaited]`: with `awaited`, Bolt awaits the listener before answering
(`process_before_response=True`, as the bot runs it) instead of polling for the ack every 10 ms."""

import os
import sys

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

app = AsyncApp(
    client=AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    process_before_response=sys.argv[2:] == ["awaited"],
)


@app.command("/quiz")
async def quiz(ack):  # noqa: ANN001, ANN201
    await ack()


if __name__ == "__main__":
    app.start(port=int(sys.argv[1]), path="/slack/events", host="127.0.0.1")
