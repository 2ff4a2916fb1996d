"""Message shortcuts on Slack, end to end over signed HTTP: "Escalate this message" on a message is acked
at once, its handler opens a form pre-filled from the message with the shortcut's own trigger, and the
form's submission reaches the form handler; an unknown shortcut is acked and logged, a failing handler
tells the person by the response_url. In the local workspace, a message's menu does the same."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from bot.app import TsqaBot
from bot.chat.events import FormSubmission, Shortcut
from bot.chat.model import Form, FormErrors, TextInput
from bot.config import Settings
from bot.context import Context
from bot.local.run import LocalRun
from bot.routing import Router
from bot.workspace import Workspace
from tests.e2e.harness import SlackSide, eventually, running_bot, settled
from tests.e2e.test_local_quiz import PAGE, Page, example_workspace, polled
from tests.fakes import signing

LABELER, LEAD = "U0LABEL01", "U0QALEAD1"
QA_OPS = "C0QAOPS01"
# Not `escalate_message`: the escalation capability registers that one into the same router.
EXAMPLE = "escalate_example"
FORM = "escalate_example:form"
STORED = "Queue <#C0HATEEN1|hate-en> stalled &amp; backlog &lt; 2h since 09:40, cc <@U0QALEAD1>"
PLAIN = "Queue #hate-en stalled & backlog < 2h since 09:40, cc @U0QALEAD1"


def escalating(heard: list[Shortcut], submitted: list[FormSubmission]) -> Router:
    """A router whose one shortcut opens a form pre-filled from the message, and the form it opens."""
    router = Router()

    async def open_form(ctx: Context, event: Shortcut) -> None:
        heard.append(event)
        if event.trigger is None:
            raise RuntimeError("a shortcut without a trigger cannot open a form")
        summary = TextInput("summary", "What happened", multiline=True, initial=event.text)
        state = json.dumps({"channel": event.channel, "ts": event.message_ts, "author": event.author})
        await ctx.port.open_form(event.trigger, Form(FORM, "Escalate", (summary,), state=state))

    async def broken(ctx: Context, event: Shortcut) -> None:
        raise RuntimeError("the escalation directory is unreachable")

    async def save(ctx: Context, submission: FormSubmission) -> FormErrors | None:
        submitted.append(submission)
        if not str(submission.values.get("summary") or "").strip():
            return FormErrors({"summary": "Say what happened, in a sentence or two."})
        return None

    router.shortcut(EXAMPLE, "Escalate this message", open_form, "Open an escalation from this message")
    router.shortcut("broken_example", "Break", broken)
    router.form(FORM, save)
    return router


@asynccontextmanager
async def bot_with(
    workspace: Workspace, database_url: str, router: Router
) -> AsyncIterator[tuple[TsqaBot, SlackSide]]:
    """The bot on the real clock, without the example's scheduled digests (they would speak mid-test)."""
    quiet = workspace.model_copy(update={"digests": []})
    async with running_bot(quiet, database_url, router=router) as (bot, slack):
        yield bot, slack


def payload(call: Any) -> dict[str, Any]:
    return call.json("view")


async def test_the_shortcut_opens_a_form_pre_filled_from_the_message(workspace, database_url) -> None:
    heard: list[Shortcut] = []
    submitted: list[FormSubmission] = []
    async with bot_with(workspace, database_url, escalating(heard, submitted)) as (_bot, slack):
        message = slack.fake.add_message(QA_OPS, LABELER, STORED)
        reply = await slack.shortcut(EXAMPLE, message.ts, user=LEAD)
        assert reply.status == 200 and reply.text == ""  # acked at once; the form follows
        [opened] = await eventually(lambda: slack.fake.calls_to("views.open"))
        assert opened.response is not None and opened.response["ok"], opened.response
        view = payload(opened)
        assert view["callback_id"] == FORM
        [block] = [b for b in view["blocks"] if b.get("block_id") == "summary"]
        assert block["element"]["initial_value"] == PLAIN
        [event] = heard
        assert (event.name, event.user, event.channel, event.message_ts) == (
            EXAMPLE,
            LEAD,
            QA_OPS,
            message.ts,
        )
        assert event.author == LABELER and event.text == PLAIN and event.permalink is None
        assert opened.args["trigger_id"] == event.trigger

        def submit(summary: str) -> bytes:
            state = {"summary": {"summary": {"type": "plain_text_input", "value": summary}}}
            shown = {**view, "id": opened.response["view"]["id"], "state": {"values": state}}
            return signing.view_submission_body(LEAD, shown)

        refused = await slack.post("view_submission", submit("  "))
        assert refused.json() == {
            "response_action": "errors",
            "errors": {"summary": "Say what happened, in a sentence or two."},
        }
        accepted = await slack.post("view_submission", submit(PLAIN + " (checked twice)"))
        assert accepted.status == 200 and not accepted.text
        assert [s.values["summary"] for s in submitted] == ["  ", PLAIN + " (checked twice)"]
        assert json.loads(submitted[-1].state) == {"channel": QA_OPS, "ts": message.ts, "author": LABELER}


