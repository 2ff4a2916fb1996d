"""Help that every command gets for free: usage, refusals, the overview and the home tab frame."""

from __future__ import annotations

from collections.abc import Iterable

from bot.chat.model import ContextLine, Divider, Header, Home, Markup, Message, Part, Rich, Text, command, md
from bot.roles import Role, describe_roles
from bot.routing import CommandSpec

INTRO = (
    "I help Trust & Safety QA teams run their labelling vendors: daily queue digests, policy answers "
    "and cascades, knowledge checks, and escalations to R&D and BPO contacts."
)


def usage(spec: CommandSpec, problem: Rich | None = None) -> Message:
    """`problem` often quotes what the person typed: a str is shown as text, never as markup."""
    lines = md("\n").join(md("• {}", line) for line in spec.usage_lines())
    parts: list[Part] = []
    if problem:
        parts.append(Text(md("⚠️ {}", problem)))
    parts += [Text(md("*{}*: {}", command(spec.name), spec.summary)), Text(lines)]
    if len(spec.subcommands) == 0:
        parts.append(ContextLine(("Nothing to run here yet: this capability is still being built.",)))
    summary = md("{}", problem) if problem else md("{}: {}", command(spec.name), spec.summary)
    return Message(summary=summary, parts=tuple(parts))


def refused(line: str, roles: Iterable[Role]) -> Message:
    """`line`: the command refused, as typed without prefix ("digest post")."""
    return Message.text(md("⛔ Only {} may run `{}`.", describe_roles(roles), command(line)))


def unknown_command(name: str, known: Iterable[str]) -> Message:
    names = md(", ").join(md("`{}`", command(n)) for n in sorted(known))
    return Message.text(md("I don't know `{}`. I answer {}.", command(name), names))


def failed(reference: str) -> Message:
    return Message.text(
        f"❌ Something went wrong on my side and nothing was changed. "
        f"The error is logged as `{reference}`; tell a QA admin if it happens again."
    )


def command_list(commands: Iterable[CommandSpec]) -> Markup:
    return md("\n").join(md("• `{}`: {}", command(c.name), c.summary) for c in commands)


def overview(commands: Iterable[CommandSpec]) -> Message:
    hint = md(
        "Type `{}` for details, or mention me with a command in a channel, e.g. `@tsqa digest help`.",
        command("<command> help"),
    )
    return Message.of(
        "Here is what I can do", Text(INTRO), Text(command_list(commands)), ContextLine((hint,))
    )


def home(commands: Iterable[CommandSpec], sections: Iterable[list[Part]]) -> Home:
    parts: list[Part] = [Header("tsqa-bot"), Text(INTRO)]
    parts.append(Text(command_list(commands)))
    for section in sections:
        if section:
            parts += [Divider(), *section]
    return Home(parts=tuple(parts))
