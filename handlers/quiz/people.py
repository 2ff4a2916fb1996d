"""Which vendor and site a labeler works for, so quiz results can be split by vendor and site.

The first source that knows the person wins, in this order:
1. the imported roster (`tsqa quiz roster import FILE`: CSV `user_id,vendor,site[,labeler_id]`);
2. the workspace file: a vendor's leads and contacts (groups and usergroups expanded) are that vendor's;
3. membership of a vendor's channel (`vendors[].channel`), read from the chat platform, cached 10 minutes;
4. otherwise unknown.
Only the roster names a site; the other two give one only when the vendor has a single known site.
"""

from __future__ import annotations

import csv
import io
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select

from bot.chat.port import ChatError
from bot.workspace import Workspace
from bot.workspace_ids import SLACK_USER, TEAMS_USER
from storage.claims import insert_once
from storage.engine import Database
from storage.models.quiz import QuizRosterEntry

if TYPE_CHECKING:
    from bot.context import Services

log = logging.getLogger("tsqa.quiz")

Source = Literal["roster", "workspace", "channel"]
Members = Callable[[Iterable[str]], Awaitable[set[str]]]
ChannelMembers = Callable[[str], Awaitable[list[str]]]

CHANNEL_TTL = 600.0  # membership changes rarely; a status per minute must not list a channel each time
MAX_ROSTER_BYTES = 5 * 1024 * 1024
ROSTER_COLUMNS = ("user_id", "vendor", "site")


@dataclass(frozen=True)
class Placement:
    vendor: str | None = None
    site: str | None = None
    source: Source | None = None


UNKNOWN = Placement()

# Per port (one per running bot), so two bots in one process (tests) never share a channel's members.
_channels: weakref.WeakKeyDictionary[object, dict[str, tuple[float, frozenset[str]]]] = (
    weakref.WeakKeyDictionary()
)


def vendor_sites(workspace: Workspace, vendor_id: str) -> list[str]:
    """The sites a vendor is known to work from: its own list and its queues' sites."""
    vendor = workspace.vendor(vendor_id)
    listed = list(vendor.sites) if vendor else []
    listed += [q.site for q in workspace.queues if q.vendor == vendor_id]
    return list(dict.fromkeys(listed))


def _only_site(workspace: Workspace, vendor_id: str) -> str | None:
    sites = vendor_sites(workspace, vendor_id)
    return sites[0] if len(sites) == 1 else None


async def cached_channel_members(port: object, channel: str, lookup: ChannelMembers) -> frozenset[str]:
    """A channel's members, asked of the platform at most once per CHANNEL_TTL; none when it refuses."""
    cache = _channels.setdefault(port, {})
    hit = cache.get(channel)
    if hit and time.monotonic() - hit[0] < CHANNEL_TTL:
        return hit[1]
    try:
        members = frozenset(await lookup(channel))
    except ChatError as exc:  # not in the channel, archived: that source just knows nobody
        log.warning("could not read the members of vendor channel %s: %s", channel, exc)
        return frozenset()
    cache[channel] = (time.monotonic(), members)
    return members


async def placements(
    db: Database,
    workspace: Workspace,
    users: Iterable[str],
    *,
    members: Members,
    channel_members: ChannelMembers | None,
) -> dict[str, Placement]:
    """Every user's placement, reading the roster once; `channel_members` None skips the channel step
    (the CLI has no chat connection)."""
    wanted = [workspace.normal_user(u) for u in dict.fromkeys(users)]
    found: dict[str, Placement] = {}
    async with db.transaction() as session:
        rows = (
            await session.scalars(select(QuizRosterEntry).where(QuizRosterEntry.user_id.in_(wanted)))
        ).all()
    for row in rows:
        found[row.user_id] = Placement(row.vendor, row.site, "roster")
    left = [u for u in wanted if u not in found]
    for vendor in workspace.vendors:
        if not left:
            break
        named = (
            await members([*vendor.leads, *vendor.contacts.everyone])
            if vendor.leads or vendor.contacts.everyone
            else set()
        )
        for user in [u for u in left if u in named]:
            found[user] = Placement(vendor.id, _only_site(workspace, vendor.id), "workspace")
        left = [u for u in left if u not in found]
    if channel_members is not None:
        for vendor in workspace.vendors:
            if not left:
                break
            in_channel = {workspace.normal_user(m) for m in await channel_members(vendor.channel)}
            for user in [u for u in left if u in in_channel]:
                found[user] = Placement(vendor.id, _only_site(workspace, vendor.id), "channel")
            left = [u for u in left if u not in found]
    return {u: found.get(u, UNKNOWN) for u in wanted}


