"""`/policy show ID [section]` and `/policy changes ID`: a policy's text as in effect today, and what
its latest version added, removed and changed, section by section (sections matched by anchor).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from bot.chat.events import Command
from bot.chat.model import Message, Part, Text, command, md, plain
from bot.context import Context
from bot.routing import CommandHandler, Router, UsageError
from handlers.policy import store
from handlers.policy.index import today
from handlers.policy.model import Policy, Section

DIFF_LINES = 12  # per changed section: enough to see the change, short enough for chat
SHOW_CHARS = 2800


@dataclass(frozen=True)
class Change:
    kind: str  # added, removed or changed
    section: Section
    diff: tuple[str, ...] = ()


def compare(old: Policy, new: Policy) -> list[Change]:
    """Sections of `new` not in `old` (added), the reverse (removed), and those whose heading or text
    differ (changed, with a short unified diff of their text), in `new`'s order, removed ones last."""
    before = {s.anchor: s for s in old.sections}
    after = {s.anchor: s for s in new.sections}
    found: list[Change] = []
    for s in new.sections:
        was = before.get(s.anchor)
        if was is None:
            found.append(Change("added", s))
        elif (was.heading, was.text.strip()) != (s.heading, s.text.strip()):
            lines = difflib.unified_diff(
                was.text.strip().splitlines(), s.text.strip().splitlines(), lineterm="", n=1
            )
            body = [line for line in lines if not line.startswith(("---", "+++"))]
            if len(body) > DIFF_LINES:
                body = body[:DIFF_LINES] + [f"… {len(body) - DIFF_LINES} more lines"]
            found.append(Change("changed", s, tuple(body)))
    found += [Change("removed", s) for s in old.sections if s.anchor not in after]
    return found


def changes_message(old: Policy | None, new: Policy) -> Message:
    head = md("*{}*: version {} (effective {})", new.title, new.version, new.effective.isoformat())
    if old is None:
        return Message.text(head + md("\nThis is the first version: there is nothing to compare it with."))
    found = compare(old, new)
    parts: list[Part] = [Text(head + md(", compared with version {}", old.version))]
    if not found:
        parts.append(Text("No section changed."))
    for change in found:
        title = md("• *{}* {}", change.kind, change.section.heading or change.section.anchor)
        if change.diff:
            title += md("\n```{}```", "\n".join(change.diff))
        parts.append(Text(title))
    return Message(md("What changed in {}", new.title), tuple(parts[:49]))


def show_message(policy: Policy, anchor: str | None) -> Message:
    head = md("*{}* · version {}, effective {}", policy.title, policy.version, policy.effective.isoformat())
    link = md("\n{}", plain(policy.link)) if policy.link else md("")
    if anchor is None:
        lines = [md("• `{}` {}", s.anchor, s.heading or "(introduction)") for s in policy.sections]
        hint = md("\n`{}` shows one.", command(f"policy show {policy.id} SECTION"))
        return Message.text(head + link + md("\n") + md("\n").join(lines) + hint)
    section = next((s for s in policy.sections if s.anchor == anchor.lower()), None)
    if section is None:
        return Message.text(
            md(
                "⛔ *{}* has no section `{}`: `{}` lists them.",
                policy.title,
                anchor,
                command(f"policy show {policy.id}"),
            )
        )
    text = section.text.strip()
    if len(text) > SHOW_CHARS:
        text = text[:SHOW_CHARS].rstrip() + "…"
    where = md("\n{}#{}", plain(policy.link), section.anchor) if policy.link else md("")
    return Message.text(head + md("\n*{}*\n{}", section.heading, text) + where)


async def show_command(
    ctx: Context, cmd: Command, args: list[str], question: CommandHandler | None = None
) -> None:
    if not args:
        raise UsageError("Name a policy: `/policy show ID [section]`.")
    policy_id = args[0].lower()
    in_effect = {p.id: p for p in await store.in_effect(ctx.db, today(ctx.services))}
    policy = in_effect.get(policy_id)
    if policy is None and len(args) > 2 and question is not None:
        # "/policy show me how to label spam" is a question that happens to start with "show"
        await question(ctx, cmd, ["show", *args])
        return
    if policy is None:
        known = ", ".join(sorted(in_effect)) or "none loaded"
        await ctx.respond(Message.text(md("⛔ No policy `{}` is in effect. Known: {}", policy_id, known)))
        return
    await ctx.respond(show_message(policy, args[1] if len(args) > 1 else None))


async def changes_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    if not args:
        raise UsageError("Name a policy: `/policy changes ID`.")
    found = await store.versions(ctx.db, args[0].lower())
    if not found:
        await ctx.respond(Message.text(md("⛔ I know no policy `{}`.", args[0])))
        return
    await ctx.respond(changes_message(found[-2] if len(found) > 1 else None, found[-1]))


def register(router: Router, question: CommandHandler | None = None) -> None:
    """`question` answers a `/policy show …` that names no policy and reads as a question."""

    async def show(ctx: Context, cmd: Command, args: list[str]) -> None:
        await show_command(ctx, cmd, args, question)

    router.subcommand(
        "policy", "show", show, usage="/policy show ID [section]",
        summary="a policy's sections, or one section's text, as in effect today",
    )  # fmt: skip
    router.subcommand(
        "policy", "changes", changes_command, usage="/policy changes ID",
        summary="what the latest version added, removed and changed, section by section",
    )  # fmt: skip
