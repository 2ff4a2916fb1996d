"""The digest in the local workspace, as a new user meets it: yesterday's digest with its chart,
/digest for another queue just for the asker, the Breakdown thread, and the request form."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.harness import WorkspacePage

pytestmark = pytest.mark.browser

QA_LEAD, TRAINER = "U0QALEAD1", "U0TRAINER1"
DIGEST_CHANNEL = "C0DIGEST1"


def digest_card(ui: WorkspacePage):  # noqa: ANN201 - a Playwright Locator
    return ui.visible(ui.message("Queue digest · all queues"), timeout=20_000)


def test_yesterdays_digest_is_shown_with_its_chart(ui: WorkspacePage) -> None:
    ui.open(QA_LEAD, DIGEST_CHANNEL)
    card = digest_card(ui)
    expect(card.locator(".block-header")).to_contain_text("Queue digest · all queues")
    expect(card).to_contain_text("Hate speech EN")
    expect(card.locator(".reply-count")).to_have_text("1 reply", timeout=20_000)
    ui.shot("digest-in-channel")
    card.locator(".thread-summary").click()
    chart = ui.thread().locator(".file-image img")
    ui.visible(chart)
    assert chart.evaluate("img => img.decode().then(() => img.naturalWidth)") > 600  # once loaded
    ui.shot("chart-in-thread")


def test_digest_for_another_queue_is_only_for_the_asker(ui: WorkspacePage) -> None:
    ui.open(TRAINER)
    ui.send("/digest spam-pt")
    answer = ui.visible(ui.ephemeral().filter(has_text="Queue digest · spam-pt"))
    expect(answer.locator(".only-you")).to_have_text("Only visible to you")
    expect(answer).to_contain_text("Spam PT")
    expect(answer).not_to_contain_text("Graphic imagery")
    ui.shot("trainer-sees-spam-pt")
    ui.act_as(QA_LEAD)
    expect(ui.ephemeral()).to_have_count(0)
    ui.shot("qa-lead-does-not")


def test_breakdown_button_opens_a_thread(ui: WorkspacePage) -> None:
    ui.open(QA_LEAD, DIGEST_CHANNEL)
    card = digest_card(ui)
    expect(card.locator(".reply-count")).to_have_text("1 reply", timeout=20_000)
    card.get_by_role("button", name="Breakdown by vendor and site").click()
    expect(card.locator(".reply-count")).to_have_text("2 replies", timeout=10_000)
    card.locator(".thread-summary").click()
    breakdown = ui.thread().locator(".msg").filter(has_text="Breakdown · ")
    ui.visible(breakdown)
    expect(breakdown).to_contain_text("Northwind Review Services")
    expect(breakdown).to_contain_text("nairobi")
    ui.shot("breakdown-in-thread")


def test_request_form_shows_the_error_then_answers_by_dm(ui: WorkspacePage) -> None:
    ui.open(QA_LEAD, "home")
    home = ui.home()
    expect(home).to_contain_text("Latest queue data", timeout=10_000)
    home.get_by_role("button", name="Request a digest").click()
    modal = ui.visible(ui.modal())
    expect(modal.locator(".modal-title")).to_have_text("Request a digest")
    modal.get_by_label("Day").fill("23/11")
    modal.get_by_role("button", name="Show digest").click()
    error = modal.locator('[data-block-id="day"] .input-error')
    expect(error).to_contain_text("is not a date: use YYYY-MM-DD")
    ui.shot("form-error")
    modal.get_by_label("Queue").select_option("graphic-img")
    modal.get_by_label("Day").fill(ui.server.call(lambda: _yesterday(ui)))
    modal.get_by_role("button", name="Show digest").click()
    expect(ui.page.locator("#modal")).to_be_hidden()
    ui.conversation("tsqa")
    answer = ui.visible(ui.message("Queue digest · graphic-img"))
    expect(answer).to_contain_text("Graphic imagery")
    ui.shot("digest-by-dm")


def _yesterday(ui: WorkspacePage) -> str:
    from datetime import timedelta

    services = ui.server.bot.services
    return (services.clock().astimezone(services.workspace.tz).date() - timedelta(days=1)).isoformat()
