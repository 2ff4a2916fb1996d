"""A dialog's form packed into its Submit actions: whole on the way back, refused when forged,
shown again with what was typed."""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

import pytest

from bot.chat import model as m
from bot.teams import dialogs
from tests.e2e.teams_flow import elements
from tests.teams_cards import validate_card

ALEX = "8f0c1a52-3b7e-4d19-9a61-2c5e7b0d4f13"  # made-up AAD object ID
REVIEWS = "19:3c5a7e91b2d04f6a8e1c@thread.tacv2"

EVERY_PIECE = m.Markup(
    (
        (m.MARKUP, "*Queue* "),
        (m.TEXT, "<at>x</at> *not bold*"),
        (m.USER, ALEX),
        (m.CHANNEL, REVIEWS),
        (m.COMMAND, "digest post spam-pt"),
    )
)
OPTIONS = (m.Option("Spam PT", "spam-pt"), m.Option("Hate EN", "hate-en"), m.Option("Graphic", "graphic"))

FORM = m.Form(
    form_id="digest.request",
    title="Request a digest",
    inputs=(
        m.TextInput(
            "note",
            "Note",
            multiline=True,
            optional=True,
            initial="first draft",
            placeholder="why",
            hint="shown to the leads",
            max_length=500,
        ),
        m.ChoiceInput("queue", "Queue", OPTIONS, initial="spam-pt"),
        m.ChoiceInput("also", "Also", OPTIONS, optional=True, multiple=True),
        m.UserInput("reviewer", "Reviewer", optional=True),
    ),
    submit="Send",
    intro=(
        m.Header("Digest request"),
        m.Text(EVERY_PIECE),
        m.Text("plain *markdown* from the handler"),
        m.Fields((EVERY_PIECE, "Output")),
        m.ContextLine((m.md("as of {}", "Monday"),)),
        m.Divider(),
    ),
    state="queue=spam-pt;day=2026-11-23",
)


def packed_json(value: Any) -> str:
    return base64.urlsafe_b64encode(zlib.compress(json.dumps(value).encode(), 9)).decode()


def test_a_form_survives_the_round_trip_whole() -> None:
    packed = dialogs.pack(FORM)
    assert isinstance(packed, str) and len(packed) < 4_000
    assert dialogs.unpack(packed) == FORM


@pytest.mark.parametrize(
    "packed",
    [
        None,
        42,
        {"form": "x"},
        "",
        "!!!not base64!!!",
        base64.urlsafe_b64encode(b"not zlib").decode(),
        base64.urlsafe_b64encode(zlib.compress(b"not json")).decode(),
        packed_json(["a", "list"]),
        packed_json({"~": "Message", "summary": "a message, not a form", "parts": []}),
        packed_json({"~": "Form", "form_id": "f"}),  # required fields missing
        packed_json({"~": "Form", "form_id": "f", "title": "t", "inputs": [], "unknown": 1}),
        packed_json({"~": ["Form"], "form_id": "f", "title": "t", "inputs": []}),
    ],
)
def test_unpack_of_what_is_not_one_of_our_forms_is_none(packed: Any) -> None:
    assert dialogs.unpack(packed) is None


def test_unpack_of_a_made_up_type_is_none() -> None:
    form = json.loads(json.dumps(dialogs._encode(FORM)))  # noqa: SLF001
    form["inputs"][0]["~"] = "ShellCommand"
    assert dialogs.unpack(packed_json(form)) is None


def test_unpack_of_a_huge_payload_or_a_zip_bomb_is_none() -> None:
    assert dialogs.unpack("A" * 300_000) is None
    bomb = {"~": "Form", "form_id": "f", "title": "x" * 20_000_000, "inputs": []}
    packed = packed_json(bomb)
    assert len(packed) < 200_000  # small on the wire, 20 MB unpacked
    assert dialogs.unpack(packed) is None


def test_unpack_of_deeply_nested_json_is_none() -> None:
    deep = "[" * 200_000 + "]" * 200_000
    assert dialogs.unpack(base64.urlsafe_b64encode(zlib.compress(deep.encode(), 9)).decode()) is None


@pytest.mark.parametrize(
    "change",
    [
        {"inputs": [{"~": "Divider"}]},  # a known type where an input belongs
        {"title": 5},
        {"intro": [{"~": "TextInput", "name": "n", "label": "l"}]},
        {"inputs": [{"~": "ChoiceInput", "name": "q", "label": "Q", "options": [["a", "b"]]}]},
        {"intro": [{"~": "Text", "markdown": {"~": "Markup", "pieces": [["script", "x"]]}}]},
    ],
)
def test_unpack_of_a_form_of_the_wrong_shape_is_none(change: dict[str, Any]) -> None:
    """A forged form must not crash the dialog's answer: it is refused like any other garbage."""
    encoded = {**dialogs._encode(FORM), **change}  # noqa: SLF001
    assert dialogs.unpack(packed_json(encoded)) is None


def test_with_values_keeps_what_was_typed_and_chosen() -> None:
    values = {"note": "second draft", "queue": "hate-en", "also": ["hate-en", "graphic"], "reviewer": ALEX}
    shown = dialogs.with_values(FORM, values)
    note, queue, also, reviewer = shown.inputs
    assert isinstance(note, m.TextInput) and note.initial == "second draft"
    assert note.hint == "shown to the leads" and note.max_length == 500
    assert isinstance(queue, m.ChoiceInput) and queue.initial == "hate-en"
    assert reviewer == FORM.inputs[3]  # a person picker has no value to show again
    assert (shown.form_id, shown.title, shown.intro, shown.state) == (
        FORM.form_id,
        FORM.title,
        FORM.intro,
        FORM.state,
    )
    assert isinstance(also, m.ChoiceInput)
    # A multi-select shows all its choices again: Adaptive Cards take them comma-joined.
    assert also.initial == "hate-en,graphic"


def test_with_values_of_emptied_fields_clears_them() -> None:
    shown = dialogs.with_values(FORM, {"note": None, "queue": None, "also": []})
    assert [getattr(i, "initial", None) for i in shown.inputs] == [None, None, None, None]


def submit_actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in elements(card) if e.get("type") == "Action.Submit"]


def test_response_packs_the_form_into_every_submit_and_the_card_validates() -> None:
    errors = {"queue": "Pick a queue you lead.", "elsewhere": "Try again tomorrow."}
    answer = dialogs.response(FORM, errors)
    assert answer["task"]["type"] == "continue"
    card = answer["task"]["value"]["card"]["content"]
    validate_card(card)
    submits = submit_actions(card)
    assert submits
    for action in submits:
        assert dialogs.unpack(action["data"][dialogs.FIELD]) == FORM
        assert action["data"]["tsqa_form"] == FORM.form_id  # render's own data is kept beside it
    assert "Pick a queue you lead" in json.dumps(card) and "Try again tomorrow" in json.dumps(card)


def test_a_form_shown_again_with_values_packs_those_values() -> None:
    shown = dialogs.with_values(FORM, {"note": "typed", "queue": "graphic"})
    card = dialogs.response(shown)["task"]["value"]["card"]["content"]
    validate_card(card)
    [action] = submit_actions(card)
    again = dialogs.unpack(action["data"][dialogs.FIELD])
    assert again is not None and again.inputs[0].initial == "typed"  # type: ignore[union-attr]
