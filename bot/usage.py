"""Help that every command gets for free: usage, refusals, the overview and the home tab frame."""

from __future__ import annotations

from collections.abc import Iterable

from bot.chat.model import ContextLine, Divider, Header, Home, Message, Part, Rich, Text, md
from bot.roles import Role, describe_roles
from bot.routing import CommandSpec

INTRO = (
    "I help Trust & Safety QA teams run their labelling vendors: daily queue digests, policy answers "
    "and cascades, knowledge checks, and escalations to R&D and BPO contacts."
)


def usage(spec: CommandSpec, problem: Rich | None = None) -> Message:
    """`problem` often quotes what the person typed: a str is shown as text, never as markup."""
    lines = "\n".join(f"• {line}" for line in spec.usage_lines())
    parts: list[Part] = []
    if problem:
        parts.append(Text(md(":warning: {}", problem)))
    parts += [Text(f"*/{spec.name}*: {spec.summary}"), Text(lines)]
    if len(spec.subcommands) == 0:
        parts.append(ContextLine(("Nothing to run here yet: this capability is still being built.",)))
    summary = md("{}", problem) if problem else f"/{spec.name}: {spec.summary}"
    return Message(summary=summary, parts=tuple(parts))


def refused(command: str, roles: Iterable[Role]) -> Message:
    return Message.text(f":no_entry: Only {describe_roles(roles)} may run `{command}`.")


def unknown_command(name: str, known: Iterable[str]) -> Message:
    names = md(", ").join(md("`/{}`", n) for n in sorted(known))
    return Message.text(md("I don't know `/{}`. I answer {}.", name, names))


def failed(reference: str) -> Message:
    return Message.text(
        f":x: Something went wrong on my side and nothing was changed. "
        f"The error is logged as `{reference}`; tell a QA admin if it happens again."
    )


def overview(commands: Iterable[CommandSpec]) -> Message:
    lines = "\n".join(f"• `/{c.name}`: {c.summary}" for c in commands)
    return Message.of(
        "Here is what I can do",
        Text(INTRO),
        Text(lines),
        ContextLine(
            ("Type `/<command> help` for details, or mention me with a command, e.g. `@tsqa digest help`.",)
        ),
    )


def home(commands: Iterable[CommandSpec], sections: Iterable[list[Part]]) -> Home:
    parts: list[Part] = [Header("tsqa-bot"), Text(INTRO)]
    parts.append(Text("\n".join(f"• `/{c.name}`: {c.summary}" for c in commands)))
    for section in sections:
        if section:
            parts += [Divider(), *section]
    return Home(parts=tuple(parts))
