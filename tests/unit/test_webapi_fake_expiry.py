"""The fake forgets triggers (3 s, once) and response URLs (30 minutes, five uses) once their lifetime is
over, so a long-running local workspace stays small; until then a reuse gets Slack's own error."""

from __future__ import annotations

import pytest
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.local.webapi import SlackWebAPI
from tests.unit.webapi_fake_harness import ALICE, BOB, QA, FakeClock

MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Audit"}, "blocks": []}


async def _views_open_error(client: AsyncWebClient, trigger: str) -> str:
    with pytest.raises(SlackApiError) as failed:
        await client.views_open(trigger_id=trigger, view=MODAL)
    return failed.value.response["error"]


async def test_triggers_are_forgotten_after_three_seconds(
    fake: SlackWebAPI, client: AsyncWebClient, clock: FakeClock
) -> None:
    used = fake.new_trigger_id(ALICE)
    await client.views_open(trigger_id=used, view=MODAL)
    assert await _views_open_error(client, used) == "exchanged_trigger_id"
    unused = fake.new_trigger_id(BOB)
    clock.advance(3.5)
    assert await _views_open_error(client, unused) == "expired_trigger_id"
    assert fake.state.triggers == {}
    assert await _views_open_error(client, used) == "invalid_trigger_id"


async def test_a_new_trigger_sweeps_the_old_ones(fake: SlackWebAPI, clock: FakeClock) -> None:
    for _ in range(50):
        fake.new_trigger_id(ALICE)
        clock.advance(1)
    assert len(fake.state.triggers) == 4  # issued at now-3 s … now: all others are gone


async def test_response_urls_are_forgotten_after_thirty_minutes(
    fake: SlackWebAPI, client: AsyncWebClient, clock: FakeClock
) -> None:
    spent_url = fake.new_response_url(QA, ALICE)
    spent = AsyncRespond(response_url=spent_url)
    for n in range(5):
        assert (await spent(text=f"update {n}")).status_code == 200
    assert (await spent(text="sixth")).status_code == 404
    idle = fake.new_response_url(QA, BOB)
    clock.advance(29 * 60)
    assert len(fake.state.response_urls) == 2
    clock.advance(2 * 60)
    await client.auth_test()  # any call sweeps
    assert fake.state.response_urls == {}
    late = await AsyncRespond(response_url=idle)(text="too late")
    assert late.status_code == 404 and "expired_url" in late.body


async def test_a_new_response_url_sweeps_the_old_ones(fake: SlackWebAPI, clock: FakeClock) -> None:
    for _ in range(100):
        fake.new_response_url(QA, ALICE)
        clock.advance(60)
    assert len(fake.state.response_urls) == 31  # issued within the last 30 minutes, this one included
