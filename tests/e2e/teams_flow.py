"""Shared steps on Microsoft Teams cards, as a person takes them through the Bot Framework fake: the
button with a title, the dialog it opens (task/fetch) and its inputs, the dialog submitted as Teams
submits it (task/submit), a card as it reads now."""

from __future__ import annotations

from typing import Any

from tests.e2e.teams_harness import TeamsSide
from tests.fakes import activities
from tests.fakes.activities import User
from tests.fakes.bot_framework import cards
from tests.teams_cards import readable, validate_activity, validate_card, validate_dialog_response

CARD = "application/vnd.microsoft.card.adaptive"


def card_text(sent) -> str:  # noqa: ANN001 - a Sent from the fake
    """The text of every card a call carried, each checked against the schema first."""
    validate_activity(sent.body)
    return "\n".join(readable(card) for card in cards(sent))


def actions(sent: Any) -> list[dict[str, Any]]:  # noqa: ANN401 - a Sent from the fake, or an activity dict
    """Every action on the cards a call carried, buttons in action sets included."""
    return [e for e in elements(cards(sent)) if str(e.get("type", "")).startswith("Action.")]


def elements(value) -> list[dict]:  # noqa: ANN001
    """Every dict in a card, the card itself first, depth first."""
    if isinstance(value, list):
        return [e for item in value for e in elements(item)]
    if isinstance(value, dict):
        return [value] + [e for v in value.values() for e in elements(v)]
    return []


def button(card: Any, title: str) -> dict[str, Any]:  # noqa: ANN401 - a Sent, or an activity dict
    """The card's action titled `title` (a KeyError-like failure names what the card offers)."""
    found = actions(card)
    match = [a for a in found if a.get("title") == title]
    assert match, f"no {title!r} on the card; it has {[a.get('title') for a in found]}"
    return match[0]


def inputs(dialog: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The dialog's inputs by id (the form's field names)."""
    return {e["id"]: e for e in elements(dialog) if str(e.get("type", "")).startswith("Input.")}


def as_card(dialog: dict[str, Any]) -> dict[str, Any]:
    return {"attachments": [{"contentType": CARD, "content": dialog}]}


def now_reads(teams: TeamsSide, activity_id: str) -> str:
    """A card as it reads now: the fake applies the bot's updates in place."""
    activity = teams.bf.activity(activity_id)
    assert activity is not None, "the card is gone"
    return "\n".join(readable(card) for card in cards(activity))


async def open_dialog(
    teams: TeamsSide, opener: dict[str, Any], person: User, conversation: str, card_id: str, **where: Any
) -> dict[str, Any]:
    """Press a button that opens a dialog (task/fetch); the dialog's card."""
    assert opener["type"] == "Action.Submit" and opener["data"]["msteams"]["type"] == "task/fetch"
    status, opened = await teams.send(
        activities.dialog_open(opener["data"], person, conversation, card_id, **where, **teams.where())
    )
    assert status == 200, opened
    validate_dialog_response(opened)
    assert opened["task"]["type"] == "continue", opened["task"]
    dialog = opened["task"]["value"]["card"]["content"]
    validate_card(dialog)
    return dialog


async def submit_dialog(
    teams: TeamsSide,
    dialog: dict[str, Any],
    values: dict[str, Any],
    person: User,
    conversation: str,
    card_id: str,
    **where: Any,
) -> Any:  # noqa: ANN401
    """Submit the dialog as Teams does (task/submit: the button's data and every input); the answer
    (None when the dialog closes)."""
    submit = next(a for a in actions(as_card(dialog)) if a["type"] == "Action.Submit")
    typed = {name: field.get("value", "") for name, field in inputs(dialog).items()}
    data = {**submit["data"], **typed, **values}
    status, answer = await teams.send(
        activities.dialog_submit(data, person, conversation, card_id, **where, **teams.where())
    )
    assert status == 200, answer
    return answer
