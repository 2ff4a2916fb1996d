"""Message shortcuts in the local workspace, without a browser: the page learns the shortcuts, and
choosing one on a message sends the bot a signed message_action shaped as Slack's, with a trigger the
Web API stand-in accepts; what Slack would not offer (ephemeral messages, other people's DMs, unknown
shortcuts) is refused with Slack's error."""

from __future__ import annotations

import time

import pytest

from bot.local.interact import MenuShortcut
from tests.unit.local_workspace_harness import LABELER, LEAD, QA, Setup

ESCALATE = MenuShortcut("escalate_message", "Escalate this message", "Open an escalation from this message")
TEXT = "Queue hate-en stalled & backlog < 2h, cc @quinn"


@pytest.fixture
def offered(setup: Setup) -> Setup:
    """The workspace as `tsqa run --local` starts it for a router with one message shortcut."""
    setup.local.interactions.shortcuts = {ESCALATE.callback_id: ESCALATE}
    return setup


async def test_the_page_learns_the_shortcuts_every_message_offers(offered: Setup) -> None:
    info = await offered.get("/ui/workspace")
    assert info["shortcuts"] == [
        {
            "callback_id": "escalate_message",
            "name": "Escalate this message",
            "description": "Open an escalation from this message",
        }
    ]


async def test_choosing_a_shortcut_sends_a_message_action_as_slack_does(offered: Setup) -> None:
    status, sent = await offered.post("/ui/message", {"as": LABELER, "channel": QA, "text": TEXT})
    assert status == 200 and sent["ok"]
    body = {"as": LEAD, "channel": QA, "ts": sent["ts"], "callback_id": "escalate_message"}
    status, answer = await offered.post("/ui/shortcut", body)
    assert (status, answer) == (200, {"ok": True})
    [action] = offered.bot.of("message_action")  # the stub checked Slack's signature
    assert action["callback_id"] == "escalate_message"
    assert (action["user"]["id"], action["channel"]["id"], action["message_ts"]) == (LEAD, QA, sent["ts"])
    message = action["message"]
    assert (message["user"], message["ts"]) == (LABELER, sent["ts"])
    # Stored as Slack stores it: escaped, the mention a token.
    assert message["text"] == "Queue hate-en stalled &amp; backlog &lt; 2h, cc <@U0QALEAD1>"
    assert action["response_url"].startswith(offered.url + "/response/")
    api = offered.local.api
    assert api.state.use_trigger(action["trigger_id"], api.clock()).user == LEAD  # views.open would accept it


async def test_what_slack_would_not_offer_is_refused(offered: Setup) -> None:
    st = offered.local.api.state
    said = st.post(QA, LEAD, time.time(), text="for everyone")
    only_lee = st.post(QA, "UBOT0001", time.time(), text="just for Lee", ephemeral_for=LABELER)
    private = st.post(st.open_dm(LABELER).id, LABELER, time.time(), text="between Lee and tsqa")
    for who, where, ts, shortcut, error in (
        (LABELER, QA, said.ts, "retired_shortcut", "invalid_callback_id"),
        (LABELER, QA, only_lee.ts, "escalate_message", "message_not_found"),
        (LEAD, private.channel, private.ts, "escalate_message", "channel_not_found"),
        (LEAD, QA, "1.000001", "escalate_message", "message_not_found"),
        ("UBOT0001", QA, said.ts, "escalate_message", "user_not_found"),
    ):
        body = {"as": who, "channel": where, "ts": ts, "callback_id": shortcut}
        status, answer = await offered.post("/ui/shortcut", body)
        assert (status, answer["error"]) == (400, error), (who, ts, shortcut)
    status, answer = await offered.post("/ui/shortcut", {**body, "as": LEAD}, headers={})
    assert (status, answer["error"]) == (403, "missing_header")
    assert offered.bot.of("message_action") == []
