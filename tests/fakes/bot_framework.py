"""A loopback stand-in for Microsoft's Bot Framework: the token keys the bot checks, the connector it calls.

It signs Bot Framework-style JWTs with its own RSA key and publishes that key where the SDK's validator looks
(`<url>/v1/.well-known/openidconfiguration` → `/keys`), so the bot's real token check runs. Activities carry
`serviceUrl = <url>`, so the bot's replies, updates and member look-ups land here and are recorded in `sent`.
It serves from its own thread and event loop: the SDK fetches keys synchronously, which would deadlock a fake
sharing the bot's loop. The calls it records are in `connector_calls`; the messages and rosters they act on,
in `conversations`.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import unquote

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.fakes.activities import TENANT_ID, user_id
from tests.fakes.connector_calls import POSTING, ConnectorError, Sent, cards, route, texts
from tests.fakes.conversations import Conversations

ISSUER = "https://api.botframework.com"
MAX_ACTIVITY_BYTES = 100 * 1024  # Teams refuses bigger bot messages (about 100 KB)


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    times: int
    operation: str | None
    drop: bool = False


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
        self._conversations = Conversations()
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
            self._conversations.add_to_roster(conversation_id, member)
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
            stored = self._conversations.activities.get(activity_id)
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
        operation, conversation_id, target = route(request.method, rest)
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
                status, answer = self._conversations.perform(sent, self.url)
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
