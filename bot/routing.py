"""What capabilities register: commands, actions, forms, home sections, file handlers and jobs.

Each `handlers/<capability>/routes.py` has a `register(router)`; the app collects them all, so a new
capability is a new package and nothing else changes shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.chat.events import Action, Command, FileShared, FormSubmission, Mention, Shortcut
from bot.chat.model import FormErrors, Markup, Part, command, md
from bot.roles import Role

if TYPE_CHECKING:
    from bot.context import Context, Services
    from bot.workspace import Workspace
    from storage.claims import Taken

CommandHandler = Callable[["Context", Command, list[str]], Awaitable[None]]
ActionHandler = Callable[["Context", Action], Awaitable[None]]
FormHandler = Callable[["Context", FormSubmission], Awaitable[FormErrors | None]]
HomeSection = Callable[["Context"], Awaitable[list[Part]]]
FileHandler = Callable[["Context", FileShared], Awaitable[bool]]
TextHandler = Callable[["Context", Mention], Awaitable[bool]]
ShortcutHandler = Callable[["Context", Shortcut], Awaitable[None]]
JobRun = Callable[["Services"], Awaitable[Any]]
TimerRun = Callable[["Services", "Taken"], Awaitable[str | None]]
GiveUp = Callable[["Services", "Taken", str], Awaitable[None]]


class UsageError(Exception):
    """The command text is malformed; the message says what is wrong and usage help follows."""


@dataclass(frozen=True)
class Subcommand:
    """One verb of a slash command; `name` "" is the default when the first word is no verb."""

    name: str
    handler: CommandHandler
    usage: str
    summary: str
    roles: frozenset[Role] | None = None


@dataclass
class CommandSpec:
    name: str
    summary: str
    subcommands: list[Subcommand] = field(default_factory=list)

    def find(self, word: str) -> Subcommand | None:
        return next((s for s in self.subcommands if s.name and s.name == word.lower()), None)

    @property
    def default(self) -> Subcommand | None:
        return next((s for s in self.subcommands if not s.name), None)

    def usage_lines(self) -> list[Markup]:
        lines = [md("`{}`: {}", command(s.usage), s.summary) for s in self.subcommands]
        return lines + [md("`{}`: this help", command(f"{self.name} help"))]


@dataclass(frozen=True)
class ShortcutSpec:
    """A message shortcut: `label` is what a message's menu shows (Slack's shortcut name, the Teams
    action's title), `description` the line under it; `name` is the callback id platforms send back."""

    name: str
    label: str
    description: str
    handler: ShortcutHandler


@dataclass(frozen=True)
class Job:
    """A scheduled job; `trigger` is an APScheduler trigger; `run` enters at the handler."""

    id: str
    trigger: Any
    run: JobRun


JobSource = Callable[["Workspace"], Iterable[Job]]


@dataclass(frozen=True)
class Timer:
    """Durable timed work of one kind (`storage.claims.schedule` makes one due): `run` gets the
    claim (key, payload, attempts) and returns what to record. A failure is tried again with
    back-off (doubling from `backoff` to `max_backoff`) until `max_attempts` or the payload's
    `until` (ISO time) has passed; then the claim is closed and `give_up` says so to a person."""

    kind: str
    run: TimerRun
    give_up: GiveUp | None = None
    backoff: timedelta = timedelta(minutes=1)
    max_backoff: timedelta = timedelta(minutes=30)
    max_attempts: int = 10


