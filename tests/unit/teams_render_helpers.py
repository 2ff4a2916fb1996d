"""Shared steps of the Teams render tests: people and channels with names, a card rendered and checked
against the schema, its text runs, and what Teams shows for escaped markdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.chat import model as m
from bot.teams import render
from tests.teams_cards import validate_card

ALEX = "8f0c1a52-3b7e-4d19-9a61-2c5e7b0d4f13"  # made-up AAD object IDs
REVIEWS = "19:3c5a7e91b2d04f6a8e1c@thread.tacv2"
SPECIAL = set("\\*_~`[]()#+-.!<>|:")


@dataclass
class FakeNames:
    people: dict[str, str] = field(default_factory=lambda: {ALEX: "Alex Example"})
    channels: dict[str, str] = field(default_factory=lambda: {REVIEWS: "qa-reviews"})

    def person(self, user_id: str) -> str | None:
        return self.people.get(user_id)

    def channel(self, channel_id: str) -> str | None:
        return self.channels.get(channel_id)


NAMES = FakeNames()


def rendered(*parts: m.Part, summary: m.Rich = "summary") -> dict[str, Any]:
    card = render.card(m.Message(summary, parts), NAMES)
    validate_card(card)
    return card


def runs(element: dict[str, Any]) -> list[dict[str, Any]]:
    assert element["type"] == "RichTextBlock", element
    return element["inlines"]


def shown(markdown: str) -> str:
    """What Teams shows for escaped text outside the mentions; fails on any unescaped markup character."""
    out, i = "", 0
    while i < len(markdown):
        char = markdown[i]
        if char == "\\":
            out, i = out + markdown[i + 1], i + 2
            continue
        assert char not in SPECIAL, f"unescaped {char!r} at {i} in {markdown!r}"
        out, i = out + char, i + 1
    return out.replace("&amp;", "&")
