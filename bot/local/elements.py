"""Block Kit elements as a person uses them: the `actions[]` entry and state value Slack would send.

The browser names an element by its position; the element itself is read from the stored blocks, so
what reaches the bot (action_id, value, options) is what the bot posted, not what a page claims.
"""

from __future__ import annotations

import re
from typing import Any

from bot.local.state import SlackError

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SELECT_ONE = ("static_select", "external_select", "radio_buttons", "overflow")
SELECT_MANY = ("multi_static_select", "multi_external_select", "checkboxes")


def block_id(block: dict[str, Any], index: int) -> str:
    """Slack gives every block an id when the app did not; ours is stable per position."""
    return str(block.get("block_id") or f"b{index}")


def action_id(element: dict[str, Any], index: int | str) -> str:
    return str(element.get("action_id") or f"a{index}")


def find_element(blocks: list[dict[str, Any]], block: int, element: int | str) -> tuple[str, dict[str, Any]]:
    """The block id and element at a position: `element` is an index in `elements` or "accessory"."""
    if not 0 <= block < len(blocks):
        raise SlackError("block_not_found")
    found = blocks[block]
    if element == "accessory":
        candidate = found.get("accessory")
    elif element == "input":
        candidate = found.get("element")
    else:
        items = found.get("elements") or []
        candidate = items[element] if isinstance(element, int) and 0 <= element < len(items) else None
    if not isinstance(candidate, dict):
        raise SlackError("element_not_found")
    return block_id(found, block), candidate


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def _pick(element: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    by_value = {o.get("value"): o for o in _options(element)}
    missing = [v for v in values if v not in by_value]
    if missing:
        raise SlackError("invalid_option", missing=missing)
    return [by_value[v] for v in values]


def selection_state(element: dict[str, Any], selected: Any) -> dict[str, Any]:
    """The element's state as in `state.values[block][action]`, from what the person chose."""
    kind = element.get("type", "")
    state: dict[str, Any] = {"type": kind}
    if kind in SELECT_ONE:
        chosen = _pick(element, [str(selected)]) if selected not in (None, "") else []
        state["selected_option"] = chosen[0] if chosen else None
    elif kind in SELECT_MANY:
        values = selected if isinstance(selected, list) else []
        state["selected_options"] = _pick(element, [str(v) for v in values])
    elif kind == "datepicker":
        if selected not in (None, "") and not DATE.match(str(selected)):
            raise SlackError("invalid_date")
        state["selected_date"] = selected or None
    elif kind == "timepicker":
        state["selected_time"] = selected or None
    elif kind == "users_select":
        state["selected_user"] = selected or None
    elif kind == "multi_users_select":
        state["selected_users"] = list(selected or [])
    elif kind in ("conversations_select", "channels_select"):
        key = "selected_conversation" if kind == "conversations_select" else "selected_channel"
        state[key] = selected or None
    elif kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
        state["value"] = None if selected is None else str(selected)
    return state


def action_payload(bid: str, element: dict[str, Any], index: int | str, selected: Any) -> dict[str, Any]:
    """One entry of a block_actions payload's `actions` list, as Slack builds it."""
    kind = element.get("type", "button")
    action: dict[str, Any] = {"type": kind, "block_id": bid, "action_id": action_id(element, index)}
    if kind == "button":
        action["text"] = element.get("text") or {"type": "plain_text", "text": ""}
        for key in ("value", "style", "url"):
            if key in element:
                action[key] = element[key]
        return action
    state = selection_state(element, selected)
    state.pop("type")
    action.update(state)
    if kind == "overflow":
        action.pop("selected_options", None)
    if "placeholder" in element:
        action["placeholder"] = element["placeholder"]
    return action


def form_state(blocks: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A modal's `state.values` from the browser's `{block_id: chosen}`, element types from the view."""
    out: dict[str, dict[str, Any]] = {}
    for index, block in enumerate(blocks):
        bid = block_id(block, index)
        if block.get("type") != "input" or not isinstance(block.get("element"), dict):
            continue
        element = block["element"]
        chosen = values[bid] if bid in values else _initial(element)
        out[bid] = {action_id(element, index): selection_state(element, chosen)}
    return out


def _initial(element: dict[str, Any]) -> Any:  # noqa: ANN401 - whatever the element holds
    """What Slack submits for an input the person left untouched: the value it was drawn with."""
    if isinstance(element.get("initial_option"), dict):
        return element["initial_option"].get("value")
    if isinstance(element.get("initial_options"), list):
        return [o.get("value") for o in element["initial_options"] if isinstance(o, dict)]
    for key in ("initial_value", "initial_date", "initial_time", "initial_user", "initial_users",
                "initial_conversation", "initial_channel"):  # fmt: skip
        if key in element:
            return element[key]
    return None
