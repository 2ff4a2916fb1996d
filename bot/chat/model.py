"""The neutral chat model: what a handler can say, independent of Slack or Teams.

Handlers build these; an adapter (bot/slack, bot/teams, the local workspace through bot/slack) renders
them in its own format.

The markup a handler writes is a small neutral Markdown: `*bold*`, `_italic_`, `~strike~`, `` `code` ``,
```` ```block``` ````, line breaks, `•` bullets and emoji as Unicode characters (⚠️, not `:warning:`).
Slack takes it as mrkdwn; Teams gets it parsed (bot/chat/markup.py) into Adaptive Card text runs.
People, channels and commands are pieces of their own (`user`, `channel`, `command`), because each
platform writes them differently: `<@U…>` or an `<at>` mention, `<#C…>` or a channel's name,
`/digest post` or `digest post`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from string import Formatter
from typing import Any, Final, Literal

_FORMATTER = Formatter()

# What a piece of Markup is: the handler's own markup, text from data or people (shown as it is), or a
# reference each platform writes its own way.
MARKUP: Final = "markup"
TEXT: Final = "text"
USER: Final = "user"
CHANNEL: Final = "channel"
COMMAND: Final = "command"
PieceKind = Literal["markup", "text", "user", "channel", "command"]


@dataclass(frozen=True)
class Markup:
    """Formatted text in which the markup is the handler's and every value is plain text.

    `pieces` are (kind, text): MARKUP the handler wrote, TEXT from data or people, or a USER,
    CHANNEL or COMMAND reference (an ID, an ID, a command line such as "digest post"). Each adapter
    escapes TEXT in its own dialect, so a label like `<!channel>` from a CSV or a form shows as text
    there, pings nobody and links nowhere. Build it with `md`, `user`, `channel` and `command`.
    """

    pieces: tuple[tuple[PieceKind, str], ...] = ()

    def __add__(self, other: Markup) -> Markup:
        if not isinstance(other, Markup):
            return NotImplemented
        return Markup(self.pieces + other.pieces)

    def join(self, items: Iterable[Markup | str]) -> Markup:
        """Like str.join: `md(", ").join(names)`; str items are plain text."""
        pieces: list[tuple[PieceKind, str]] = []
        for index, item in enumerate(items):
            if index:
                pieces += self.pieces
            pieces += as_markup_value(item).pieces
        return Markup(tuple(pieces))

    @property
    def plain(self) -> str:
        """The text as a person reads it, markup characters included (logs, tests, plain fields);
        references as their IDs, commands with Slack's slash.

        There is no __str__ on purpose: f"{markup}" would turn values back into markup unnoticed."""
        return "".join(f"/{text}" if kind == COMMAND else text for kind, text in self.pieces)


def plain(text: str) -> Markup:
    """Text from data or people, to be shown exactly as it is."""
    return Markup(((TEXT, text),))


def user(user_id: str) -> Markup:
    """A person, by their ID on the platform (Slack U…, Teams AAD object ID): a mention."""
    return Markup(((USER, user_id),))


def people(user_ids: Sequence[str], limit: int = 30) -> Markup:
    """People as mentions, the first `limit` named and the rest counted: a long list never floods."""
    shown = md(", ").join(user(u) for u in user_ids[:limit])
    more = len(user_ids) - limit
    return shown + md(" and {} more", more) if more > 0 else shown


def channel(channel_id: str) -> Markup:
    """A channel, by its ID on the platform: a link where the platform has one, else its name."""
    return Markup(((CHANNEL, channel_id),))


def command(line: str) -> Markup:
    """A command as a person types it, without any prefix ("digest post hate-en"): Slack shows
    `/digest post hate-en`, Teams `digest post hate-en` (there it is a message to the bot)."""
    return Markup(((COMMAND, line.removeprefix("/")),))


def as_markup_value(value: Any, spec: str = "", conversion: str | None = None) -> Markup:
    """A value placed into a template: Markup stays markup, anything else becomes plain text."""
    if isinstance(value, Markup) and not spec and not conversion:
        return value
    if conversion:
        value = _FORMATTER.convert_field(value, conversion)
    return plain(format(value, spec))


def md(template: str, *args: Any, **kwargs: Any) -> Markup:
    """Markup from a template the handler wrote (`*{}* missed {:.0%}`) and values that are escaped
    by construction, wherever they came from. Values that are Markup themselves nest unchanged."""
    pieces: list[tuple[PieceKind, str]] = []
    auto = 0
    for literal, name, spec, conversion in _FORMATTER.parse(template):
        if literal:
            pieces.append((MARKUP, literal))
        if name is None:
            continue
        if name == "":
            value, auto = args[auto], auto + 1
        else:
            value = _FORMATTER.get_field(name, args, kwargs)[0]
        pieces += as_markup_value(value, spec or "", conversion).pieces
    return Markup(tuple(pieces))


# Where a part takes text: a str is markup the handler wrote itself (constants, help); anything built
# from data goes through `md` or `plain`.
Rich = str | Markup


def readable(text: Rich) -> str:
    """What a person reads, for places that show text as typed (headers, form errors)."""
    return text if isinstance(text, str) else text.plain


@dataclass(frozen=True)
class Header:
    text: Rich


@dataclass(frozen=True)
class Text:
    """Markdown (*bold*, _italic_, `code`); values from data or people inside Markup."""

    markdown: Rich


@dataclass(frozen=True)
class Fields:
    """Short label/value pairs shown in two columns."""

    items: tuple[Rich, ...]


@dataclass(frozen=True)
class ContextLine:
    """Small grey text under a block: sources, timestamps, notes."""

    items: tuple[Rich, ...]


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
    """`opens_form`: its handler answers with `open_form` (Teams must know before the click: such a
    button opens a dialog there)."""

    label: str
    action: str
    value: str = ""
    style: Literal["primary", "danger"] | None = None
    url: str | None = None
    opens_form: bool = False


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
    """A message: `summary` is the fallback shown in notifications (markup rules as for Text)."""

    summary: Rich
    parts: tuple[Part, ...] = ()

    @classmethod
    def of(cls, summary: Rich, *parts: Part) -> Message:
        return cls(summary=summary, parts=tuple(parts))

    @classmethod
    def text(cls, markdown: Rich) -> Message:
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