@dataclass
class Router:
    commands: dict[str, CommandSpec] = field(default_factory=dict)
    actions: dict[str, ActionHandler] = field(default_factory=dict)
    forms: dict[str, FormHandler] = field(default_factory=dict)
    home_sections: list[HomeSection] = field(default_factory=list)
    file_handlers: list[FileHandler] = field(default_factory=list)
    job_sources: list[JobSource] = field(default_factory=list)
    startup: list[JobRun] = field(default_factory=list)
    local_seeds: list[JobRun] = field(default_factory=list)
    timers: dict[str, Timer] = field(default_factory=dict)
    text_handlers: list[TextHandler] = field(default_factory=list)
    shortcuts: dict[str, ShortcutSpec] = field(default_factory=dict)

    def command(self, name: str, summary: str) -> CommandSpec:
        spec = self.commands.setdefault(name, CommandSpec(name=name, summary=summary))
        spec.summary = summary
        return spec

    def subcommand(
        self,
        command: str,
        name: str,
        handler: CommandHandler,
        *,
        usage: str,
        summary: str,
        roles: Iterable[Role] | None = None,
    ) -> None:
        spec = self.commands[command]
        if any(s.name == name for s in spec.subcommands):
            raise ValueError(f"/{command} {name or '(default)'} is registered twice")
        spec.subcommands.append(
            Subcommand(name, handler, usage, summary, frozenset(roles) if roles else None)
        )

    def action(self, action_id: str, handler: ActionHandler) -> None:
        """Register by action id; an id `prefix:` also matches `prefix:anything`.

        A click reaches the handler every time (double clicks, two people, two replicas): a handler
        with a side effect claims it by what it means, e.g. `breakdown:{channel}:{ts}` or
        `answer:{quiz}:{question}:{user}`, never by `action_ts`, which differs on every click."""
        if action_id in self.actions:
            raise ValueError(f"action {action_id} is registered twice")
        self.actions[action_id] = handler

    def find_action(self, action_id: str) -> ActionHandler | None:
        if action_id in self.actions:
            return self.actions[action_id]
        prefix = action_id.split(":", 1)[0] + ":"
        return self.actions.get(prefix)

    def shortcut(self, name: str, label: str, handler: ShortcutHandler, description: str = "") -> None:
        """A message shortcut every message offers; the handler usually opens a form with
        `ctx.port.open_form(event.trigger, form)` at once (Slack's trigger lasts 3 s, a Teams dialog
        must answer within about 5). Slack's manifest.yml lists each one by hand; Teams' is generated."""
        if name in self.shortcuts:
            raise ValueError(f"shortcut {name} is registered twice")
        self.shortcuts[name] = ShortcutSpec(name, label, description, handler)

    def form(self, form_id: str, handler: FormHandler) -> None:
        if form_id in self.forms:
            raise ValueError(f"form {form_id} is registered twice")
        self.forms[form_id] = handler

    def home_section(self, section: HomeSection) -> None:
        self.home_sections.append(section)

    def on_file(self, handler: FileHandler, *, first: bool = False) -> None:
        """A file shared with the bot: handlers are asked in turn and the first that returns True has
        answered it. They are asked in the order capabilities register (CAPABILITIES), except that
        `first=True` puts this one before every other: for a handler that claims a narrow kind of file
        (calibration items) ahead of a broad one (queue data), without reordering CAPABILITIES."""
        if first:
            self.file_handlers.insert(0, handler)
        else:
            self.file_handlers.append(handler)

    def on_text(self, handler: TextHandler) -> None:
        """Free text addressed to the bot (a mention that names no command, a direct message): the
        first handler that returns True has answered it; with none, the bot says what it can do."""
        self.text_handlers.append(handler)

    def jobs(self, source: JobSource) -> None:
        self.job_sources.append(source)

    def timer(self, timer: Timer) -> None:
        """Durable timers of `timer.kind`: stored in the database, run once by one replica when due."""
        if timer.kind in self.timers:
            raise ValueError(f"timer kind {timer.kind} is registered twice")
        self.timers[timer.kind] = timer

    def on_startup(self, run: JobRun) -> None:
        """Work to do once the bot is up, e.g. catching up a digest missed while it was down."""
        self.startup.append(run)

    def on_local_seed(self, run: JobRun) -> None:
        """Example data for a local trial workspace, loaded before the bot starts (database only)."""
        self.local_seeds.append(run)
