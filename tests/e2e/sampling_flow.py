"""Shared steps of the daily draw's stories: a workspace with a `sampling:` section, the draw's posts in the
Slack fake, and yesterday's samples as the bot's start posts them (with EXAMPLE_NOW past the 06:00 draw,
the start catches up yesterday's, one post and one CSV per queue of the example)."""

from __future__ import annotations

from datetime import timedelta

from bot.local.state import File
from bot.local.webapi import SlackWebAPI
from bot.workspace import Workspace
from bot.workspace_sampling import QueuePlan, SamplingSettings
from tests.e2e.harness import EXAMPLE_NOW, SlackSide, eventually, texts

CHANNEL = "C0QAOPS01"  # the example's ingest channel: the draw's channel when `sampling.channel` is unset
YESTERDAY = EXAMPLE_NOW.date() - timedelta(days=1)
REDUCED = QueuePlan(aql=1.0, level="II", start="reduced")


def with_sampling(workspace: Workspace, **plans: QueuePlan) -> Workspace:
    sampling = SamplingSettings(reduced_allowed=True, queues=plans)
    return workspace.model_copy(update={"digests": [], "sampling": sampling})


def sample_posts(fake: SlackWebAPI) -> list:
    return [c for c in fake.calls_to("chat.postMessage") if "Audit sample" in (c.args.get("text") or "")]


def switch_posts(fake: SlackWebAPI) -> list:
    return [
        c for c in fake.calls_to("chat.postMessage") if "inspection. When:" in texts(c.json("blocks") or [])
    ]


def sample_name(queue: str) -> str:
    return f"audit-sample-{queue}-{YESTERDAY}.csv"


async def yesterdays_posts(slack: SlackSide) -> list:
    """The three sample posts of YESTERDAY (one a queue of the example), once the start has posted them."""
    posts = await eventually(lambda: len(sample_posts(slack.fake)) == 3 and sample_posts(slack.fake), 30)
    assert posts, [c.args.get("text") for c in slack.fake.calls_to("chat.postMessage")]
    return posts


async def yesterdays_file(slack: SlackSide, queue: str) -> File:
    """`queue`'s CSV of YESTERDAY, once all three queues' files are up."""
    uploaded = await eventually(lambda: len(slack.fake.state.files) == 3, 20)
    assert uploaded, [f.name for f in slack.fake.state.files.values()]
    return {f.name: f for f in slack.fake.state.files.values()}[sample_name(queue)]
