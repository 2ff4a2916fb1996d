"""The Teams adapter's gate on its own: signing keys fetched off the loop, and the endpoint's checks
before anything reaches the SDK."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import uuid
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError

import bot.teams.keys as keys_module
from bot.teams.keys import UNKNOWN_KEY_COOLDOWN, BackgroundKeys, issuer
from bot.teams.server import MAX_BODY, AiohttpAdapter
from tests.fakes.bot_framework import ISSUER, BotFramework

APP_ID = "0e6b1f5c-2d7a-4c39-8f4e-5a1b9c3d7e20"  # made up
ENTRA_ISSUER = "https://login.microsoftonline.com/7d3c9b1e-4a2f-4e8d-9c6b-0f1e2d3c4b5a/v2.0"


# ----- keys.py: BackgroundKeys --------------------------------------------------------------------


class FakeTime:
    """Stands in for the `time` module inside bot.teams.keys only, so the cooldown can be passed."""

    def __init__(self) -> None:
        self.now = 10_000.0

    def monotonic(self) -> float:
        return self.now


class Fetches:
    """Every real JWKS fetch, by the thread that made it."""

    def __init__(self) -> None:
        self.threads: list[int] = []


@pytest.fixture
def fetches(monkeypatch: pytest.MonkeyPatch) -> Fetches:
    seen = Fetches()
    original = jwt.PyJWKClient.fetch_data

    def recording(self: jwt.PyJWKClient) -> Any:
        seen.threads.append(threading.get_ident())
        return original(self)

    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", recording)
    return seen


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(keys_module, "time", fake)
    return fake


@pytest.fixture
async def bf() -> AsyncIterator[BotFramework]:
    async with BotFramework() as fake:
        yield fake


def keys_for(bf: BotFramework) -> BackgroundKeys:
    return BackgroundKeys(f"{bf.url}/v1/.well-known/keys", asyncio.get_running_loop())


def rotate(bf: BotFramework) -> None:
    """Microsoft rolls its signing key: a new key under a new key ID."""
    bf._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # noqa: SLF001
    bf.kid = uuid.uuid4().hex


def verified(keys: BackgroundKeys, token: str) -> dict[str, Any]:
    """What the SDK's validator does with the key it gets: a full signature check."""
    key = keys.get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=APP_ID, issuer=ISSUER)


async def until(condition: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never became true"
        await asyncio.sleep(0.01)


async def test_keys_load_in_a_worker_thread_and_then_validate_without_fetching(
    bf: BotFramework, fetches: Fetches, clock: FakeTime
) -> None:
    keys = keys_for(bf)
    await keys.refresh()
    assert len(fetches.threads) == 1 and threading.get_ident() not in fetches.threads
    for _ in range(3):
        assert verified(keys, bf.token(APP_ID))["aud"] == APP_ID
    assert len(fetches.threads) == 1


async def test_a_key_never_seen_is_refused_on_the_loop_and_fetched_once_in_the_background(
    bf: BotFramework, fetches: Fetches, clock: FakeTime
) -> None:
    keys = keys_for(bf)
    await keys.refresh()
    rotate(bf)
    clock.now += UNKNOWN_KEY_COOLDOWN + 1
    rotated = bf.token(APP_ID)
    # A burst of tokens naming keys the bot does not have: each refused at once, one refresh for all.
    for token in [rotated, *(jwt.encode({}, "x" * 32, headers={"kid": uuid.uuid4().hex}) for _ in range(5))]:
        with pytest.raises(PyJWKClientError):
            keys.get_signing_key_from_jwt(token)
    assert len(fetches.threads) == 1  # nothing fetched while the loop was busy validating
    await until(lambda: len(fetches.threads) == 2)
    await until(lambda: keys._pending is not None and keys._pending.done())  # noqa: SLF001
    assert verified(keys, rotated)["iss"] == ISSUER
    await asyncio.sleep(0.05)
    assert len(fetches.threads) == 2 and threading.get_ident() not in fetches.threads


async def test_unknown_keys_within_the_cooldown_schedule_no_refresh(
    bf: BotFramework, fetches: Fetches, clock: FakeTime
) -> None:
    keys = keys_for(bf)
    await keys.refresh()
    rotate(bf)
    clock.now += UNKNOWN_KEY_COOLDOWN / 2  # the startup load was moments ago
    with pytest.raises(PyJWKClientError):
        keys.get_signing_key_from_jwt(bf.token(APP_ID))
    await asyncio.sleep(0.1)
    assert len(fetches.threads) == 1
    clock.now += UNKNOWN_KEY_COOLDOWN  # a minute later the same token does make one
    with pytest.raises(PyJWKClientError):
        keys.get_signing_key_from_jwt(bf.token(APP_ID))
    await until(lambda: len(fetches.threads) == 2)


async def test_concurrent_refreshes_share_one_fetch(bf: BotFramework, fetches: Fetches) -> None:
    keys = keys_for(bf)
    await asyncio.gather(*(keys.refresh() for _ in range(5)))
    assert len(fetches.threads) == 1
    await keys.refresh()  # a later one fetches again
    assert len(fetches.threads) == 2


async def test_a_failed_refresh_keeps_the_keys_already_known(bf: BotFramework) -> None:
    keys = keys_for(bf)
    await keys.refresh()
    token = bf.token(APP_ID)
    await bf.stop()
    with pytest.raises(PyJWKClientConnectionError):
        await keys.refresh()
    assert verified(keys, token)["aud"] == APP_ID


async def test_without_keys_every_token_is_refused_without_a_fetch(
    bf: BotFramework, fetches: Fetches
) -> None:
    keys = BackgroundKeys(f"{bf.url}/v1/.well-known/keys")  # no loop: nothing can be scheduled either
    with pytest.raises(PyJWKClientError):
        keys.get_signing_key_from_jwt(bf.token(APP_ID))
    assert fetches.threads == []


def test_issuer_reads_the_claim_without_verifying() -> None:
    assert issuer(jwt.encode({"iss": ISSUER}, "k" * 32)) == ISSUER
    assert issuer(jwt.encode({"iss": ENTRA_ISSUER, "exp": 1}, "k" * 32)) == ENTRA_ISSUER


def hand_made(claims: Any) -> str:
    """A JWT-shaped string with any claims at all (PyJWT would refuse to sign some of them)."""

    def part(value: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "garbage",
        "a.b.c",
        "ü.ü.ü",
        hand_made(["a", "list"]),
        jwt.encode({"sub": "no issuer"}, "k" * 32),
        hand_made({"iss": 5}),
        hand_made({"iss": ["https://api.botframework.com"]}),
    ],
)
def test_issuer_of_garbage_is_none(raw: str) -> None:
    assert issuer(raw) is None


