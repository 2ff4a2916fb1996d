"""The policy library in storage: loading a folder of policy files, and reading back the versions.

Loading is per file and all-or-nothing per file: a new policy is `loaded`, a new version of a known one
`updated`, a file already stored `unchanged`, a bad one `invalid` with its line and nothing stored.
Every version is kept; which one answers depends on the day asked (`in_effect`, `upcoming`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.workspace import Workspace
from handlers.policy.library import PolicyFileError, field_line, parse_policy
from handlers.policy.model import Policy, Section
from storage.engine import Database
from storage.models import PolicySection, PolicyVersion

Status = Literal["loaded", "updated", "unchanged", "invalid"]


@dataclass(frozen=True)
class FileResult:
    """What loading one file did; `line` and `reason` only when it is invalid."""

    file: str
    status: Status
    policy_id: str | None = None
    version: str | None = None
    line: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def policy_files(folder: Path) -> list[Path]:
    """The folder's Markdown files in name order; a README describes the folder, it is no policy."""
    return sorted(p for p in folder.glob("*.md") if p.is_file() and p.stem.lower() != "readme")


async def load_dir(
    db: Database, folder: Path, now: datetime, workspace: Workspace | None = None
) -> list[FileResult]:
    """Each policy file of `folder` in its own transaction; results in file name order.

    Files are stored oldest version first (by effective date), so `spam-v2.md` beside `spam.md` makes
    version 1 "loaded" and version 2 "updated", whatever the names sort like."""
    results: dict[str, FileResult] = {}
    parsed: list[tuple[Policy, bytes]] = []
    for path in policy_files(folder):
        data = path.read_bytes()
        try:
            parsed.append((parse_policy(data, path.name, workspace), data))
        except PolicyFileError as exc:
            results[path.name] = _invalid(exc)
    for policy, data in sorted(parsed, key=lambda p: (p[0].id, p[0].effective, p[0].source)):
        results[policy.source] = await _store_once(db, policy, data, now)
    return [results[name] for name in sorted(results)]


async def load_file(
    db: Database, name: str, data: bytes, now: datetime, workspace: Workspace | None = None
) -> FileResult:
    """One file's bytes, stored in one transaction unless invalid."""
    try:
        policy = parse_policy(data, name, workspace)
    except PolicyFileError as exc:
        return _invalid(exc)
    return await _store_once(db, policy, data, now)


def _invalid(exc: PolicyFileError) -> FileResult:
    return FileResult(exc.file, "invalid", line=exc.line, reason=exc.reason)


async def _store_once(db: Database, policy: Policy, data: bytes, now: datetime) -> FileResult:
    try:
        return await _store(db, policy, data, now)
    except IntegrityError:
        # another loader stored the same version meanwhile: decide again against what it stored
        return await _store(db, policy, data, now)


async def _store(db: Database, policy: Policy, data: bytes, now: datetime) -> FileResult:
    done = FileResult(policy.source, "unchanged", policy.id, policy.version)
    async with db.transaction() as session:
        stored = await session.scalar(
            select(PolicyVersion).where(
                PolicyVersion.policy_id == policy.id, PolicyVersion.version == policy.version
            )
        )
        if stored is not None and stored.digest == policy.digest:
            return done
        if stored is not None:
            reason = (
                f"version {policy.version} of {policy.id} is already loaded with other content "
                f"(from {stored.source}): raise `version`"
            )
            return FileResult(
                policy.source, "invalid", policy.id, policy.version, field_line(data, "version"), reason
            )
        known = await session.scalar(
            select(PolicyVersion.version_id).where(PolicyVersion.policy_id == policy.id).limit(1)
        )
        await _insert(session, policy, now)
    return FileResult(policy.source, "updated" if known is not None else "loaded", policy.id, policy.version)


async def _insert(session: AsyncSession, policy: Policy, now: datetime) -> None:
    row = PolicyVersion(
        policy_id=policy.id,
        version=policy.version,
        effective=policy.effective,
        title=policy.title,
        owners=list(policy.owners),
        applies_to=list(policy.applies_to),
        link=policy.link,
        digest=policy.digest,
        source=policy.source,
        loaded_at=now,
    )
    session.add(row)
    await session.flush()
    session.add_all(
        PolicySection(
            version_id=row.version_id,
            position=position,
            anchor=s.anchor,
            heading=s.heading,
            level=s.level,
            text=s.text,
            line=s.line,
        )
        for position, s in enumerate(policy.sections)
    )


async def _policies(db: Database, *where: object) -> list[Policy]:
    """The versions matching `where`, with their sections, by policy id, then effective, then load order."""
    async with db.transaction() as session:
        rows = list(
            await session.scalars(
                select(PolicyVersion)
                .where(*where)  # type: ignore[arg-type]
                .order_by(PolicyVersion.policy_id, PolicyVersion.effective, PolicyVersion.version_id)
            )
        )
        ids = [r.version_id for r in rows]
        sections: dict[int, list[Section]] = {i: [] for i in ids}
        if ids:
            found = await session.scalars(
                select(PolicySection)
                .where(PolicySection.version_id.in_(ids))
                .order_by(PolicySection.version_id, PolicySection.position)
            )
            for s in found:
                sections[s.version_id].append(Section(s.anchor, s.heading, s.level, s.text, s.line))
    return [_policy(r, sections[r.version_id]) for r in rows]


def _policy(row: PolicyVersion, sections: Sequence[Section]) -> Policy:
    return Policy(
        id=row.policy_id,
        title=row.title,
        version=row.version,
        effective=row.effective,
        owners=tuple(row.owners),
        applies_to=tuple(row.applies_to),
        link=row.link,
        sections=tuple(sections),
        source=row.source,
        digest=row.digest,
    )


def _latest(policies: Iterable[Policy]) -> list[Policy]:
    """Per policy id, the last of its versions in (effective, load) order."""
    latest: dict[str, Policy] = {}
    for policy in policies:
        latest[policy.id] = policy
    return list(latest.values())


async def in_effect(db: Database, today: date) -> list[Policy]:
    """Per policy, the version with the latest effective date on or before `today` (the later loaded on a
    tie), by policy id; a policy whose every version is still to come is absent."""
    return _latest(await _policies(db, PolicyVersion.effective <= today))


async def upcoming(db: Database, today: date) -> list[Policy]:
    """Versions effective after `today`, by policy id then date: shown as "coming on DATE"."""
    return await _policies(db, PolicyVersion.effective > today)


async def versions(db: Database, policy_id: str) -> list[Policy]:
    """Every stored version of one policy, oldest (by effective date, then load order) first."""
    return await _policies(db, PolicyVersion.policy_id == policy_id)


async def get(db: Database, policy_id: str, version: str | None = None) -> Policy | None:
    """One version; without `version`, the newest (latest effective date, including future ones)."""
    where = [PolicyVersion.policy_id == policy_id]
    if version is not None:
        where.append(PolicyVersion.version == version)
    found = await _policies(db, *where)
    return found[-1] if found else None