async def placements_for(services: Services, users: Iterable[str]) -> dict[str, Placement]:
    """`placements` with the running bot's platform: usergroups expanded, channels read (cached)."""
    port = services.port

    async def in_channel(channel: str) -> list[str]:
        return list(await cached_channel_members(port, channel, port.channel_members))

    return await placements(
        services.db, services.workspace, users, members=services.roles.members, channel_members=in_channel
    )


async def placement(services: Services, user: str) -> tuple[str | None, str | None]:
    """(vendor, site) of one person; None where unknown."""
    found = (await placements_for(services, [user]))[services.workspace.normal_user(user)]
    return found.vendor, found.site


# ----- the roster file -----


@dataclass(frozen=True)
class RosterRow:
    user_id: str
    vendor: str
    site: str | None
    labeler_id: str | None
    line: int


class RosterError(Exception):
    """The file cannot be used; `problems` names each with its line. Nothing was stored."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def _user_id(workspace: Workspace, raw: str) -> str | None:
    pattern = TEAMS_USER if workspace.platform == "teams" else SLACK_USER
    return workspace.normal_user(raw) if pattern.match(raw) else None


def parse_roster(content: bytes, workspace: Workspace) -> list[RosterRow]:
    """Every row checked against the workspace (platform user IDs, its vendors and their sites);
    any problem rejects the whole file, listing all of them."""
    if len(content) > MAX_ROSTER_BYTES:
        raise RosterError([f"the file is larger than {MAX_ROSTER_BYTES // (1024 * 1024)} MB"])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterError([f"the file is not UTF-8 text (byte {exc.start})"]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    if tuple(header[:3]) != ROSTER_COLUMNS or header[3:] not in ([], ["labeler_id"]):
        raise RosterError([f"line 1: the header must be {','.join(ROSTER_COLUMNS)}[,labeler_id]"])
    vendors = [v.id for v in workspace.vendors]
    problems: list[str] = []
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        cells = [v.strip() for v in values] + [""] * (len(header) - len(values))
        if len(values) > len(header):
            problems.append(f"line {line}: {len(values)} fields, the header has {len(header)}")
            continue
        raw_user, vendor, site = cells[0], cells[1], cells[2]
        labeler = cells[3] if len(header) > 3 else ""
        user = _user_id(workspace, raw_user)
        if user is None:
            problems.append(f"line {line}: {raw_user!r} is not a {workspace.platform.title()} user ID")
            continue
        if user in seen:
            problems.append(f"line {line}: {raw_user} is listed already on line {seen[user]}")
            continue
        seen[user] = line
        if vendor not in vendors:
            problems.append(
                f"line {line}: unknown vendor {vendor!r} (the workspace has {', '.join(vendors)})"
            )
            continue
        known = vendor_sites(workspace, vendor)
        if site and known and site not in known:
            problems.append(f"line {line}: {vendor} has no site {site!r} (its sites: {', '.join(known)})")
            continue
        if len(site) > 64 or len(labeler) > 255:
            problems.append(f"line {line}: the site or labeler_id is too long")
            continue
        rows.append(RosterRow(user, vendor, site or None, labeler or None, line))
    if problems:
        raise RosterError(problems)
    return rows


@dataclass(frozen=True)
class RosterReport:
    added: int
    updated: int
    unchanged: int


async def import_roster(db: Database, rows: list[RosterRow], now: datetime) -> RosterReport:
    """Add or update each row in one transaction; people not in the file keep their entry."""
    added = updated = unchanged = 0
    async with db.transaction() as session:
        for row in rows:
            values = {"vendor": row.vendor, "site": row.site, "labeler_id": row.labeler_id}
            if await insert_once(
                session, QuizRosterEntry, ["user_id"], user_id=row.user_id, imported_at=now, **values
            ):
                added += 1
                continue
            entry = await session.get(QuizRosterEntry, row.user_id)
            assert entry is not None
            if (entry.vendor, entry.site, entry.labeler_id) == (row.vendor, row.site, row.labeler_id):
                unchanged += 1
                continue
            entry.vendor, entry.site, entry.labeler_id, entry.imported_at = (
                row.vendor,
                row.site,
                row.labeler_id,
                now,
            )
            updated += 1
    return RosterReport(added, updated, unchanged)
