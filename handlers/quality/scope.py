"""What an error analysis covers: a queue, a vendor, a site or everything, over local days in a timezone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.workspace import Workspace

ScopeKind = Literal["all", "queue", "vendor", "site"]
DEFAULT_DAYS = 28


@dataclass(frozen=True)
class Scope:
    """`kind` names the decisions' column that must equal `id` (`all`: no filter)."""

    kind: ScopeKind = "all"
    id: str | None = None

    @classmethod
    def parse(cls, word: str | None, workspace: Workspace) -> Scope:
        """A queue id, vendor id or site name from the workspace file (in that order); None means all.
        ValueError says what is wrong and what is allowed."""
        if not word:
            return cls()
        word = word.strip()
        if word in {q.id for q in workspace.queues}:
            return cls("queue", word)
        if word in {v.id for v in workspace.vendors}:
            return cls("vendor", word)
        if word in sites(workspace):
            return cls("site", word)
        raise ValueError(
            f"{word!r} is not a queue, vendor or site in the workspace file "
            f"(queues: {', '.join(q.id for q in workspace.queues) or 'none'})"
        )

    @classmethod
    def of(cls, workspace: Workspace, *, queue: str | None, vendor: str | None, site: str | None) -> Scope:
        """From the CLI's --queue/--vendor/--site: at most one, and it must be in the workspace file."""
        given = [(k, v) for k, v in (("queue", queue), ("vendor", vendor), ("site", site)) if v]
        if len(given) > 1:
            raise ValueError("give at most one of --queue, --vendor and --site")
        if not given:
            return cls()
        kind, value = given[0]
        known = {
            "queue": {q.id for q in workspace.queues},
            "vendor": {v.id for v in workspace.vendors},
            "site": sites(workspace),
        }[kind]
        if value not in known:
            raise ValueError(
                f"{kind} {value!r} is not in the workspace file (known: {', '.join(sorted(known))})"
            )
        return cls(kind, value)  # type: ignore[arg-type]

    def describe(self) -> str:
        return "all queues" if self.kind == "all" else f"{self.kind} {self.id}"


def sites(workspace: Workspace) -> set[str]:
    return {q.site for q in workspace.queues} | {s for v in workspace.vendors for s in v.sites}


def default_period(workspace: Workspace, today: date | None = None) -> tuple[date, date]:
    """The last 28 local days, ending yesterday (today is still filling up)."""
    today = today or datetime.now(workspace.tz).date()
    return today - timedelta(days=DEFAULT_DAYS), today - timedelta(days=1)


def period_us(since: date, until: date, tz: str) -> tuple[int, int]:
    """[start, end) in UTC epoch µs of local days since..until inclusive."""
    zone = ZoneInfo(tz)

    def midnight(day: date) -> int:
        local = datetime(day.year, day.month, day.day, tzinfo=zone)
        return int(local.astimezone(UTC).timestamp()) * 1_000_000

    return midnight(since), midnight(until + timedelta(days=1))


def kept_since(workspace: Workspace, since: date, today: date) -> tuple[date, date | None]:
    """`since`, or the first local day whose raw decisions are still kept (today − retention_days) when
    it asks for earlier ones, with the day asked for (None when nothing was clamped): a report must not
    say 1 Aug over the 35 days the store still holds."""
    first = today - timedelta(days=workspace.ingest.retention_days)
    return (first, since) if since < first else (since, None)
