"""Tokens the SDK accepted are remembered until they expire; refusals never are."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from bot.teams.keys import RememberedTokens


class CountingValidator:
    def __init__(self, exp: float, refuse: set[str] | None = None):
        self.calls: list[tuple[str, str | None]] = []
        self.exp = exp
        self.refuse = refuse or set()

    async def validate_token(self, raw: str, service_url: str | None = None) -> dict[str, Any]:
        self.calls.append((raw, service_url))
        if raw in self.refuse:
            raise jwt.InvalidTokenError("forged")
        return {"exp": self.exp, "iss": "https://api.botframework.com"}


async def test_an_accepted_token_is_checked_once_until_it_expires() -> None:
    now = [1000.0]
    inner = CountingValidator(exp=2000.0)
    tokens = RememberedTokens(inner, clock=lambda: now[0])
    for _ in range(3):
        await tokens.validate_token("t1", "https://svc/")
    assert len(inner.calls) == 1
    await tokens.validate_token("t1", "https://other/")  # another service URL: checked on its own
    assert len(inner.calls) == 2
    now[0] = 2000.0  # expired: checked again (and refused by the SDK if it must be)
    await tokens.validate_token("t1", "https://svc/")
    assert len(inner.calls) == 3


async def test_a_refused_token_is_refused_every_time() -> None:
    inner = CountingValidator(exp=2000.0, refuse={"forged"})
    tokens = RememberedTokens(inner, clock=lambda: 1000.0)
    for _ in range(2):
        with pytest.raises(jwt.InvalidTokenError):
            await tokens.validate_token("forged", "https://svc")
    assert len(inner.calls) == 2


async def test_memory_is_bounded() -> None:
    inner = CountingValidator(exp=2000.0)
    tokens = RememberedTokens(inner, clock=lambda: 1000.0, size=2)
    for raw in ("a", "b", "c"):
        await tokens.validate_token(raw)
    await tokens.validate_token("a")  # pushed out by c: checked again
    assert [call[0] for call in inner.calls] == ["a", "b", "c", "a"]
