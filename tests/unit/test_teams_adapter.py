"""The Teams adapter's small pieces on their own: signing keys fetched off the loop, the endpoint's
gatekeeping before the SDK, and the dialog's form packed into its Submit actions."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import struct
import threading
import uuid
import zlib
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError
from PIL import Image as PILImage

import bot.teams.keys as keys_module
from bot.chat import model as m
from bot.teams import dialogs
from bot.teams.images import MIN_WIDTH, fit_png
from bot.teams.keys import UNKNOWN_KEY_COOLDOWN, BackgroundKeys, issuer
from bot.teams.server import MAX_BODY, AiohttpAdapter
from tests.fakes.bot_framework import ISSUER, BotFramework
from tests.teams_cards import validate_card

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


# ----- dialogs.py ---------------------------------------------------------------------------------

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
    found: list[dict[str, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("type") == "Action.Submit":
                found.append(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(card)
    return found


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


# ----- images.py: fit_png -------------------------------------------------------------------------


def chart_png() -> bytes:
    """A real digest chart, as the scheduled digest draws it (two queues, 14 days)."""
    import pandas as pd

    from handlers.digest.chart import chart_frame, render_chart

    first = date(2026, 11, 10)
    rows = [
        {
            "level": "queue",
            "key": key,
            "day": first + timedelta(days=i),
            "output": 900 + 37 * i + k * 210,
            "sla_met": 800 + 29 * i + k * 150,
        }
        for i in range(14)
        for k, key in enumerate(("hate-en", "spam-pt"))
    ]
    frame = chart_frame(pd.DataFrame(rows), "queue", ["hate-en", "spam-pt"], date(2026, 11, 23))
    names = {"hate-en": "Hate speech EN", "spam-pt": "Spam PT"}
    return render_chart(frame, {"hate-en": 1200, "spam-pt": 1000}, names, "Output vs target and SLA")


def decoded(png: bytes) -> PILImage.Image:
    with PILImage.open(io.BytesIO(png)) as opened:
        assert opened.format == "PNG"
        opened.load()
        return opened.copy()


def test_a_chart_above_the_budget_comes_back_under_it_and_still_a_readable_png() -> None:
    original = chart_png()
    width, height = decoded(original).size
    for budget in (len(original) // 2, 40_000, 20_000):
        assert len(original) > budget
        fitted = fit_png(original, budget)
        assert len(fitted) <= budget
        picture = decoded(fitted)
        assert picture.width >= MIN_WIDTH
        # Scaled, never distorted: the chart keeps its shape.
        assert abs(picture.width / picture.height - width / height) < 0.02


def test_a_png_already_small_enough_is_returned_unchanged() -> None:
    original = chart_png()
    assert fit_png(original, len(original)) is original


def test_a_budget_no_readable_chart_fits_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        fit_png(chart_png(), 2_000)


@pytest.mark.parametrize("budget", [10, 10_000])
def test_what_is_not_an_image_is_refused_whatever_its_size(budget: int) -> None:
    with pytest.raises((OSError, ValueError)):
        fit_png(b"%PDF-1.4 not an image at all" * 20, budget)


def test_a_small_image_of_another_format_comes_back_as_a_png() -> None:
    out = io.BytesIO()
    PILImage.new("RGB", (400, 300), (30, 120, 200)).save(out, format="JPEG")
    fitted = fit_png(out.getvalue(), 100_000)
    assert decoded(fitted).size == (400, 300)


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims `width` × `height` pixels and holds none: cheap to make, costly to decode."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    """60000 × 60000 pixels: Pillow refuses to open it, and fit_png says so as a ValueError."""
    with pytest.raises(ValueError):
        fit_png(png_header(60_000, 60_000), 10)


def test_an_image_too_large_to_decode_safely_is_refused() -> None:
    """Below Pillow's own bomb limit, yet hundreds of megabytes once decoded: refused before decoding."""
    with pytest.raises(ValueError):
        fit_png(png_header(7_000, 5_000), 10)