async def test_unknown_and_failing_shortcuts_are_acked_logged_and_told(
    workspace, database_url, caplog
) -> None:
    caplog.set_level(logging.INFO)
    heard: list[Shortcut] = []
    async with bot_with(workspace, database_url, escalating(heard, [])) as (bot, slack):
        message = slack.fake.add_message(QA_OPS, LABELER, "Northwind's queue is empty today")
        assert (await slack.shortcut("retired_shortcut", message.ts)).status == 200
        assert (await slack.shortcut("broken_example", message.ts)).status == 200
        told = await eventually(lambda: slack.fake.ephemeral_for(LABELER))
        assert "Something went wrong on my side" in told[0].text
        await settled(bot)
    assert heard == [] and slack.fake.calls_to("views.open") == []
    outcomes = {
        (r.fields["kind"], r.fields["id"], r.fields["outcome"])
        for r in caplog.records
        if r.name == "tsqa.request"
    }
    assert {
        ("shortcut", "retired_shortcut", "unhandled"),
        ("shortcut", "broken_example", "error"),
    } <= outcomes


async def test_in_the_local_workspace_the_menu_opens_the_form_as_a_modal(database_url) -> None:
    """The page's "⋯" menu sends what Slack sends; the form opens in the person's modal, pre-filled."""
    heard: list[Shortcut] = []
    submitted: list[FormSubmission] = []
    settings = Settings(
        database_url=database_url, host="127.0.0.1", port=0, log_level="WARNING", _env_file=None
    )
    run = LocalRun(settings, example_workspace(), router=escalating(heard, submitted), save_delay=0.05)
    await run.start()
    try:
        async with aiohttp.ClientSession() as session:
            page = Page(run.url, session)
            async with session.get(f"{run.url}/ui/workspace") as response:
                offered = (await response.json())["shortcuts"]
            [example] = [s for s in offered if s["callback_id"] == EXAMPLE]
            assert example["name"] == "Escalate this message"
            await page.send(LABELER, "Queue hate-en stalled & backlog < 2h, cc @quinn")
            [said] = await page.messages(LEAD, QA_OPS, "Queue hate-en stalled")
            chosen = {"as": LEAD, "channel": QA_OPS, "ts": said["ts"], "callback_id": EXAMPLE}
            async with session.post(f"{run.url}/ui/shortcut", json=chosen, headers=PAGE) as response:
                assert response.status == 200 and (await response.json()) == {"ok": True}

            async def modal() -> dict | None:
                return (await page.view(LEAD, QA_OPS)).get("modal")

            shown = await polled(modal, bool)
            assert shown is not None and shown["title"]["text"] == "Escalate"
            [block] = [b for b in shown["blocks"] if b.get("block_id") == "summary"]
            assert block["element"]["initial_value"] == "Queue hate-en stalled & backlog < 2h, cc @U0QALEAD1"
            assert (await page.view(LABELER, QA_OPS)).get("modal") is None  # only the person who chose it
            sent = {"as": LEAD, "view_id": shown["id"], "values": {"summary": "Backlog cleared by 11:00"}}
            async with session.post(f"{run.url}/ui/submit", json=sent, headers=PAGE) as response:
                assert (await response.json()) == {"ok": True}
            assert await modal() is None
        assert [s.values["summary"] for s in submitted] == ["Backlog cleared by 11:00"]
        assert [(e.user, e.author, e.message_ts) for e in heard] == [(LEAD, LABELER, said["ts"])]
    finally:
        await run.stop()
