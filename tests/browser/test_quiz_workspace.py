"""A labeler takes a quiz in the local workspace: started from the channel, answered with the letter
buttons and the answer form in the DM, the verdict in place, the result at the end."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.harness import WorkspacePage

pytestmark = pytest.mark.browser

LABELER = "U0LABEL01"


def test_a_labeler_takes_the_example_tools_quiz_in_the_dm(ui: WorkspacePage) -> None:
    ui.open(LABELER)
    ui.send("/quiz")
    listing = ui.visible(ui.ephemeral().filter(has_text="Quizzes"), timeout=20_000)
    expect(listing).to_contain_text("tools")
    ui.send("/quiz tools 2")
    ui.visible(ui.ephemeral().filter(has_text="is in our DM"))
    ui.conversation("tsqa")
    for number in (1, 2):
        question = ui.visible(ui.message(f"· {number}/2"), timeout=10_000)
        ui.shot(f"quiz-question-{number}")
        question.get_by_role("button", name=re.compile(r"^[A-D]$")).first.click()
        answered = ui.visible(ui.messages().filter(has_text=re.compile(r"Right|Not quite")).nth(number - 1))
        expect(answered.get_by_role("button")).to_have_count(0)  # answered in place: no buttons left
    result = ui.visible(ui.message("result"), timeout=10_000)
    expect(result).to_contain_text("of 2 right")
    ui.shot("quiz-result")
