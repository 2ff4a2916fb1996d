"""What the sampling capability registers: `/sampling plan …` (ISO 2859-1) and `/sampling size …`
(Cochran) for everyone, computed and answered with nothing stored; `/sampling` alone is the help, with
the configured plans for admins and trainers. `tsqa sampling …` (cli.py) reads the same words. The daily
audit draw (daily.py): a job at `sampling.time`, a durable timer per queue and day, caught up at start.
The auditors' file coming back (returns_chat.py) is claimed before queue data would refuse it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from bot.chat.events import Command
from bot.chat.model import Message, md
from bot.context import Context
from bot.roles import Role
from bot.routing import CommandHandler, Router, UsageError
from handlers.sampling import daily, returns_chat
from handlers.sampling import views as v
from handlers.sampling.cochran import CochranSize, cochran_size
from handlers.sampling.iso2859 import SamplingError
from handlers.sampling.plans import Plan, single_plan

SUMMARY = "audit sampling: ISO 2859-1 plans and Cochran sample sizes"
CONFIGURERS = (Role.ADMIN, Role.TRAINER)
INSPECTIONS = ("normal", "tightened", "reduced")
PLAN_OPTIONS = ("lot", "aql", "level", "inspection")
SIZE_OPTIONS = ("population", "margin", "confidence", "p")
T = TypeVar("T")
# Phones and chat clients turn a typed "--" into a dash: "—lot" and "–lot" mean "--lot".
DASHED = re.compile(r"^[—–]")


def options(words: list[str], names: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """`--name value` and `--name=value` by name, and the other words in order; an unknown or
    repeated option, or one without its value, is a SamplingError naming the allowed ones."""
    given: dict[str, str] = {}
    rest: list[str] = []
    index = 0
    while index < len(words):
        word = DASHED.sub("--", words[index])
        index += 1
        if not word.startswith("--"):
            rest.append(word)
            continue
        name, eq, value = word[2:].partition("=")
        name = name.lower()
        if name not in names:
            allowed = ", ".join(f"--{n}" for n in names)
            raise SamplingError(f"unknown option --{name}; the options are {allowed}")
        if not eq:
            if index >= len(words) or words[index].startswith("--"):
                raise SamplingError(f"--{name} needs a value")
            value = words[index]
            index += 1
        if name in given:
            raise SamplingError(f"--{name} is given twice")
        given[name] = value
    return given, rest


def whole(text: str, name: str) -> int:
    """A count such as 1000 or 1,000."""
    try:
        return int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise SamplingError(f"{name} {text!r} is not a whole number, e.g. 1000") from None


def fraction(text: str, name: str) -> float:
    """0.05 or 5%: people say margins and confidence both ways."""
    stripped = text.strip()
    try:
        if stripped.endswith("%"):
            return float(stripped[:-1]) / 100
        return float(stripped)
    except ValueError:
        raise SamplingError(f"{name} {text!r} is not a number, e.g. 0.05 or 5%") from None


def _place(given: dict[str, str], positional: list[str], order: tuple[str, ...]) -> dict[str, str]:
    """Positional words fill the options not given by name, in `order`."""
    free = [name for name in order if name not in given]
    if len(positional) > len(free):
        extra = " ".join(positional[len(free) :])
        raise SamplingError(f"I don't know what {extra!r} is; give the options by name")
    return {**given, **dict(zip(free, positional, strict=False))}


def plan_from_words(words: list[str]) -> Plan:
    """`--lot N --aql A [--level L] [--inspection I]`, or `N A [L] [I]` (level and inspection in any
    order: an inspection is one of normal, tightened, reduced)."""
    given, rest = options(words, PLAN_OPTIONS)
    positional = []
    for word in rest:
        if word.lower() in INSPECTIONS and "inspection" not in given:
            given["inspection"] = word
        else:
            positional.append(word)
    values = _place(given, positional, PLAN_OPTIONS)
    missing = [n for n in ("lot", "aql") if n not in values]
    if missing:
        raise SamplingError(f"give {' and '.join('--' + n for n in missing)}, e.g. plan --lot 1000 --aql 1.0")
    return single_plan(
        whole(values["lot"], "the lot"),
        values["aql"],  # type: ignore[arg-type]  # read by aql_index, which names the allowed AQLs
        values.get("level", "II"),
        values.get("inspection", "normal"),
    )


def size_from_words(words: list[str]) -> CochranSize:
    """`--population N --margin E [--confidence C] [--p P]`, or `N E [C] [P]`."""
    given, rest = options(words, SIZE_OPTIONS)
    values = _place(given, rest, SIZE_OPTIONS)
    missing = [n for n in ("population", "margin") if n not in values]
    if missing:
        raise SamplingError(
            f"give {' and '.join('--' + n for n in missing)}, e.g. size --population 5000 --margin 0.05"
        )
    return cochran_size(
        whole(values["population"], "the population"),
        fraction(values["margin"], "the margin"),
        fraction(values.get("confidence", "0.95"), "the confidence"),
        fraction(values.get("p", "0.5"), "p"),
    )


def answer(read: Callable[[list[str]], T], show: Callable[[T], Message]) -> CommandHandler:
    """A command that reads its words into a plan or a size and shows it; a SamplingError is the
    usage answer, its text saying what is wrong and what is allowed."""

    async def handler(ctx: Context, cmd: Command, args: list[str]) -> None:
        try:
            found = read(args)
        except SamplingError as exc:
            text = str(exc)
            raise UsageError(md("{}.", text[0].upper() + text[1:])) from None
        await ctx.respond(show(found))

    return handler


async def help_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/sampling` alone; any other first word is not a verb of ours."""
    if args:
        raise UsageError(md("I don't know `{}`: use plan or size.", " ".join(args)))
    configured = (await ctx.roles()).has(*CONFIGURERS)
    where = daily.draw_channel(ctx.workspace)
    await ctx.respond(v.help_message(ctx.workspace, configured=configured, draw_channel=where))


def register(router: Router) -> None:
    router.command("sampling", SUMMARY)
    router.subcommand("sampling", "plan", answer(plan_from_words, v.plan_message), usage=v.PLAN_USAGE,
                      summary="the ISO 2859-1 single sampling plan for a lot")  # fmt: skip
    router.subcommand("sampling", "size", answer(size_from_words, v.size_message), usage=v.SIZE_USAGE,
                      summary="Cochran's sample size with the finite-population correction")  # fmt: skip
    router.subcommand("sampling", "", help_command, usage="sampling",
                      summary="these commands, and the configured plans for admins and trainers")  # fmt: skip
    router.jobs(daily.jobs)
    router.timer(daily.POST)
    router.on_startup(daily.catch_up)
    router.on_file(returns_chat.file_shared, first=True)  # before queue data, which would refuse it
