"""The local workspace's JSON endpoints for the page, without a browser: who and what each person sees,
the header and host checks on posts, and finding elements in the stored blocks."""

from __future__ import annotations

import time

import pytest

from bot.local.elements import action_payload, find_element, form_state
from bot.local.state import SlackError
from tests.unit.local_workspace_harness import LABELER, LEAD, QA, Setup

# ----- reading -----


async def test_workspace_lists_people_with_titles_and_commands(setup: Setup) -> None:
    info = await setup.get("/ui/workspace")
    assert [p["id"] for p in info["people"]][:2] == [LEAD, "U0TRAINER1"]
    assert info["people"][0] == {"id": LEAD, "name": "Quinn Lead", "title": "QA lead"}
    assert info["bot"]["name"] == "tsqa" and info["commands"] == ["digest", "quiz"]


async def test_view_shows_each_person_only_what_they_may_see(setup: Setup) -> None:
    st = setup.local.api.state
    st.post(QA, LEAD, time.time(), text="for everyone")
    st.post(QA, "UBOT0001", time.time(), text="just for Lee", ephemeral_for=LABELER)
    setup.local.api.changed()
    lee = await setup.get("/ui/view", **{"as": LABELER, "channel": QA})
    quinn = await setup.get("/ui/view", **{"as": LEAD, "channel": QA})
    assert [m["text"] for m in lee["messages"]] == ["for everyone", "just for Lee"]
    assert lee["messages"][1]["ephemeral"] is True
    assert [m["text"] for m in quinn["messages"]] == ["for everyone"]
    assert [c["name"] for c in quinn["conversations"]][:2] == ["qa-ops", "queue-digest"]
    dms = [c["id"] for c in quinn["conversations"] if c["kind"] == "im"]
    assert dms == ["D0QALEAD1"] and "D0LABEL01" not in [c["id"] for c in quinn["conversations"]]
    denied = await setup.get("/ui/view", **{"as": LEAD, "channel": "D0LABEL01"})
    assert "messages" not in denied
    same = await setup.get("/ui/view", **{"as": LEAD, "channel": QA, "since": str(quinn["version"])})
    assert same == {"version": quinn["version"], "unchanged": True}


async def test_posts_need_the_header_and_a_loopback_host(setup: Setup) -> None:
    body = {"as": LEAD, "channel": QA, "text": "hi"}
    status, answer = await setup.post("/ui/message", body, headers={})
    assert (status, answer["error"]) == (403, "missing_header")
    async with setup.session.get(setup.url + "/ui/workspace", headers={"Host": "evil.example:3000"}) as r:
        assert r.status == 403
    status, answer = await setup.post("/ui/message", {**body, "as": "UBOT0001"})
    assert (status, answer["error"]) == (400, "user_not_found")
    async with setup.session.get(setup.url + "/") as r:
        assert r.status == 200 and "<title>" in await r.text()


# ----- elements -----


def test_elements_come_from_the_stored_blocks() -> None:
    blocks = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "x"},
            "accessory": {
                "type": "overflow",
                "action_id": "more",
                "options": [{"text": {"type": "plain_text", "text": "Edit"}, "value": "edit"}],
            },
        },
        {
            "type": "input",
            "block_id": "when",
            "element": {"type": "datepicker", "action_id": "value"},
            "label": {"type": "plain_text", "text": "When"},
        },
        {
            "type": "input",
            "element": {
                "type": "checkboxes",
                "options": [{"text": {"type": "plain_text", "text": "A"}, "value": "a"}],
            },
            "label": {"type": "plain_text", "text": "Pick"},
        },
    ]
    bid, element = find_element(blocks, 0, "accessory")
    assert action_payload(bid, element, "accessory", "edit") == {
        "type": "overflow",
        "block_id": "b0",
        "action_id": "more",
        "selected_option": {"text": {"type": "plain_text", "text": "Edit"}, "value": "edit"},
    }
    state = form_state(blocks, {"when": "2026-11-23", "b2": ["a"]})
    assert state["when"] == {"value": {"type": "datepicker", "selected_date": "2026-11-23"}}
    assert state["b2"]["a2"]["selected_options"][0]["value"] == "a"
    with pytest.raises(SlackError):
        form_state(blocks, {"when": "23/11/2026"})
    with pytest.raises(SlackError):
        find_element(blocks, 5, 0)
