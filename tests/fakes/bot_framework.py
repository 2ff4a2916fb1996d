"""A loopback stand-in for Microsoft's Bot Framework: the token keys the bot checks, the connector it calls.

It signs Bot Framework-style JWTs with its own RSA key and publishes that key where the SDK's validator looks
(`<url>/v1/.well-known/openidconfiguration` → `/keys`), so the bot's real token check runs. Activities carry
`serviceUrl = <url>`, so the bot's replies, updates and member look-ups land here and are recorded in `sent`.
It serves from its own thread and event loop: the SDK fetches keys synchronously, which would deadlock a fake
sharing the bot's loop.
"""

from __future__ import annotations

import asyncio
import base64
import json
import mimetypes
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import unquote

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.fakes.activities import TENANT_ID, aad_of, next_message_id, personal_conversation_id, user_id

ISSUER = "https://api.botframework.com"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
MAX_ACTIVITY_BYTES = 100 * 1024  # Teams refuses bigger bot messages (about 100 KB)
DEFAULT_PAGE_SIZE = 200
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


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    times: int
    operation: str | None
    drop: bool = False


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


def _base(conversation_id: str) -> str:
    """A channel thread (`19:…;messageid=1`) shares its channel's messages and roster."""
    return conversation_id.split(";messageid=")[0]


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


