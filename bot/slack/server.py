"""HTTP mode: one URL for commands, interactivity and events, plus a health check.

Order matters: verify the signature (401), then parse (400), then let Bolt route.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger("tsqa.http")

HealthCheck = Callable[[], Awaitable[bool]]


def slack_routes(bolt: AsyncApp, signing_secret: str) -> list[web.RouteDef]:
    verifier = SignatureVerifier(signing_secret)

    async def events(request: web.Request) -> web.Response:
        body = await request.read()
        headers = request.headers  # case-insensitive already: no normalised copy needed
        try:
            valid = verifier.is_valid(
                body, headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature")
            )
        except (ValueError, TypeError):  # a timestamp like `abc`, a non-ASCII signature
            valid = False
        if not valid:
            log.warning("rejected a request with a missing, malformed, forged or stale signature")
            return web.Response(status=401, text="invalid signature")
        try:
            # Bolt reads any mapping's items, as its own aiohttp adapter passes them: no copy.
            bolt_request = AsyncBoltRequest(
                body=body.decode("utf-8"),
                query=request.query_string,
                headers=headers,  # type: ignore[arg-type]
            )
        except (ValueError, UnicodeDecodeError) as exc:
            log.warning("malformed request body: %s", exc)
            return web.Response(status=400, text="malformed payload")
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    return [web.post("/slack/events", events)]


def health_routes(healthy: HealthCheck) -> list[web.RouteDef]:
    async def healthz(_request: web.Request) -> web.Response:
        ok = await healthy()
        return web.json_response({"ok": ok, "database": "up" if ok else "down"}, status=200 if ok else 503)

    return [web.get("/healthz", healthz)]
