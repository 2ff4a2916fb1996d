"""The reference for http_load.py: a bare slack-bolt AsyncApp with one no-op /quiz listener."""

import os
import sys

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

app = AsyncApp(
    client=AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
)


@app.command("/quiz")
async def quiz(ack):  # noqa: ANN001, ANN201
    await ack()


if __name__ == "__main__":
    app.start(port=int(sys.argv[1]), path="/slack/events", host="127.0.0.1")
