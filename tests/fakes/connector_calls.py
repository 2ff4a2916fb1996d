"""The bot's calls to the Bot Framework connector as the fake records them, and readers of their content."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
POSTING = ("create", "reply", "create_conversation")


@dataclass
class Sent:
    """One call the bot made to the connector, kept whether or not it was answered with success."""

    method: str
    conversation_id: str | None
    activity_id: str | None  # the activity created, or the one updated, deleted or asked about
    body: dict[str, Any]
    authorization: str
    operation: str = ""  # create, reply, update, delete, create_conversation, members, ...
    query: dict[str, str] = field(default_factory=dict)
    status: int = 0  # 0: the connection was dropped without an answer
    stored: bool = False  # the activity exists on the fake's side (also when the answer was dropped)
    member_id: str | None = None  # for `member`: the person asked about

    @property
    def activity(self) -> dict[str, Any]:
        """The activity this call carried: the body, or the first activity of a new conversation."""
        if self.operation == "create_conversation":
            activity = self.body.get("activity")
            return activity if isinstance(activity, dict) else {}
        return self.body


class ConnectorError(Exception):
    """An answer in the connector's error shape: `{"error": {"code", "message"}}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def cards(sent: Sent | dict[str, Any]) -> list[dict[str, Any]]:
    """The Adaptive Card contents attached to a sent activity (or an activity dict)."""
    body = sent.activity if isinstance(sent, Sent) else sent
    return [a["content"] for a in body.get("attachments") or [] if a.get("contentType") == ADAPTIVE_CARD]


_SHOWN = ("text", "title", "value", "label", "placeholder")
# What a card carries for the bot, not for a person: action payloads and ids.
_HIDDEN = ("data", "verb", "id", "type", "msteams")


def texts(card: Any) -> str:
    """Every string a person would read in a card (text, title, value, label, placeholder), one per line."""
    if isinstance(card, dict):
        own = [card[k] for k in _SHOWN if isinstance(card.get(k), str)]
        nested = [texts(v) for k, v in card.items() if k not in _HIDDEN and isinstance(v, dict | list)]
        return "\n".join(part for part in own + nested if part)
    if isinstance(card, list):
        return "\n".join(part for part in (texts(item) for item in card) if part)
    return ""


def route(method: str, rest: list[str]) -> tuple[str, str | None, str | None]:
    """(operation, conversation id, activity id) for a path under /v3/conversations."""
    if not rest:
        return ("create_conversation" if method == "POST" else "unknown", None, None)
    cid, tail = rest[0], rest[1:]
    if tail == ["activities"] and method == "POST":
        return "create", cid, None
    if len(tail) == 2 and tail[0] == "activities":
        operation = {"POST": "reply", "PUT": "update", "DELETE": "delete"}.get(method, "unknown")
        return operation, cid, tail[1]
    if len(tail) == 3 and tail[0] == "activities" and tail[2] == "members" and method == "GET":
        return "activity_members", cid, tail[1]
    if tail == ["members"] and method == "GET":
        return "members", cid, None
    if tail == ["pagedMembers"] and method == "GET":
        return "paged_members", cid, None
    if len(tail) == 2 and tail[0] == "members" and method == "GET":
        return "member", cid, tail[1]
    return "unknown", cid, None
