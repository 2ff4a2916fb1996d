"""Neutral model → Adaptive Card 1.5, through microsoft_teams.cards so every element is a typed model.

The entry points the Teams port, listeners and dialogs use. The work is in three modules beside it:
card_text (markup → text elements, safe from markup in data), card_parts (parts → elements, a card
within its byte budget) and dialog_cards (forms as dialogs, submissions back as values).
"""

from __future__ import annotations

import base64
from typing import Any

from microsoft_teams.cards.core import AdaptiveCard, Image

from bot.chat import model as m
from bot.teams.card_parts import CONTENT_TYPE, attachment, fitted, render_parts
from bot.teams.card_text import (
    NO_NAMES,
    PART_CHARS,
    Names,
    clip,
    dump,
    escape,
    fallback_text,
    heading,
    json_size,
)
from bot.teams.dialog_cards import dialog, dialog_message, dialog_response, form_values

CARD_BUDGET = 40_000  # bytes of card JSON: the whole bot message must stay well under Teams' ~100 KB
IMAGE_CARD_BUDGET = 80_000


def card(message: m.Message, names: Names) -> dict[str, Any]:
    """The Adaptive Card for a message, within CARD_BUDGET bytes."""
    return fitted(fallback_text(message, names), render_parts(message.parts, names), CARD_BUDGET)


def home_card(home: m.Home, names: Names) -> dict[str, Any]:
    """Teams has no home tab: the home is a card like any message (sent in the personal chat)."""
    return card(m.Message(summary="Home", parts=home.parts), names)


def image_card(title: str, png: bytes, alt: str) -> dict[str, Any]:
    """A chart inline as a data URI (Teams shows those in bot cards; no file upload needed)."""
    url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    chart = Image(url=url, alt_text=clip(alt, 2000))
    result = dump(AdaptiveCard(fallback_text=clip(title, 1_000), body=[heading(title), chart]))
    if (size := json_size(result)) > IMAGE_CARD_BUDGET:
        raise ValueError(f"chart card is {size:,} bytes; Teams cards here stay under {IMAGE_CARD_BUDGET:,}")
    return result


__all__ = [
    "CARD_BUDGET",
    "CONTENT_TYPE",
    "IMAGE_CARD_BUDGET",
    "NO_NAMES",
    "PART_CHARS",
    "Names",
    "attachment",
    "card",
    "clip",
    "dialog",
    "dialog_message",
    "dialog_response",
    "escape",
    "fallback_text",
    "form_values",
    "home_card",
    "image_card",
    "json_size",
]
