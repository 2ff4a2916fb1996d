"""Reading `/policy publish` and `tsqa policy publish`: the policy, the target channels (vendors or
channels the workspace file lists), the ack-by day and the optional quiz, checked before anything is
posted."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bot.chat.model import md
from bot.routing import UsageError
from bot.workspace import Workspace
from bot.workspace_ids import reference

USAGE = "/policy publish ID --to VENDOR|#channel … --ack-by YYYY-MM-DD [--quiz TOPIC]"

_TOKEN = re.compile(r"<[^>]*>|[^\s,]+")


@dataclass(frozen=True)
class Target:
    channel: str
    vendor: str | None = None


@dataclass(frozen=True)
class Request:
    policy_id: str
    targets: tuple[Target, ...]
    ack_by: date
    quiz: str | None = None


def target(token: str, ws: Workspace) -> Target | None:
    """A vendor id (its channel), or a channel mention, ID or `#name`, only if the workspace file lists
    that channel (a channel or a vendor's): an update goes where the file says the teams are."""
    if (vendor := ws.vendor(token.lower())) is not None:
        return Target(vendor.channel, vendor.id)
    found = reference(token, ws)
    if found is None or found[0] != "channel":
        return None
    listed = {c.id for c in ws.channels} | {v.channel for v in ws.vendors}
    if found[1] not in listed:
        return None
    owner = next((v.id for v in ws.vendors if v.channel == found[1]), None)
    return Target(found[1], owner)


def request(
    policy_id: str, to: Iterable[str], ack_by: str | None, quiz: str | None, ws: Workspace, today: date
) -> Request:
    """The parts of a publish, checked against the workspace file; UsageError says what is wrong."""
    if ack_by is None:
        raise UsageError(md("Say by when to acknowledge: `--ack-by YYYY-MM-DD`"))
    try:
        due = date.fromisoformat(ack_by)
    except ValueError:
        raise UsageError(md("`{}` is not a day like 2026-12-31", ack_by)) from None
    if due < today:
        raise UsageError(md("{} has passed: give a day from today on", due.isoformat()))
    targets: list[Target] = []
    unknown: list[str] = []
    for token in to:
        if (found := target(token, ws)) is not None:
            targets.append(found)
        else:
            unknown.append(token)
    if unknown:
        named = md(", ").join(md("`{}`", w) for w in unknown)
        raise UsageError(md("I know no vendor or channel {} in the workspace file.", named))
    if not targets:
        raise UsageError(md("Say where to post it: `--to VENDOR` or `--to #channel`"))
    by_channel = {t.channel: t for t in targets}
    return Request(policy_id.lower(), tuple(by_channel.values()), due, quiz.lower() if quiz else None)


def parse(text: str, ws: Workspace, today: date) -> Request:
    """`ID --to A B … --ack-by DAY [--quiz TOPIC]` (after the verb)."""
    tokens = _TOKEN.findall(text)
    if not tokens or tokens[0].startswith("--"):
        raise UsageError(md("Name the policy: `{}`", USAGE))
    options: dict[str, list[str]] = {}
    current: list[str] | None = None
    for token in tokens[1:]:
        if token.startswith("--"):
            current = options.setdefault(token.lower(), [])
        elif current is None:
            raise UsageError(md("`{}` belongs to no option: `{}`", token, USAGE))
        else:
            current.append(token)
    if extra := set(options) - {"--to", "--ack-by", "--quiz"}:
        raise UsageError(md("I know no option {}: `{}`", ", ".join(sorted(extra)), USAGE))
    single = {name: (options.get(name) or [None])[0] for name in ("--ack-by", "--quiz")}
    return request(tokens[0], options.get("--to", []), single["--ack-by"], single["--quiz"], ws, today)
