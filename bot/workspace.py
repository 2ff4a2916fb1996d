"""The organisation the bot serves, read from the workspace YAML and validated on load.

Errors name the key path and the file position so a QA lead can fix the file without guessing. The IDs
the file names are checked in bot/workspace_ids.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    field_validator,
    model_validator,
)

from bot.workspace_appeals import AppealSettings
from bot.workspace_escalation import EscalationPlatform, EscalationSettings, VendorContacts
from bot.workspace_ids import (
    GROUP_PREFIX,
    SLACK_USERGROUP,
    SLUG,
    ChannelId,
    PersonRef,
    Platform,
    TimeOfDay,
    UserId,
    checking_ids,
)
from bot.workspace_policy import PolicySettings
from bot.workspace_sampling import SamplingSettings
from bot.workspace_training import Site, TrainingSettings
from bot.yaml_files import YamlProblems, read_model


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {value!r} (use an IANA name such as Europe/Dublin)") from None
    return value


class Person(_Model):
    """Someone the bot names (mentions, the local workspace); the IDs come from the real platform."""

    id: UserId
    name: str
    title: str = ""
    email: str | None = None


class Vendor(_Model):
    id: str = Field(pattern=SLUG)
    name: str
    channel: ChannelId
    leads: list[PersonRef] = []
    contacts: VendorContacts = VendorContacts()
    sites: list[str] = []


class Group(_Model):
    """People named once and referenced as `group:<id>` wherever a person is: Teams has no usergroups
    the bot can read, and the same file shape then serves both platforms."""

    id: str = Field(pattern=SLUG)
    name: str
    members: list[PersonRef]


def _group_refs(members: Iterable[str]) -> list[str]:
    return [m.removeprefix(GROUP_PREFIX) for m in members if m.startswith(GROUP_PREFIX)]


def _find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """One cycle in the group graph as a path that ends where it starts, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return None
        for child in edges.get(node, []):
            if found := visit(child, [*path, node]):
                return found
        done.add(node)
        return None

    return next((c for node in edges if (c := visit(node, []))), None)


class Targets(_Model):
    daily_output: int = Field(gt=0)
    sla_seconds: int = Field(gt=0)
    quality: float = Field(ge=0, le=1)
    aht_seconds: float = Field(gt=0)
    sla_adherence: float = Field(default=0.95, ge=0, le=1)


