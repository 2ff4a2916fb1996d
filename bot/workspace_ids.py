"""The IDs a workspace file names: what each platform's users, usergroups and channels look like, and
how a value is checked, with what is wrong and where to find the right ID; and the one HH:MM time of day
the file's sections share.

Inside `checking_ids` (Workspace validation) an ID must be of the file's platform and a `group:`
reference must name one of its groups; a section validated alone accepts either platform's IDs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator

if TYPE_CHECKING:
    from bot.workspace import Workspace

Platform = Literal["slack", "teams"]
PLATFORMS: tuple[Platform, ...] = ("slack", "teams")
GROUP_PREFIX = "group:"
SLUG = r"^[a-z0-9][a-z0-9_-]*$"

SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_USERGROUP = re.compile(r"^S[A-Z0-9]{2,}$")
SLACK_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,}$")
# Entra object IDs are GUIDs; Teams sends them lower-case, people paste them in any case.
TEAMS_USER = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
# Channels (@thread.tacv2, older @thread.skype) and group chats (@thread.v2).
TEAMS_CHANNEL = re.compile(r"^19:[A-Za-z0-9_.-]+@thread\.(tacv2|skype|v2)$")
# A Slack mention as commands carry it: <@U…>, <#C…|name>, <!subteam^S…>.
MENTION = re.compile(r"^<(@|#|!subteam\^)([A-Za-z0-9]+)(?:\|[^>]*)?>$")
TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

ReferenceKind = Literal["user", "channel", "usergroup", "group"]

WHERE = {
    ("slack", "user"): "open the person's Slack profile → ⋮ → Copy member ID (e.g. U0123ABCD)",
    ("slack", "channel"): "open the channel's details in Slack: the Channel ID is at the bottom "
    "(e.g. C0123ABCD)",
    ("teams", "user"): "use the person's Microsoft Entra object ID, a GUID like "
    "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx: find it in the Teams admin center or Entra ID → Users → Object ID",
    ("teams", "channel"): "use the Teams conversation ID, like 19:abc123…@thread.tacv2: copy the channel's "
    "link (… → Get link to channel); the ID is the part after /channel/, URL-decoded",
}


@dataclass(frozen=True)
class _Scope:
    """What an ID is checked against while a workspace validates: its platform and its groups."""

    platform: str
    groups: frozenset[str]


# Set by Workspace around its own validation; a section validated alone accepts either platform's IDs.
_SCOPE: ContextVar[_Scope | None] = ContextVar("workspace_scope", default=None)


@dataclass(frozen=True)
class _Kind:
    what: dict[str, str]  # per platform, for messages
    hint: str  # the WHERE key: how to find the right ID
    patterns: dict[str, tuple[re.Pattern[str], ...]]
    groups: bool = False  # `group:<id>` accepted


PERSON = _Kind(
    {"slack": "user or usergroup", "teams": "user"},
    "user",
    {"slack": (SLACK_USER, SLACK_USERGROUP), "teams": (TEAMS_USER,)},
    groups=True,
)
USER = _Kind({"slack": "user", "teams": "user"}, "user", {"slack": (SLACK_USER,), "teams": (TEAMS_USER,)})
CHANNEL = _Kind(
    {"slack": "channel", "teams": "channel"},
    "channel",
    {"slack": (SLACK_CHANNEL,), "teams": (TEAMS_CHANNEL,)},
)


def _matches(kind: _Kind, platform: str, value: str) -> bool:
    return any(p.match(value) for p in kind.patterns[platform])


def _check_id(kind: _Kind, value: str) -> str:
    """`value` if it is an ID of the workspace's platform (GUIDs lower-cased), else why not and where to
    find the right one."""
    scope = _SCOPE.get()
    if kind.groups and value.startswith(GROUP_PREFIX):
        return _check_group_ref(value, scope)
    known = scope is not None and scope.platform in PLATFORMS
    platforms = [scope.platform] if known and scope else list(PLATFORMS)
    for platform in platforms:
        if _matches(kind, platform, value):
            return value.lower() if TEAMS_USER.match(value) else value
    platform = platforms[0]
    other = next((p for p in PLATFORMS if p != platform and _matches(kind, p, value)), None)
    where = WHERE[(platform, kind.hint)]
    if known and other:
        return _fail(
            f"{value!r} is a {other.title()} {kind.what[other]} ID, but this workspace is on "
            f"{platform.title()} (platform: {platform}); {where}"
        )
    if platform == "teams" and "%3a" in value.lower():
        where = "it looks URL-encoded: decode it (%3a is :, %40 is @)"
    elif ";messageid=" in value:
        where = "drop the ;messageid=… part, which names one thread"
    return _fail(f"{value!r} is not a {platform.title()} {kind.what[platform]} ID; {where}")


def _check_group_ref(value: str, scope: _Scope | None) -> str:
    name = value.removeprefix(GROUP_PREFIX)
    if not re.match(SLUG, name):
        return _fail(f"{value!r} is not a group reference like group:qa-leads")
    if scope is not None and name not in scope.groups:
        defined = ", ".join(sorted(scope.groups)) or "none yet"
        return _fail(f"unknown group {name!r}: add it under groups: (defined: {defined})")
    return value


def _fail(message: str) -> str:
    raise ValueError(message)


def _id_type(kind: _Kind) -> Any:
    return Annotated[str, AfterValidator(lambda value: _check_id(kind, value))]


def _check_time_of_day(value: str) -> str:
    return value if TIME_OF_DAY.match(value) else _fail(f'{value!r} is not a time of day like "09:00"')


# "HH:MM", checked: every time of day the file gives (a digest's, escalation's business day, training's)
TimeOfDay = Annotated[str, AfterValidator(_check_time_of_day)]

PersonRef = _id_type(PERSON)
UserId = _id_type(USER)
ChannelId = _id_type(CHANNEL)


@contextmanager
def checking_ids(platform: str, groups: frozenset[str]) -> Iterator[None]:
    """IDs validated inside are checked against this platform and these groups."""
    token = _SCOPE.set(_Scope(platform=platform, groups=groups))
    try:
        yield
    finally:
        _SCOPE.reset(token)


def reference(token: str, ws: Workspace) -> tuple[ReferenceKind, str] | None:
    """One word of a command as the user, channel, usergroup or `group:` it names, in the workspace
    platform's terms (a mention, an ID, a `#name` the file lists); None when it names nothing known.
    Commands share it so that `#qa-ops` or a pasted ID means the same everywhere."""
    if found := MENTION.match(token):
        kinds: dict[str, ReferenceKind] = {"@": "user", "#": "channel"}
        return kinds.get(found[1], "usergroup"), found[2]
    if token.startswith(GROUP_PREFIX):
        return ("group", token) if ws.group(token.removeprefix(GROUP_PREFIX)) else None
    patterns: list[tuple[re.Pattern[str], ReferenceKind]] = (
        [(TEAMS_USER, "user"), (TEAMS_CHANNEL, "channel")]
        if ws.platform == "teams"
        else [(SLACK_USER, "user"), (SLACK_CHANNEL, "channel"), (SLACK_USERGROUP, "usergroup")]
    )
    for pattern, kind in patterns:
        if pattern.match(token):
            return kind, ws.normal_user(token) if kind == "user" else token
    name = token.removeprefix("#").lower()
    listed = next((c.id for c in ws.channels if c.name.lower() == name), None)
    return ("channel", listed) if listed else None
