"""Message shortcuts in the page: a message's "⋯" menu lists them, choosing one opens the bot's form as a
modal pre-filled from that message, and submitting it reaches the form handler."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bot.chat.events import FormSubmission, Shortcut
from tests.browser.harness import WorkspacePage
from tests.e2e.test_shortcuts import escalating

pytestmark = pytest.mark.browser

QA_LEAD, LABELER = "U0QALEAD1", "U0LABEL01"
HEARD: list[Shortcut] = []
SUBMITTED: list[FormSubmission] = []


@pytest.fixture
def workspace_router():  # noqa: ANN201 - overrides conftest's: the real capabilities plus one shortcut
    HEARD.clear()
    SUBMITTED.clear()
    return lambda: escalating(HEARD, SUBMITTED)


def test_the_message_menu_opens_the_shortcut_form_pre_filled(ui: WorkspacePage) -> None:
    ui.open(LABELER)
    ui.send("Queue hate-en stalled & backlog < 2h, cc @quinn")
    ui.send("/digest help")
    expect(ui.ephemeral()).to_have_count(1)
    expect(ui.ephemeral().get_by_role("button", name="More actions")).to_have_count(0)  # as in Slack

    ui.act_as(QA_LEAD)
    said = ui.visible(ui.message("Queue hate-en stalled"))
    said.hover()
    said.get_by_role("button", name="More actions").click()
    menu = said.get_by_role("menu")
    expect(menu.get_by_role("menuitem")).to_have_count(3)  # the two examples and the escalation capability
    item = menu.locator('[data-callback-id="escalate_example"]')
    expect(item).to_have_text("Escalate this messageOpen an escalation from this message")
    ui.shot("message-menu")
    item.click()
    expect(menu).to_be_hidden()

    modal = ui.visible(ui.modal())
    expect(modal.locator(".modal-title")).to_have_text("Escalate")
    summary = modal.get_by_label("What happened")
    expect(summary).to_have_value("Queue hate-en stalled & backlog < 2h, cc @U0QALEAD1")
    ui.shot("form-pre-filled")
    summary.fill("")
    modal.get_by_role("button", name="Submit").click()
    expect(modal.locator(".input-error").first).to_be_visible()
    summary.fill("hate-en stalled at 09:40; backlog cleared by 11:00")
    modal.get_by_role("button", name="Submit").click()
    expect(ui.page.locator("#modal")).to_be_hidden()
    assert [s.values["summary"] for s in SUBMITTED][
        -1
    ] == "hate-en stalled at 09:40; backlog cleared by 11:00"
    assert [(e.user, e.author) for e in HEARD] == [(QA_LEAD, LABELER)]
