"""What the Web API fake's unit tests share: the people and channel they use, and a clock that only moves
when a test says so (the `clock`, `fake` and `client` fixtures are in conftest.py)."""

from __future__ import annotations

ALICE, BOB, CAROL = "U0ALICE01", "U0BOB0001", "U0CAROL01"
QA = "C0QA00001"


class FakeClock:
    """Time that only moves when a test says so."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
