"""The neutral chat model: what a handler can say, independent of Slack or Teams.

Handlers build these; an adapter (bot/slack, later Teams) renders them in its own format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Header:
    text: str


@dataclass(frozen=True)
class Text:
    """Markdown in Slack's mrkdwn dialect (*bold*, _italic_, `code`, <url|label>)."""

    markdown: str


@dataclass(frozen=True)
class Fields:
    """Short label/value pairs shown in two columns."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class ContextLine:
    """Small grey text under a block: sources, timestamps, notes."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Divider:
    pass


@dataclass(frozen=True)
class Image:
    url: str
    alt: str
    title: str | None = None


@dataclass(frozen=True)
class Button:
    label: str
    action: str
    value: str = ""
    style: Literal["primary", "danger"] | None = None
    url: str | None = None


@dataclass(frozen=True)
class Option:
    label: str
    value: str


@dataclass(frozen=True)
class Buttons:
    buttons: tuple[Button, ...]
    block_id: str | None = None


@dataclass(frozen=True)
class Select:
    action: str
    placeholder: str
    options: tuple[Option, ...]
    initial: str | None = None
    block_id: str | None = None


@dataclass(frozen=True)
class Checkboxes:
    action: str
    options: tuple[Option, ...]
    initial: tuple[str, ...] = ()
    block_id: str | None = None


Part = Header | Text | Fields | ContextLine | Divider | Image | Buttons | Select | Checkboxes


@dataclass(frozen=True)
class Message:
    """A message: `summary` is the plain-text fallback shown in notifications."""

    summary: str
    parts: tuple[Part, ...] = ()

    @classmethod
    def of(cls, summary: str, *parts: Part) -> Message:
        return cls(summary=summary, parts=tuple(parts))

    @classmethod
    def text(cls, markdown: str) -> Message:
        return cls(summary=markdown, parts=(Text(markdown),))


@dataclass(frozen=True)
class TextInput:
    name: str
    label: str
    multiline: bool = False
    optional: bool = False
    initial: str | None = None
    placeholder: str | None = None
    hint: str | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class ChoiceInput:
    name: str
    label: str
    options: tuple[Option, ...]
    optional: bool = False
    initial: str | None = None
    multiple: bool = False


@dataclass(frozen=True)
class UserInput:
    name: str
    label: str
    optional: bool = False


Input = TextInput | ChoiceInput | UserInput


@dataclass(frozen=True)
class Form:
    """A modal form; `form_id` routes the submission, `state` round-trips opaque context."""

    form_id: str
    title: str
    inputs: tuple[Input, ...]
    submit: str = "Submit"
    intro: tuple[Part, ...] = ()
    state: str = ""


@dataclass(frozen=True)
class FormErrors:
    """Per-input messages shown next to the fields; the form stays open."""

    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Home:
    """The user's home tab."""

    parts: tuple[Part, ...]


@dataclass(frozen=True)
class MessageRef:
    """Where a posted message lives, to reply in its thread or update it."""

    channel: str
    ts: str
