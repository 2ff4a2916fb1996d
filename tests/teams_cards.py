"""Checks every Teams test applies to the cards it sees: the official Adaptive Cards 1.5 schema and size.

Teams rejects a malformed or oversized card with a generic error, and renders an unknown property as
nothing at all; the schema catches both kinds of mistake here, where they are cheap.
"""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator
from jsonschema.exceptions import best_match

SCHEMA = Path(__file__).parent / "fixtures" / "adaptive-card-1.5.schema.json"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_CARD_BYTES = 80_000
MAX_ACTIVITY_BYTES = 100_000  # Teams' limit for a whole bot message, about 100 KB
_MENTION = re.compile(r"<at>[^<>]*</at>")


@lru_cache(maxsize=1)
def _validator() -> Draft6Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft6Validator.check_schema(schema)  # the schema says "$schema": draft-06
    return Draft6Validator(schema)


def size(value: Any) -> int:
    """Bytes as the renderer counts them (ASCII-escaped JSON, never less than what is sent)."""
    return len(json.dumps(value).encode())


def _texts(node: Any) -> list[str]:
    """Every TextBlock text in a card, nested ones included."""
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    if not isinstance(node, dict):
        return []
    own = [node["text"]] if node.get("type") == "TextBlock" and isinstance(node.get("text"), str) else []
    return own + [t for key, value in node.items() if key != "text" for t in _texts(value)]


def _check_msteams(card: dict[str, Any]) -> None:
    """Teams' card-level `msteams` (width, mention entities), checked by hand since the schema has no
    word for it; each mention must be a `<at>` tag that a TextBlock really contains, and vice versa."""
    teams = card.get("msteams")
    tags_in_text = {tag for text in _texts(card.get("body", [])) for tag in _MENTION.findall(text)}
    if teams is None:
        assert not tags_in_text, f"<at> tags without mention entities: {sorted(tags_in_text)}"
        return
    assert isinstance(teams, dict) and set(teams) <= {"width", "entities"}, f"msteams: {teams}"
    assert teams.get("width", "full") == "full", f"msteams.width: {teams['width']!r}"
    declared = set()
    for entity in teams.get("entities", []):
        assert entity.get("type") == "mention", f"entity: {entity}"
        assert set(entity) == {"type", "text", "mentioned"}, f"entity: {entity}"
        mentioned = entity["mentioned"]
        assert isinstance(mentioned.get("id"), str) and isinstance(mentioned.get("name"), str), entity
        assert _MENTION.fullmatch(entity["text"]), f"mention text is not one <at> tag: {entity['text']!r}"
        assert entity["text"] in tags_in_text, f"mention {entity['text']!r} is in no TextBlock"
        declared.add(entity["text"])
    assert tags_in_text <= declared, f"<at> tags without mention entities: {sorted(tags_in_text - declared)}"


def _check_query(data: Any) -> None:
    """Teams' `choices.data` (dynamic typeahead, the people picker), checked by hand likewise."""
    assert isinstance(data, dict) and data.get("type") == "Data.Query", f"choices.data: {data}"
    assert isinstance(data.get("dataset"), str), f"choices.data: {data}"
    assert set(data) <= {"type", "dataset", "count", "skip", "associatedInputs"}, f"choices.data: {data}"


def _without_teams_properties(card: dict[str, Any]) -> dict[str, Any]:
    """The card minus exactly the Teams-documented properties the 1.5 schema rejects: `msteams` on the
    card and `choices.data` on Input.ChoiceSet (both have `additionalProperties: false` there). Each is
    checked by hand first, so stripping hides nothing."""
    _check_msteams(card)
    stripped = copy.deepcopy(card)
    stripped.pop("msteams", None)

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if node.get("type") == "Input.ChoiceSet" and "choices.data" in node:
                _check_query(node.pop("choices.data"))
            for value in node.values():
                walk(value)

    walk(stripped)
    return stripped


def validate_card(card: dict[str, Any]) -> None:
    """Fail with the most relevant schema error, or if the card is too large for a Teams message."""
    assert card.get("type") == "AdaptiveCard" and card.get("version") == "1.5", card.get("version")
    error = best_match(_validator().iter_errors(_without_teams_properties(card)))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(card)"
        raise AssertionError(f"card fails the Adaptive Cards 1.5 schema at {where}: {error.message[:500]}")
    assert size(card) < MAX_CARD_BYTES, f"card is {size(card):,} bytes"


def validate_activity(activity: dict[str, Any]) -> None:
    """Every Adaptive Card attachment of a Bot Framework activity, and the activity's total size."""
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == CARD_TYPE:
            validate_card(attachment["content"])
    assert size(activity) < MAX_ACTIVITY_BYTES, f"activity is {size(activity):,} bytes"


def validate_dialog_response(response: dict[str, Any]) -> None:
    """An invoke answer to task/fetch or task/submit: a dialog card to show, or a message."""
    task = response["task"]
    if task["type"] == "message":
        assert isinstance(task["value"], str), task
        return
    assert task["type"] == "continue", task
    attachment = task["value"]["card"]
    assert attachment["contentType"] == CARD_TYPE, attachment
    validate_card(attachment["content"])
    assert size(response) < MAX_ACTIVITY_BYTES, f"dialog response is {size(response):,} bytes"


def readable(value: Any) -> str:
    """What a person reads on a card, one block per line (a rich text block's runs joined), and every
    action's title: to assert on text the way a person sees it."""
    if isinstance(value, list):
        return "\n".join(filter(None, (readable(item) for item in value)))
    if not isinstance(value, dict):
        return ""
    kind = value.get("type")
    if kind == "RichTextBlock":
        return "".join(
            i.get("text", "") if isinstance(i, dict) else str(i) for i in value.get("inlines") or []
        )
    own = [value["text"]] if kind == "TextBlock" and isinstance(value.get("text"), str) else []
    if isinstance(value.get("title"), str) and str(kind).startswith("Action."):
        own.append(value["title"])
    nested = [readable(v) for k, v in value.items() if k != "inlines" and isinstance(v, dict | list)]
    return "\n".join(filter(None, own + nested))
