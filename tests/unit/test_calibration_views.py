"""Every calibration message and form within each platform's limits, at the sizes a session reaches
(50 items, long notes and links, many participants): Slack's Block Kit (validated by slack_sdk, 50
blocks a message, 100 a modal) and Teams' Adaptive Cards 1.5 (the schema and the size budget)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.chat import model as m
from bot.slack import render as slack
from bot.teams import render as teams
from handlers.calibration import results_views as rv
from handlers.calibration import views as v
from handlers.calibration.agreement import session_statistics
from handlers.calibration.items import MAX_ITEMS, NOTE_MAX
from handlers.policy.model import Hit, Passage
from storage.models import CalibrationItem, CalibrationResult, CalibrationSession
from tests.teams_cards import validate_card, validate_dialog_response

TZ = ZoneInfo("Europe/Dublin")
NOW = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)
LABELS = ["allow", "age_restrict", "remove", "escalate"]
PEOPLE = [f"U0PERSON{n:02d}" for n in range(40)]


def session(status: str = "open") -> CalibrationSession:
    return CalibrationSession(
        session_id=7, opened_key="k", title="T" * v.TITLE_MAX, queue="hate-en", vendor="northwind",
        labels=json.dumps(LABELS), facilitator="U0QALEAD1", channel="C0QAOPS01", due_at=NOW,
        threshold=0.7, status=status, created_at=NOW, revealed_at=NOW if status != "open" else None,
    )  # fmt: skip


def items(count: int = MAX_ITEMS) -> list[CalibrationItem]:
    return [
        CalibrationItem(
            session_id=7,
            position=n,
            item_id=f"ITEM-{n:0>40}",
            link=f"https://tool.example/{'x' * 900}/{n}",
            note="n" * NOTE_MAX,
            reference=LABELS[n % 4],
        )  # fmt: skip
        for n in range(1, count + 1)
    ]


def both(message: m.Message) -> None:
    """Renders on Slack (every page within 50 blocks, slack_sdk's own checks) and on Teams."""
    for page in slack.message_pages(message):
        assert len(page) <= slack.MESSAGE_BLOCKS
    assert len(slack.message_truncated(message)) <= slack.MESSAGE_BLOCKS
    validate_card(teams.card(message, teams.NO_NAMES))


def report():  # noqa: ANN201 - an AgreementReport
    rows = items()
    ratings = [
        (i.item_id, person, LABELS[(i.position + k) % 4]) for i in rows for k, person in enumerate(PEOPLE)
    ]
    return session_statistics(ratings, {i.item_id: i.reference for i in rows})


def test_the_ballot_and_the_finished_ballot_fit_every_platform() -> None:
    rows = items()
    mine = {i.position: "remove" for i in rows}
    for position in (1, 25, MAX_ITEMS):
        both(v.ballot_message(session(), rows, mine, position, TZ))
    both(v.done_message(session(), rows, mine, TZ))
    both(v.revealed_ballot(session("revealed")))
    both(v.reminder_message(session(), 3, MAX_ITEMS, TZ))


def test_the_progress_fits_with_many_participants() -> None:
    both(v.progress_message(session(), None, PEOPLE[:20], PEOPLE[20:], MAX_ITEMS, TZ))
    both(v.progress_message(session("revealed"), None, PEOPLE, [], MAX_ITEMS, TZ))


def test_the_results_of_fifty_items_fit_one_message() -> None:
    found = report()
    message = rv.reveal_message(session("revealed"), None, items(), found, len(PEOPLE))
    assert len(slack.message_pages(message)) == 1
    both(message)
    passage = Passage("policy:p#a", "p", "a", "P" * 200, "H" * 200, "text", link="https://policies.example/p")
    both(rv.discussion_message(session("revealed"), items()[0], found.items[0], Hit(passage, 1.0)))
    both(rv.private_message(session("revealed"), found))
    both(rv.results_not_posted(session("revealed"), m.md("{}", "E" * 300), 12))


def test_the_list_and_the_trend_fit() -> None:
    rows = [session() for _ in range(20)]
    both(rv.list_message(rows, {7: (3, 40)}, TZ))

    def result(n: int) -> CalibrationResult:
        return CalibrationResult(
            session_id=n,
            vendor="northwind",
            queue="hate-en",
            alpha=0.5 + n / 100,
            fleiss=None,
            mean_accuracy=0.8,
            items=10,
            participants=5,
            revealed_at=NOW,
        )

    results = [(result(n), "T" * 120) for n in range(30)]
    both(rv.trend_message(results, {}, TZ, "hate-en"))


@pytest.mark.parametrize("form", ["new", "reason"])
def test_the_forms_fit_a_modal_and_a_dialog(form: str) -> None:
    from bot.workspace import load_workspace
    from tests.conftest import ROOT

    queues = load_workspace(ROOT / "examples" / "workspace.yml").queues
    made = (
        v.new_form(queues, "0123456789abcdef|C0QAOPS01", "2026-11-26 15:00")
        if form == "new"
        else v.reason_form(session(), items()[0], "remove", "7|1")
    )
    view = slack.form_view(made)
    assert len(view["blocks"]) <= slack.VIEW_BLOCKS
    validate_dialog_response(teams.dialog_response(made))
