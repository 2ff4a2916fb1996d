"""The local workspace in a real browser: the bot answers as in Slack, per person, and survives a restart."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.harness import WorkspacePage

pytestmark = pytest.mark.browser

QA_LEAD, LABELER, LABELER_2 = "U0QALEAD1", "U0LABEL01", "U0LABEL02"


def test_app_home_is_published_when_opened(ui: WorkspacePage) -> None:
    ui.open(QA_LEAD, "home")
    home = ui.home()
    expect(home.locator(".block-header")).to_contain_text("tsqa-bot", timeout=10_000)
    expect(home).to_contain_text("/escalate")
    expect(ui.page.locator(".conv-header .tab.active")).to_have_text("Home")
    ui.shot("app-home")
    assert ui.server.call(lambda: len(ui.server.api.calls_to("views.publish"))) >= 1


def test_digest_help_is_only_visible_to_the_person_who_asked(ui: WorkspacePage) -> None:
    ui.open(LABELER)
    ui.send("/digest help")
    answer = ui.visible(ui.ephemeral().filter(has_text="/digest"))
    expect(answer.locator(".only-you")).to_have_text("Only visible to you")
    expect(answer.locator(".author")).to_have_text("tsqa")
    expect(answer.locator("strong").first).to_have_text("/digest")  # *bold* mrkdwn rendered
    ui.shot("labeler-sees-help")

    ui.act_as(QA_LEAD)
    expect(ui.page.locator(".conv-header")).to_contain_text("qa-ops")
    expect(ui.ephemeral()).to_have_count(0)
    expect(ui.page.locator("#messages")).not_to_contain_text("/digest:")
    ui.shot("qa-lead-does-not")

    ui.act_as(LABELER)
    expect(ui.ephemeral()).to_have_count(1)


def test_unknown_subcommand_gets_usage_with_the_problem(ui: WorkspacePage) -> None:
    ui.open(LABELER)
    ui.send("/escalate list bogus")
    answer = ui.visible(ui.ephemeral().filter(has_text="Say"))
    expect(answer).to_contain_text("⚠️")  # ⚠️ shown as the emoji
    expect(answer.locator("code").first).to_have_text("/escalate list open")
    ui.send("/nosuch thing")
    expect(ui.ephemeral().filter(has_text="is not a valid command")).to_be_visible()
    ui.shot("usage-and-unknown-command")


def test_a_mention_is_answered_in_a_thread(ui: WorkspacePage) -> None:
    ui.open(QA_LEAD)
    ui.send("@tsqa hello, what can you do?")
    asked = ui.visible(ui.message("what can you do?"))
    expect(asked.locator(".mention")).to_have_text("@tsqa")
    summary = asked.locator(".thread-summary")
    expect(summary.locator(".reply-count")).to_have_text("1 reply", timeout=10_000)
    ui.shot("mention-with-reply-count")

    summary.click()
    thread = ui.thread()
    expect(thread.locator(".msg")).to_have_count(2)
    expect(thread.locator(".msg").nth(1)).to_contain_text("/digest")
    expect(thread.locator(".replies-divider")).to_have_text("1 reply")
    ui.shot("thread-open")

    ui.reply("@tsqa digest help")
    expect(thread.locator(".msg")).to_have_count(4, timeout=10_000)
    expect(thread.locator(".msg").nth(3)).to_contain_text("/digest help")
    # A command run by mention answers as privately as the slash command: only the asker sees it.
    expect(thread.locator(".msg").nth(3)).to_contain_text("Only visible to you")
    expect(summary.locator(".reply-count")).to_have_text("2 replies")
    ui.shot("command-in-thread")


def test_switching_person_changes_dms_and_what_is_visible(ui: WorkspacePage) -> None:
    ui.open(QA_LEAD)
    ui.conversation("tsqa")
    expect(ui.page.locator(".conv-header .tab.active")).to_have_text("Messages")
    ui.send("/policy help")
    ui.visible(ui.ephemeral().filter(has_text="/policy"))
    ui.send("a note to myself")
    ui.visible(ui.message("a note to myself"))
    dm_of_lead = ui.page.locator(".sidebar .conv.active").get_attribute("data-channel")
    ui.shot("qa-lead-dm")

    ui.act_as(LABELER_2)
    active = ui.page.locator(".sidebar .conv.active")
    expect(active).not_to_have_attribute("data-channel", dm_of_lead or "")
    expect(active.locator(".conv-name")).to_have_text("tsqa")
    expect(ui.page.locator("#messages .empty")).to_contain_text("direct message with tsqa")
    expect(ui.messages()).to_have_count(0)
    ui.shot("labeler-dm-is-empty")

    ui.act_as(QA_LEAD)
    ui.visible(ui.message("a note to myself"))
    expect(ui.ephemeral()).to_have_count(1)


def test_the_conversation_survives_a_restart(ui: WorkspacePage) -> None:
    ui.open(QA_LEAD)
    ui.send("Morning all: *calibration* at 10")
    ui.send("@tsqa hello")
    asked = ui.visible(ui.message("hello"))
    expect(asked.locator(".reply-count")).to_have_text("1 reply", timeout=10_000)
    ui.shot("before-restart")

    ui.server.restart()
    ui.page.reload()
    expect(ui.message("calibration").locator("strong")).to_have_text("calibration")
    asked = ui.visible(ui.message("hello"))
    expect(asked.locator(".reply-count")).to_have_text("1 reply")
    asked.locator(".thread-summary").click()
    expect(ui.thread().locator(".msg")).to_have_count(2)
    ui.shot("after-restart")

    ui.send("@tsqa still there?")
    expect(ui.message("still there?").locator(".reply-count")).to_have_text("1 reply", timeout=10_000)
