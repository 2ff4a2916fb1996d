"""The connector's side of the chats in the Bot Framework fake: the messages, the rosters, and what each call
does to them. Not locked itself: the fake calls it under its own lock."""

from __future__ import annotations

import base64
from typing import Any

from tests.fakes.activities import aad_of, next_message_id, personal_conversation_id
from tests.fakes.connector_calls import ConnectorError, Sent

DEFAULT_PAGE_SIZE = 200


def _base(conversation_id: str) -> str:
    """A channel thread (`19:…;messageid=1`) shares its channel's messages and roster."""
    return conversation_id.split(";messageid=")[0]


class Conversations:
    """Messages by id and rosters by conversation, as the connector keeps them."""

    def __init__(self) -> None:
        self.activities: dict[str, dict[str, Any]] = {}  # id → {"conversation_id", "body", "deleted"}
        self.rosters: dict[str, list[dict[str, Any]]] = {}

    def add_to_roster(self, conversation_id: str, member: dict[str, Any]) -> None:
        """A channel's roster serves all its threads."""
        self.rosters.setdefault(_base(conversation_id), []).append(member)

    def perform(self, sent: Sent, service_url: str) -> tuple[int, Any]:
        """Do what the call asks, under the lock; returns (status, JSON answer)."""
        cid, body = sent.conversation_id or "", sent.body
        match sent.operation:
            case "create" | "reply":
                if sent.activity_id is not None:  # the reply-to URL form names the parent in the path
                    body.setdefault("replyToId", sent.activity_id)
                new_id = self._store(sent, cid, body)
                return 201, ({"id": new_id} if new_id else {})
            case "update":
                self._existing(cid, sent.activity_id)
                self.activities[sent.activity_id or ""]["body"] = body
                sent.stored = True
                return 200, {"id": sent.activity_id}
            case "delete":
                self._existing(cid, sent.activity_id)["deleted"] = True
                sent.stored = True
                return 200, None
            case "create_conversation":
                return self._create_conversation(sent, service_url)
            case "members" | "activity_members":
                return 200, self._roster(cid)
            case "member":
                match = [m for m in self._roster(cid) if sent.member_id in (m["id"], m["aadObjectId"])]
                if not match:
                    raise ConnectorError(404, "MemberNotFoundInConversation", "The member is not in the chat")
                return 200, match[0]
            case "paged_members":
                return 200, self._page(cid, sent.query)
        raise ConnectorError(404, "NotFound", f"{sent.method} is not a connector operation here")

    def _store(self, sent: Sent, conversation_id: str, body: dict[str, Any]) -> str | None:
        if not isinstance(body.get("type"), str):
            raise ConnectorError(400, "BadArgument", "Activity type is required")
        if body["type"] == "typing":
            return None  # a typing indicator is shown, not kept
        new_id = next_message_id()
        self.activities[new_id] = {"conversation_id": _base(conversation_id), "body": body, "deleted": False}
        sent.activity_id, sent.stored = new_id, True
        return new_id

    def _existing(self, conversation_id: str, activity_id: str | None) -> dict[str, Any]:
        stored = self.activities.get(activity_id or "")
        if stored is None or stored["deleted"] or stored["conversation_id"] != _base(conversation_id):
            raise ConnectorError(404, "ActivityNotFoundInConversation", "Unknown activity")
        return stored

    def _roster(self, conversation_id: str) -> list[dict[str, Any]]:
        roster = self.rosters.get(_base(conversation_id))
        if roster is None:
            raise ConnectorError(404, "ConversationNotFound", "Conversation not found.")
        return [{k: v for k, v in m.items() if v is not None} for m in roster]

    def _page(self, conversation_id: str, query: dict[str, str]) -> dict[str, Any]:
        members = self._roster(conversation_id)
        try:
            size = int(query.get("pageSize") or DEFAULT_PAGE_SIZE)
            token = query.get("continuationToken")
            start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
        except ValueError as error:
            raise ConnectorError(400, "BadArgument", "invalid pageSize or continuationToken") from error
        page: dict[str, Any] = {"members": members[start : start + size]}
        if start + size < len(members):
            page["continuationToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return page

    def _create_conversation(self, sent: Sent, service_url: str) -> tuple[int, Any]:
        """A 1:1 chat (the same id for the same person every time), or a new thread in a channel."""
        body = sent.body
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        activity = body.get("activity")
        if channel:
            if not isinstance(activity, dict):
                raise ConnectorError(400, "BadArgument", "A new channel thread needs its first activity")
            new_id = self._store(sent, channel, activity)
            sent.conversation_id = f"{channel};messageid={new_id}"
            return 201, {"id": sent.conversation_id, "activityId": new_id, "serviceUrl": service_url}
        members = body.get("members") or []
        if not members or not isinstance(members[0], dict) or not members[0].get("id"):
            raise ConnectorError(400, "BadArgument", "Conversation members are required")
        first = members[0]
        aad = first.get("aadObjectId") or self._aad_for(first["id"])
        sent.conversation_id = personal_conversation_id(aad)
        if sent.conversation_id not in self.rosters:
            known = self._known_member(first["id"]) or {"id": first["id"], "aadObjectId": aad}
            self.rosters[sent.conversation_id] = [known]
        answer: dict[str, Any] = {"id": sent.conversation_id, "serviceUrl": service_url}
        if isinstance(activity, dict):
            answer["activityId"] = self._store(sent, sent.conversation_id, activity)
        return 201, answer

    def _known_member(self, member_id: str) -> dict[str, Any] | None:
        return next(
            (m for r in self.rosters.values() for m in r if member_id in (m["id"], m["aadObjectId"])), None
        )

    def _aad_for(self, member_id: str) -> str:
        known = self._known_member(member_id)
        return known["aadObjectId"] if known else aad_of(member_id)
