"""Bot Framework's token-signing keys, fetched in a worker thread and never on the event loop.

The SDK validates each inbound token with PyJWT's PyJWKClient, which fetches keys synchronously
(urllib) whenever its cache expires or a token names a key it has not seen: on the event loop, that
stalls every request for a network round trip, and a stream of tokens with made-up key IDs would do
it again and again. Here the cache never expires by itself: keys are loaded before the first request
and refreshed in the background; a token whose key is unknown is refused (401) and, at most once a
minute, makes a background refresh, so a key Microsoft has just rotated in is known moments later.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import jwt
from jwt import PyJWKClient
from jwt.exceptions import PyJWKClientError

log = logging.getLogger("tsqa.teams")

REFRESH_SECONDS = 30 * 60
UNKNOWN_KEY_COOLDOWN = 60.0
_NEVER = 10 * 365 * 24 * 3600.0


class BackgroundKeys(PyJWKClient):
    """A PyJWKClient whose network fetches happen only in `refresh()`, off the loop."""

    def __init__(self, uri: str, loop: asyncio.AbstractEventLoop | None = None):
        super().__init__(uri, cache_jwk_set=True, lifespan=_NEVER, cooldown_duration=0, timeout=10)
        self._worker = threading.local()
        self._loop = loop
        self._last_attempt = 0.0
        self._pending: asyncio.Future[Any] | None = None
        self._endorsements: dict[str, frozenset[str]] = {}

    def fetch_data(self) -> Any:
        if getattr(self._worker, "allowed", False):
            return super().fetch_data()
        self._refresh_soon()
        raise PyJWKClientError("signing key not known yet; keys are refreshed in the background")

    def _fetch_in_worker(self) -> Any:
        self._worker.allowed = True
        try:
            data = super().fetch_data()
        finally:
            self._worker.allowed = False
        keys = data.get("keys") if isinstance(data, dict) else None
        self._endorsements = {
            str(k.get("kid")): frozenset(str(e) for e in k.get("endorsements") or [])
            for k in keys or []
            if isinstance(k, dict) and k.get("endorsements")
        }
        return data

    def endorsed_for(self, raw_token: str, channel: object) -> bool:
        """Whether the key that signed the token may sign for `channel` (Teams: "msteams"). Bot
        Framework publishes which channels each key serves; a key that lists none is not limited."""
        kid = key_id(raw_token)
        if kid is None:
            return False
        endorsed = self._endorsements.get(kid)
        return endorsed is None or channel in endorsed

    async def refresh(self) -> None:
        """Fetch the key set now (in a thread); concurrent callers share one fetch."""
        if self._pending is None or self._pending.done():
            self._last_attempt = time.monotonic()
            self._pending = asyncio.ensure_future(asyncio.to_thread(self._fetch_in_worker))
        await asyncio.shield(self._pending)

    def _refresh_soon(self) -> None:
        loop = self._loop
        if loop is None or time.monotonic() - self._last_attempt < UNKNOWN_KEY_COOLDOWN:
            return
        self._last_attempt = time.monotonic()

        def start() -> None:
            task = asyncio.ensure_future(self.refresh())
            task.add_done_callback(_log_failure)

        loop.call_soon_threadsafe(start)

    async def keep_fresh(self, every: float = REFRESH_SECONDS) -> None:
        """Refresh forever (a background task of the adapter); a failed refresh keeps the old keys."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.refresh()
            except Exception:
                log.warning("could not refresh Bot Framework's signing keys; keeping the ones I have")


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("could not refresh Bot Framework's signing keys: %s", task.exception())


@lru_cache(maxsize=1024)
def issuer(raw_token: str) -> str | None:
    """The token's claimed issuer, unverified: only to refuse what is not Bot Framework's at once.
    Bot Framework sends one token for many activities: each is read once."""
    try:
        claims = jwt.decode(raw_token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return None
    value = claims.get("iss")
    return value if isinstance(value, str) else None


@lru_cache(maxsize=1024)
def key_id(raw_token: str) -> str | None:
    try:
        kid = jwt.get_unverified_header(raw_token).get("kid")
    except jwt.InvalidTokenError:
        return None
    return str(kid) if kid is not None else None


class RememberedTokens:
    """The SDK's inbound validator, remembering tokens it has accepted until they expire: Bot Framework
    reuses a token for an hour of activities, and checking its signature again each time is most of
    the request's cost. Refusals are not remembered (a forged token costs its sender a check each time)."""

    def __init__(self, validator: Any, clock: Callable[[], float] = time.time, size: int = 1024):
        self._validator = validator
        self._clock = clock
        self._size = size
        self._accepted: OrderedDict[tuple[str, str | None], tuple[float, dict[str, Any]]] = OrderedDict()

    async def validate_token(self, raw_token: str, service_url: str | None = None) -> dict[str, Any]:
        key = (raw_token, service_url.rstrip("/") if service_url else None)
        remembered = self._accepted.get(key)
        if remembered is not None and remembered[0] > self._clock():
            self._accepted.move_to_end(key)
            return remembered[1]
        payload = await self._validator.validate_token(raw_token, service_url)
        expires = payload.get("exp")
        if isinstance(expires, int | float):
            self._accepted[key] = (float(expires), payload)
            while len(self._accepted) > self._size:
                self._accepted.popitem(last=False)
        return payload