class BotFramework:
    """The fake: `async with BotFramework() as bf:`, then `bf.url`, `bf.token(app_id)`, `bf.sent`."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._forger: rsa.RSAPrivateKey | None = None
        self.kid = uuid.uuid4().hex
        self.sent: list[Sent] = []
        self.downloads: list[str] = []  # file ids fetched from /files/<id>
        self._activities: dict[str, dict[str, Any]] = {}  # id → {"conversation_id", "body", "deleted"}
        self._rosters: dict[str, list[dict[str, Any]]] = {}
        self._teams: dict[str, list[dict[str, Any]]] = {}  # team id → its channels
        self._files: dict[str, tuple[str, bytes]] = {}
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()  # the server thread and the test's thread both touch the state
        self._url: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # ----- lifecycle -----

    @property
    def url(self) -> str:
        """Base URL without a trailing slash; also the serviceUrl activities should carry."""
        if self._url is None:
            raise RuntimeError("the fake is not started")
        return self._url

    @property
    def openid_metadata_url(self) -> str:
        return f"{self.url}/v1/.well-known/openidconfiguration"

    async def start(self) -> str:
        started: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        caller = asyncio.get_running_loop()

        def report(result: str | BaseException) -> None:
            if isinstance(result, BaseException):
                caller.call_soon_threadsafe(started.set_exception, result)
            else:
                caller.call_soon_threadsafe(started.set_result, result)

        self._thread = threading.Thread(
            target=self._serve, args=(report,), name="bot-framework-fake", daemon=True
        )
        self._thread.start()
        self._url = await started
        return self._url

    def _serve(self, report: Callable[[str | BaseException], None]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(app, access_log=None)
        try:
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0).start())
        except BaseException as error:  # a failed start must reach the awaiting test, not die in this thread
            report(error)
            loop.close()
            return
        self._loop = loop
        report(f"http://127.0.0.1:{runner.addresses[0][1]}")
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()

    async def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            await asyncio.to_thread(self._thread.join, 10)
        self._loop, self._thread = None, None

    async def __aenter__(self) -> BotFramework:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # ----- tokens -----

    def token(
        self,
        app_id: str,
        service_url: str | None = None,
        *,
        expired: bool = False,
        issuer: str = ISSUER,
        audience: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
    ) -> str:
        """A token as the Bot Framework sends in `Authorization: Bearer` when it posts an activity."""
        now = int(time.time())
        # Well past the validator's 5-minute leeway, so "expired" is not a matter of timing.
        issued = now - 7200 if expired else now
        claims = {
            "serviceurl": service_url if service_url is not None else self.url,
            "nbf": issued,
            "exp": issued + 3600,
            "iat": issued,
            "iss": issuer,
            "aud": audience if audience is not None else app_id,
        }
        return jwt.encode(
            claims, key or self._key, algorithm="RS256", headers={"kid": self.kid, "typ": "JWT"}
        )

    def forged_token(self, app_id: str, service_url: str | None = None, **kwargs: Any) -> str:
        """Like `token`, with this fake's key id but signed by another key: the signature must not verify."""
        if self._forger is None:
            self._forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self.token(app_id, service_url, key=self._forger, **kwargs)

    def jwks(self) -> dict[str, Any]:
        key = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**key, "kid": self.kid, "use": "sig", "endorsements": ["msteams"]}]}

    # ----- seeding -----

    def add_team(self, team_id: str, channels: list[tuple[str, str]]) -> None:
        """A team and its channels (id, name), as `GET /v3/teams/{id}/conversations` lists them."""
        with self._lock:
            self._teams[team_id] = [{"id": cid, "name": name} for cid, name in channels]

    def add_member(
        self,
        conversation_id: str,
        aad_object_id: str,
        name: str,
        bf_id: str | None = None,
        *,
        email: str | None = None,
        tenant_id: str | None = None,
    ) -> dict[str, Any]:
        """Put a person on a conversation's roster (a channel's roster serves all its threads)."""
        given, _, surname = name.partition(" ")
        address = email or f"{name.lower().replace(' ', '.')}@example.com"
        member = {
            "id": bf_id or user_id(aad_object_id),
            "name": name,
            "aadObjectId": aad_object_id,
            "givenName": given,
            "surname": surname or None,
            "email": address,
            "userPrincipalName": address,
            "tenantId": tenant_id or TENANT_ID,
            "userRole": "user",
        }
        with self._lock:
            self._rosters.setdefault(_base(conversation_id), []).append(member)
        return member

    def add_file(self, name: str, content: bytes | str) -> str:
        """A file behind a pre-authenticated download URL, as Teams gives for a file sent in a 1:1 chat."""
        file_id = uuid.uuid4().hex
        data = content.encode() if isinstance(content, str) else content
        with self._lock:
            self._files[file_id] = (name, data)
        return f"{self.url}/files/{file_id}"

    # ----- fault injection -----

    def fail_next(
        self, n: int = 1, status: int = 500, retry_after: int | None = None, *, operation: str | None = None
    ) -> None:
        """Answer the next `n` connector calls (of `operation`, or any) with `status` and nothing stored."""
        with self._lock:
            self._faults.append(_Fault(status, retry_after, n, operation))

    def drop_after_store(self, n: int = 1, *, operation: str | None = None) -> None:
        """Do the next `n` calls fully, then close the connection unanswered: the bot cannot know."""
        with self._lock:
            self._faults.append(_Fault(0, None, n, operation, drop=True))

    def _take_fault(self, operation: str) -> _Fault | None:
        for fault in self._faults:
            if fault.operation in (None, operation):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # ----- queries for tests -----

    def posts(self, conversation_id: str | None = None) -> list[Sent]:
        """Calls that created a message (replies, new conversations' first ones), in order; `.activity` is
        the message. An exact conversation id filters them."""
        with self._lock:
            return [
                s
                for s in self.sent
                if s.operation in POSTING
                and s.stored
                and (conversation_id is None or s.conversation_id == conversation_id)
            ]

    def updates(self) -> list[Sent]:
        with self._lock:
            return [s for s in self.sent if s.operation == "update" and s.stored]

    def activity(self, activity_id: str) -> dict[str, Any] | None:
        """The message as it now stands after updates; None if unknown or deleted."""
        with self._lock:
            stored = self._activities.get(activity_id)
            return None if stored is None or stored["deleted"] else stored["body"]

    cards = staticmethod(cards)
    texts = staticmethod(texts)

    async def wait_for(
        self, predicate: Callable[[Sent], bool], timeout: float = 5.0, *, after: int = 0
    ) -> Sent:
        """The first call in `sent[after:]` matching `predicate`, polling until `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = next((s for s in self.sent[after:] if predicate(s)), None)
                seen = [(s.operation, s.conversation_id, s.status) for s in self.sent[after:]]
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"no matching call to the Bot Framework fake; calls were: {seen}")
            await asyncio.sleep(0.01)

    # ----- HTTP -----

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        # Segments from the raw path, decoded one by one: ids hold `:;@=` (encoded or not) and may hold `%2F`;
        # empty segments vanish, so `serviceUrl` with a trailing slash works too.
        parts = [unquote(p) for p in request.raw_path.split("?")[0].split("/") if p]
        method = request.method
        if parts[:2] == ["v1", ".well-known"] and len(parts) == 3 and method == "GET":
            if parts[2] == "openidconfiguration":
                return web.json_response(self._openid_configuration())
            if parts[2] == "keys":
                return web.json_response(self.jwks())
        if len(parts) == 2 and parts[0] == "files" and method == "GET":
            return self._download(parts[1])
        if parts[:2] == ["v3", "conversations"]:
            return await self._connector(request, parts[2:])
        if (
            parts[:2] == ["v3", "teams"]
            and len(parts) == 4
            and parts[3] == "conversations"
            and method == "GET"
        ):
            with self._lock:
                channels = self._teams.get(parts[2])
            if channels is None:
                return _error(404, "NotFound", "Team not found")
            return web.json_response({"conversations": channels})
        return _error(404, "NotFound", f"no route {method} /{'/'.join(parts)}")

    def _openid_configuration(self) -> dict[str, Any]:
        return {
            "issuer": ISSUER,
            "authorization_endpoint": "https://invalid.botframework.com",
            "jwks_uri": f"{self.url}/v1/.well-known/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    def _download(self, file_id: str) -> web.Response:
        with self._lock:
            found = self._files.get(file_id)
            self.downloads.append(file_id)
        if found is None:
            return _error(404, "itemNotFound", "The resource could not be found.")
        name, data = found
        mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return web.Response(body=data, content_type=mimetype)

    async def _connector(self, request: web.Request, rest: list[str]) -> web.StreamResponse:
        operation, conversation_id, target = _route(request.method, rest)
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        if operation == "create" and isinstance(body, dict) and body.get("replyToId"):
            operation = "reply"  # the SDK replies through the create URL, naming the parent in the body
        sent = Sent(
            request.method,
            conversation_id,
            None if operation == "member" else target,
            body if isinstance(body, dict) else {},
            request.headers.get("Authorization", ""),
            operation,
            dict(request.query),
            member_id=target if operation == "member" else None,
        )
        authorized = sent.authorization.startswith("Bearer ") and bool(sent.authorization[7:].strip())
        with self._lock:
            self.sent.append(sent)
            fault = self._take_fault(operation) if authorized else None
        if not authorized:
            sent.status = 401
            return _error(401, "Unauthorized", "Authorization has been denied for this request.")
        if fault is not None and not fault.drop:
            sent.status = fault.status
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
            code = "TooManyRequests" if fault.status == 429 else "ServiceError"
            return _error(fault.status, code, "injected failure", headers)
        try:
            if body is None or (raw and not isinstance(body, dict)):
                raise ConnectorError(400, "BadSyntax", "the body is not a JSON object")
            if len(raw) > MAX_ACTIVITY_BYTES:
                raise ConnectorError(413, "MessageSizeTooBig", "Message size too big")
            with self._lock:
                status, answer = self._perform(sent)
        except ConnectorError as error:
            sent.status = error.status
            return _error(error.status, error.code, error.message)
        if fault is not None and request.transport is not None:
            request.transport.close()  # aiohttp cannot write the answer below: the bot sees a disconnect
            return web.Response(status=500)
        sent.status = status
        if answer is None:
            return web.Response(status=status)
        return web.json_response(answer, status=status)

    def _perform(self, sent: Sent) -> tuple[int, Any]:
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
                self._activities[sent.activity_id or ""]["body"] = body
                sent.stored = True
                return 200, {"id": sent.activity_id}
            case "delete":
                self._existing(cid, sent.activity_id)["deleted"] = True
                sent.stored = True
                return 200, None
            case "create_conversation":
                return self._create_conversation(sent)
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
        self._activities[new_id] = {"conversation_id": _base(conversation_id), "body": body, "deleted": False}
        sent.activity_id, sent.stored = new_id, True
        return new_id

    def _existing(self, conversation_id: str, activity_id: str | None) -> dict[str, Any]:
        stored = self._activities.get(activity_id or "")
        if stored is None or stored["deleted"] or stored["conversation_id"] != _base(conversation_id):
            raise ConnectorError(404, "ActivityNotFoundInConversation", "Unknown activity")
        return stored

    def _roster(self, conversation_id: str) -> list[dict[str, Any]]:
        roster = self._rosters.get(_base(conversation_id))
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

    def _create_conversation(self, sent: Sent) -> tuple[int, Any]:
        """A 1:1 chat (the same id for the same person every time), or a new thread in a channel."""
        body = sent.body
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        activity = body.get("activity")
        if channel:
            if not isinstance(activity, dict):
                raise ConnectorError(400, "BadArgument", "A new channel thread needs its first activity")
            new_id = self._store(sent, channel, activity)
            sent.conversation_id = f"{channel};messageid={new_id}"
            return 201, {"id": sent.conversation_id, "activityId": new_id, "serviceUrl": self.url}
        members = body.get("members") or []
        if not members or not isinstance(members[0], dict) or not members[0].get("id"):
            raise ConnectorError(400, "BadArgument", "Conversation members are required")
        first = members[0]
        aad = first.get("aadObjectId") or self._aad_for(first["id"])
        sent.conversation_id = personal_conversation_id(aad)
        if sent.conversation_id not in self._rosters:
            known = self._known_member(first["id"]) or {"id": first["id"], "aadObjectId": aad}
            self._rosters[sent.conversation_id] = [known]
        answer: dict[str, Any] = {"id": sent.conversation_id, "serviceUrl": self.url}
        if isinstance(activity, dict):
            answer["activityId"] = self._store(sent, sent.conversation_id, activity)
        return 201, answer

    def _known_member(self, member_id: str) -> dict[str, Any] | None:
        return next(
            (m for r in self._rosters.values() for m in r if member_id in (m["id"], m["aadObjectId"])), None
        )

    def _aad_for(self, member_id: str) -> str:
        known = self._known_member(member_id)
        return known["aadObjectId"] if known else aad_of(member_id)


def _route(method: str, rest: list[str]) -> tuple[str, str | None, str | None]:
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
