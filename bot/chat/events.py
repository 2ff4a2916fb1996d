"""Incoming events in neutral form: what a person did, translated by an adapter."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Command:
    """A slash command, or a mention that names one (`@tsqa digest hate-en`)."""

    name: str
    text: str
    user: str
    channel: str
    trigger: str | None = None
    thread_ts: str | None = None

    @property
    def words(self) -> list[str]:
        return self.text.split()


@dataclass(frozen=True)
class Action:
    """A button press, a select or a checkbox change on a message or the home tab. `value`,
    `selected` and the message it was on come from the client: check them; `user` is the platform's."""

    action: str
    value: str
    user: str
    channel: str | None
    message_ts: str | None
    thread_ts: str | None = None
    trigger: str | None = None
    selected: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormSubmission:
    """A submitted form. `values` and `state` come back from the person's client (on Teams the whole
    dialog does): a handler checks them as it checks any input, never trusts them for rights."""

    form_id: str
    user: str
    values: dict[str, str | list[str] | None]
    state: str = ""


@dataclass(frozen=True)
class Mention:
    """Text addressed to the bot: an @mention in a channel, or (`direct`) a message in the person's
    own conversation with the bot (a Slack DM, the Teams personal chat, a local-workspace DM)."""

    text: str
    user: str
    channel: str
    ts: str
    thread_ts: str | None = None
    direct: bool = False


@dataclass(frozen=True)
class Shortcut:
    """A message shortcut ("Escalate this message") chosen on a message. `text` is the message as
    plain text, `author` who wrote it (None when the platform did not say): both come from the
    person's client, so a handler shows them but never trusts them for rights. `trigger` opens a form."""

    name: str
    user: str
    channel: str
    message_ts: str
    text: str
    author: str | None
    trigger: str | None
    permalink: str | None = None


@dataclass(frozen=True)
class HomeOpened:
    user: str


@dataclass(frozen=True)
class FileShared:
    """`direct`: sent to the bot itself (a DM on Slack, the personal chat on Teams, where a file in a
    channel never reaches a bot)."""

    file_id: str
    user: str
    channel: str
    name: str = ""
    url: str = ""
    ts: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    direct: bool = False


Event = Command | Action | FormSubmission | Mention | Shortcut | HomeOpened | FileShared