class Queue(_Model):
    """`labels`: the queue's decisions from least to most severe (keep < age_restrict < remove), so
    an audit can say whether a labeler over- or under-enforced; calibration offers them as answers."""

    id: str = Field(pattern=SLUG)
    name: str
    vendor: str
    site: str
    targets: Targets
    labels: list[str] = []
    # A link to an item in the labelling tool, `{item_id}` filled in: calibration items picked from
    # the audits get one, so a participant opens the item there (the bot never shows content).
    item_link: str | None = None

    @field_validator("item_link")
    @classmethod
    def _item_link(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^https?://\S+$", value) or "{item_id}" not in value:
            raise ValueError(
                'item_link is a URL with {item_id} in it, e.g. "https://tool.example/items/{item_id}"'
            )
        return value

    def link_to(self, item_id: str) -> str | None:
        """The item's link in the labelling tool, when the file gives the pattern."""
        return self.item_link.replace("{item_id}", quote(item_id, safe="")) if self.item_link else None

    @field_validator("labels")
    @classmethod
    def _distinct_labels(cls, labels: list[str]) -> list[str]:
        cleaned = [label.strip() for label in labels]
        if any(not label for label in cleaned):
            raise ValueError("labels must not be empty")
        if repeated := sorted({label for label in cleaned if cleaned.count(label) > 1}):
            raise ValueError(f"labels must be distinct: {', '.join(repeated)} appear more than once")
        return cleaned


class Channel(_Model):
    """A channel the bot posts in; listed so the local workspace can show it and setup can check it."""

    id: ChannelId
    name: str


class DigestSchedule(_Model):
    """A digest posted every day at `at` (local to `timezone`) into `channel`, optionally scoped."""

    channel: ChannelId
    at: TimeOfDay = "09:00"
    timezone: str | None = None
    queues: list[str] = []
    vendors: list[str] = []

    _tz = field_validator("timezone")(_check_timezone)


class Ingest(_Model):
    """Where queue data comes from besides the CLI, and how long raw rows are kept."""

    channels: list[ChannelId] = []
    watch_dir: str | None = None
    watch_seconds: int = Field(default=60, ge=5)
    retention_days: int = Field(default=35, ge=1)
    # Refused before download / before decompressing: one oversized file must not stall the bot.
    max_upload_mb: int = Field(default=200, ge=1)
    max_rows: int = Field(default=5_000_000, ge=1)


class DigestOptions(_Model):
    deviation: float = Field(default=0.25, gt=0, description="flag output this far from the 7-day mean")
    top_errors: int = Field(default=5, ge=1, le=20)


class Workspace(_Model):
    """The whole workspace file; later capabilities add their own optional sections."""

    model_config = ConfigDict(extra="allow", frozen=True)

    platform: Platform = "slack"
    timezone: str
    admins: list[PersonRef] = Field(min_length=1)
    trainers: list[PersonRef] = []
    vendors: list[Vendor] = []
    queues: list[Queue] = []
    channels: list[Channel] = []
    people: list[Person] = []
    groups: list[Group] = []
    digests: list[DigestSchedule] = []
    digest: DigestOptions = DigestOptions()
    ingest: Ingest = Ingest()
    policy: PolicySettings | None = None
    platforms: list[EscalationPlatform] = []
    escalation: EscalationSettings | None = None
    sites: list[Site] = []
    training: TrainingSettings = TrainingSettings()
    sampling: SamplingSettings = SamplingSettings()
    appeals: AppealSettings | None = None

    _tz = field_validator("timezone")(_check_timezone)

    @model_validator(mode="wrap")
    @classmethod
    def _scoped(cls, data: Any, handler: ModelWrapValidatorHandler[Workspace]) -> Workspace:
        """IDs are checked against this file's platform and groups, read before the fields validate."""
        raw = data if isinstance(data, dict) else {}
        groups = raw.get("groups") if isinstance(raw.get("groups"), list) else []
        ids = frozenset(g["id"] for g in groups if isinstance(g, dict) and isinstance(g.get("id"), str))
        with checking_ids(str(raw.get("platform", "slack")), ids):
            return handler(data)

    @field_validator("groups")
    @classmethod
    def _acyclic(cls, groups: list[Group]) -> list[Group]:
        ids = [g.id for g in groups]
        if repeated := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"group ids must be unique: {', '.join(repeated)} appear more than once")
        edges = {g.id: _group_refs(g.members) for g in groups}
        if cycle := _find_cycle(edges):
            path = " → ".join(GROUP_PREFIX + g for g in cycle)
            raise ValueError(f"groups cannot contain themselves, directly or through other groups: {path}")
        return groups

    @model_validator(mode="after")
    def _references(self) -> Workspace:
        vendor_ids = [v.id for v in self.vendors]
        if len(set(vendor_ids)) != len(vendor_ids):
            raise ValueError("vendor ids must be unique")
        queue_ids = [q.id for q in self.queues]
        if len(set(queue_ids)) != len(queue_ids):
            raise ValueError("queue ids must be unique")
        for index, queue in enumerate(self.queues):
            if queue.vendor not in vendor_ids:
                raise ValueError(
                    f"queues[{index}].vendor {queue.vendor!r} is not one of the vendors {vendor_ids}"
                )
        self._check_sites()
        platform_ids = [p.id for p in self.platforms]
        if len(set(platform_ids)) != len(platform_ids):
            raise ValueError("platform ids must be unique")
        if self.escalation is not None:
            unknown = [v for v in self.escalation.vendor_channels if v not in vendor_ids]
            unknown += [q for q in self.escalation.queue_channels if q not in queue_ids]
            if unknown:
                raise ValueError(f"escalation channels name unknown vendors or queues: {', '.join(unknown)}")
        if unknown := [q for q in self.sampling.queues if q not in queue_ids]:
            raise ValueError(f"sampling.queues names unknown queues: {', '.join(unknown)}")
        if unknown := [v for v in self.sampling.vendor_channels if v not in vendor_ids]:
            raise ValueError(f"sampling.vendor_channels names unknown vendors: {', '.join(unknown)}")
        for index, entry in enumerate(self.digests):
            unknown = [q for q in entry.queues if q not in queue_ids]
            unknown += [v for v in entry.vendors if v not in vendor_ids]
            if unknown:
                raise ValueError(f"digests[{index}] names unknown queues or vendors: {', '.join(unknown)}")
        return self

    def _check_sites(self) -> None:
        """Vendors' and queues' sites must be listed, once `sites:` is given (older files have none)."""
        if not self.sites:
            return
        site_ids = [s.id for s in self.sites]
        if repeated := sorted({i for i in site_ids if site_ids.count(i) > 1}):
            raise ValueError(f"site ids must be unique: {', '.join(repeated)} appear more than once")
        for index, vendor in enumerate(self.vendors):
            if unknown := [s for s in vendor.sites if s not in site_ids]:
                raise ValueError(f"vendors[{index}].sites {unknown} are not among the sites {site_ids}")
        for index, queue in enumerate(self.queues):
            if queue.site not in site_ids:
                raise ValueError(f"queues[{index}].site {queue.site!r} is not one of the sites {site_ids}")

    def timezones(self) -> list[str]:
        """The workspace's timezone and every digest's own: daily figures are kept for each."""
        zones = [self.timezone] + [d.timezone for d in self.digests if d.timezone]
        return list(dict.fromkeys(zones))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def queue(self, queue_id: str) -> Queue | None:
        return next((q for q in self.queues if q.id == queue_id), None)

    def vendor(self, vendor_id: str) -> Vendor | None:
        return next((v for v in self.vendors if v.id == vendor_id), None)

    def site(self, site_id: str) -> Site | None:
        return next((s for s in self.sites if s.id == site_id), None)

    def platform_entry(self, platform_id: str) -> EscalationPlatform | None:
        return next((p for p in self.platforms if p.id == platform_id), None)

    def group(self, group_id: str) -> Group | None:
        return next((g for g in self.groups if g.id == group_id), None)

    def expand(self, refs: Iterable[str]) -> list[str]:
        """The user and platform usergroup IDs behind `refs`, with `group:` references expanded here."""
        found: dict[str, None] = {}
        seen: set[str] = set()  # a copied workspace skips validation: never loop

        def walk(ref: str) -> None:
            if not ref.startswith(GROUP_PREFIX):
                found[ref] = None
            elif ref not in seen:
                seen.add(ref)
                group = self.group(ref.removeprefix(GROUP_PREFIX))
                for member in group.members if group else []:
                    walk(member)

        for ref in refs:
            walk(ref)
        return list(found)

    def is_platform_group(self, ref: str) -> bool:
        """A usergroup the platform knows the members of (Slack S…); Teams has none the bot can read."""
        return self.platform == "slack" and bool(SLACK_USERGROUP.match(ref))

    def normal_user(self, user_id: str) -> str:
        """The form the file stores a user ID in: Entra object IDs lower-case."""
        return user_id.lower() if self.platform == "teams" else user_id

    def person_name(self, user_id: str) -> str | None:
        key = self.normal_user(user_id)
        return next((p.name for p in self.people if p.id == key), None)

    def channel_name(self, channel_id: str) -> str | None:
        """The listed name of a channel; a Teams thread (`<channel>;messageid=<root>`) is in its channel."""
        key = channel_id.split(";messageid=", 1)[0]
        return next((c.name for c in self.channels if c.id == key), None)

    def section(self, key: str) -> Any:
        """A later capability's own section, validated by that capability."""
        return (self.model_extra or {}).get(key)


class WorkspaceError(Exception):
    """The workspace file cannot be used; `problems` lists each one with its position."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def parse_workspace(text: str, path: Path) -> Workspace:
    try:
        return read_model(text, path, Workspace, "timezone, admins, vendors, queues")
    except YamlProblems as exc:
        raise WorkspaceError(path, exc.problems) from None


def load_workspace(path: str | Path) -> Workspace:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WorkspaceError(path, [f"{path}: cannot read the workspace file ({exc.strerror})"]) from None
    return parse_workspace(text, path)