# ----- server.py: AiohttpAdapter ------------------------------------------------------------------


class StubHandler:
    """The SDK's route handler, replaced: it records what it got and answers what the test says."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer: dict[str, Any] = {"status": 200, "body": None}

    async def __call__(self, request: Any) -> Any:
        self.requests.append(request)
        return self.answer


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[TestClient, StubHandler]]:
    handler = StubHandler()
    adapter = AiohttpAdapter(ISSUER)
    adapter.register_route("POST", "/api/messages", handler)
    app = web.Application()
    app.add_routes(adapter.routes())
    async with TestClient(TestServer(app)) as client:
        yield client, handler


def bearer(iss: str = ISSUER) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode({'iss': iss}, 'k' * 32)}"}


ACTIVITY = {"type": "message", "id": "1700000000001", "text": "help"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": bearer()["Authorization"].replace("Bearer ", "Token ")},
        bearer(ENTRA_ISSUER),  # the SDK would fetch that tenant's keys, synchronously, on the loop
        bearer("https://sts.windows.net/7d3c9b1e-4a2f-4e8d-9c6b-0f1e2d3c4b5a/"),
    ],
)
async def test_only_a_bot_framework_bearer_token_reaches_the_sdk(
    endpoint: tuple[TestClient, StubHandler], headers: dict[str, str]
) -> None:
    client, handler = endpoint
    response = await client.post("/api/messages", json=ACTIVITY, headers=headers)
    assert response.status == 401
    assert handler.requests == []


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[1, 2]", b'"a string"', b"null", b"\xff\xfe\x00", b"[" * 100_000],
)
async def test_a_body_that_is_not_a_json_object_is_a_400(
    endpoint: tuple[TestClient, StubHandler], body: bytes
) -> None:
    client, handler = endpoint
    headers = {**bearer(), "Content-Type": "application/json"}
    response = await client.post("/api/messages", data=body, headers=headers)
    assert response.status == 400
    assert handler.requests == []


async def test_a_body_above_the_limit_is_a_413_before_it_is_read(
    endpoint: tuple[TestClient, StubHandler],
) -> None:
    client, handler = endpoint
    body = json.dumps({**ACTIVITY, "text": "x" * MAX_BODY}).encode()
    response = await client.post("/api/messages", data=body, headers=bearer())
    assert response.status == 413
    assert handler.requests == []


async def test_a_chunked_body_above_the_limit_is_refused_too(
    endpoint: tuple[TestClient, StubHandler],
) -> None:
    client, handler = endpoint

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"type": "message", "text": "'
        for _ in range(MAX_BODY // 65536 + 1):
            yield b"x" * 65536
        yield b'"}'

    response = await client.post("/api/messages", data=chunks(), headers=bearer())
    assert response.status == 413
    assert handler.requests == []


async def test_the_activity_and_headers_reach_the_handler_and_its_answer_comes_back(
    endpoint: tuple[TestClient, StubHandler],
) -> None:
    client, handler = endpoint
    handler.answer = {"status": 202, "body": {"statusCode": 200, "value": "Working on it…"}}
    headers = {**bearer(), "X-Ms-Conversation-Id": "a:personal-1"}
    response = await client.post("/api/messages", json=ACTIVITY, headers=headers)
    assert response.status == 202
    assert await response.json() == {"statusCode": 200, "value": "Working on it…"}
    [request] = handler.requests
    assert request["body"] == ACTIVITY
    assert request["headers"]["authorization"] == headers["Authorization"]
    assert request["headers"]["x-ms-conversation-id"] == "a:personal-1"


async def test_a_handler_answer_without_body_is_an_empty_response(
    endpoint: tuple[TestClient, StubHandler],
) -> None:
    client, handler = endpoint
    response = await client.post("/api/messages", json=ACTIVITY, headers=bearer())
    assert response.status == 200
    assert await response.read() == b""
    assert len(handler.requests) == 1


def test_the_adapter_never_starts_a_server_of_its_own() -> None:
    with pytest.raises(NotImplementedError):
        asyncio.run(AiohttpAdapter(ISSUER).start(3978))
