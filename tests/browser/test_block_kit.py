"""Block Kit, files, edits and modals in the page, driven through a scripted capability and real requests."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import capability
from tests.browser.harness import WorkspacePage

pytestmark = pytest.mark.browser

QA_LEAD, LABELER = "U0QALEAD1", "U0LABEL01"


@pytest.fixture
def workspace_router():  # noqa: ANN201 - overrides conftest's: the real capabilities plus /labcheck
    return capability.router


def test_blocks_buttons_thread_chart_and_edit(ui: WorkspacePage) -> None:
    ui.open(QA_LEAD)
    ui.send("/labcheck")
    expect(ui.ephemeral().filter(has_text="Posted the lab check.")).to_be_visible()
    card = ui.visible(ui.messages().filter(has_text="Lab check: Hate speech EN"))
    expect(card.locator(".block-header")).to_have_text("Lab check: Hate speech EN")
    expect(card.locator(".block-section strong").first).to_have_text("Output")
    expect(card.locator(".block-section em").first).to_have_text("SLA")
    expect(card.locator("a.link")).to_have_attribute("href", "https://example.org/rubric")
    expect(card.locator(".field")).to_have_count(2)
    expect(card.locator(".divider")).to_have_count(1)
    expect(card.get_by_role("button", name="Breakdown")).to_have_class("btn btn-primary")
    expect(card.locator(".block-context")).to_have_text("Posted by the lab check")
    ui.shot("card")

    card.get_by_role("button", name="Breakdown").click()
    expect(card.locator(".reply-count")).to_have_text("2 replies", timeout=10_000)
    expect(card.locator(".edited")).to_be_visible()
    expect(card.locator(".block-context")).to_have_text("Breakdown requested by @Quinn Lead (edited)")
    card.locator(".thread-summary").click()
    chart = ui.thread().locator(".file-image img")
    expect(chart).to_be_visible()
    expect(ui.thread().locator(".file-image figcaption")).to_have_text("Breakdown chart")
    assert chart.evaluate("img => img.decode().then(() => img.naturalWidth)") == 120  # once loaded
    expect(ui.thread()).to_contain_text("Breakdown by site: lisbon 620, manila 560")
    ui.shot("thread-with-chart")

    card.locator("select").select_option("spam-pt")
    expect(ui.ephemeral().filter(has_text="You picked spam-pt")).to_be_visible()


def test_a_modal_validates_and_submits(ui: WorkspacePage) -> None:
    ui.open(QA_LEAD)
    ui.send("/labcheck")
    card = ui.visible(ui.messages().filter(has_text="Lab check: Hate speech EN"))
    card.get_by_role("button", name="Request a check").click()
    modal = ui.visible(ui.modal())
    expect(modal.locator(".modal-title")).to_have_text("Request a check")
    expect(modal.locator(".hint")).to_have_text("The day to check, e.g. 2026-11-23")
    expect(modal.locator(".optional")).to_have_count(1)

    modal.get_by_role("button", name="Request").click()
    expect(modal.locator(".input-error").first).to_have_text("Please complete this required field.")
    modal.get_by_label("Date").fill("tomorrow")
    modal.get_by_label("Queue").select_option("hate-en")
    modal.get_by_role("button", name="Request").click()
    day_error = modal.locator('[data-block-id="day"] .input-error')
    expect(day_error).to_have_text("Use a date like 2026-11-23.")
    ui.shot("modal-error")

    modal.get_by_label("Date").fill("2026-11-23")
    modal.get_by_role("button", name="Request").click()
    expect(ui.page.locator("#modal")).to_be_hidden()
    ui.conversation("tsqa")
    expect(ui.message("Check requested for")).to_contain_text("hate-en on 2026-11-23")
    ui.shot("dm-after-submit")

    card_again = ui.server.call(lambda: len(ui.server.api.calls_to("views.open")))
    assert card_again == 1


def test_cancel_closes_a_modal(ui: WorkspacePage) -> None:
    ui.open(LABELER)
    ui.send("/labcheck")
    card = ui.visible(ui.messages().filter(has_text="Lab check: Hate speech EN"))
    card.get_by_role("button", name="Request a check").click()
    ui.visible(ui.modal())
    ui.shot("modal-open")
    ui.modal().get_by_role("button", name="Cancel").click()
    expect(ui.page.locator("#modal")).to_be_hidden()
    ui.shot("modal-closed")
    ui.page.reload()
    expect(ui.messages().filter(has_text="Lab check: Hate speech EN")).to_be_visible()
    expect(ui.page.locator("#modal")).to_be_hidden()


def test_text_is_escaped_and_files_can_be_shared(ui: WorkspacePage, tmp_path) -> None:  # noqa: ANN001
    dialogs: list[str] = []
    ui.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    ui.open(LABELER, "C0ESCAL01")
    hostile = (
        '<img src=x onerror="alert(1)"> <script>alert(2)</script> *<b>bold</b>* <javascript:alert(3)|click>'
    )
    ui.send(hostile)
    message = ui.visible(ui.message("onerror"))
    expect(message.locator(".content")).to_contain_text('<img src=x onerror="alert(1)">')
    expect(message.locator(".content img, .content script, .content b")).to_have_count(0)
    expect(message.locator("a")).to_have_count(0)

    chart = tmp_path / "queue.png"
    chart.write_bytes(capability.png(80, 40))
    ui.page.locator("#composer input[type=file]").set_input_files(str(chart))
    expect(ui.page.locator("#composer .file-chip-name")).to_have_text("queue.png")
    ui.send("the routing dashboard is blank")
    shared = ui.visible(ui.message("the routing dashboard is blank"))
    expect(shared.locator(".file-image img")).to_be_visible()
    ui.shot("escaped-and-shared")
    assert dialogs == []
    file_ids = ui.server.call(lambda: [f.id for f in ui.server.api.state.files.values() if f.user == LABELER])
    assert len(file_ids) == 1
