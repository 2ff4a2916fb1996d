"""The policy library in storage, on SQLite and PostgreSQL: per-file statuses, every version kept, the
version in effect by date, and nothing stored from a bad file."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.workspace import Workspace
from handlers.policy import store
from handlers.policy.model import Policy
from storage.engine import Database
from storage.models import PolicySection, PolicyVersion

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def policy(
    version: str, effective: str, body: str = "## Repeated posts\nLabel as spam.\n", pid: str = "spam"
) -> str:
    return (
        f"---\nid: {pid}\ntitle: Spam\nversion: {version}\neffective: {effective}\nowners: [U0QALEAD1]\n---\n"
        f"# Spam\nUnwanted bulk content.\n{body}"
    )


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)


async def load(db: Database, folder: Path) -> dict[str, str]:
    return {r.file: r.status for r in await store.load_dir(db, folder, NOW)}


async def counts(db: Database) -> tuple[int, int]:
    async with db.transaction() as session:
        versions = await session.scalar(select(func.count()).select_from(PolicyVersion))
        sections = await session.scalar(select(func.count()).select_from(PolicySection))
    return versions or 0, sections or 0


async def test_new_changed_unchanged_and_invalid_files(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    write(folder, "spam.md", policy("1", "2026-01-01"))
    write(folder, "notes.txt", "not a policy file")
    write(folder, "README.md", "# About this folder\n")
    assert await load(db, folder) == {"spam.md": "loaded"}
    assert await load(db, folder) == {"spam.md": "unchanged"}
    write(folder, "spam-v2.md", policy("2", "2026-06-01", "## Repeated posts\nLabel as spam, then warn.\n"))
    write(folder, "broken.md", policy("1", "someday", pid="harassment"))
    results = {r.file: r for r in await store.load_dir(db, folder, NOW)}
    assert {name: r.status for name, r in results.items()} == {
        "broken.md": "invalid",
        "spam-v2.md": "updated",
        "spam.md": "unchanged",
    }
    assert (results["broken.md"].line, "not a date" in (results["broken.md"].reason or "")) == (5, True)
    assert [(p.version, p.source) for p in await store.versions(db, "spam")] == [
        ("1", "spam.md"),
        ("2", "spam-v2.md"),
    ]
    assert await counts(db) == (2, 4)


async def test_an_older_version_beside_a_newer_one_is_loaded_first(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    write(folder, "a-spam-new.md", policy("2", "2026-06-01", "## Changed\nNew text.\n"))
    write(folder, "b-spam-old.md", policy("1", "2026-01-01"))
    assert await load(db, folder) == {"a-spam-new.md": "updated", "b-spam-old.md": "loaded"}


async def test_a_version_reused_with_other_content_is_invalid_and_stores_nothing(
    db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "policies"
    write(folder, "spam.md", policy("2", "2026-01-01"))
    await load(db, folder)
    write(folder, "spam.md", policy("2", "2026-01-01", "## Repeated posts\nEdited without a new version.\n"))
    [result] = await store.load_dir(db, folder, NOW)
    assert (result.status, result.line) == ("invalid", 4)
    assert result.reason and result.reason.startswith(
        "version 2 of spam is already loaded with other content"
    )
    assert "raise `version`" in result.reason
    assert await counts(db) == (1, 2)
    stored = await store.get(db, "spam", "2")
    assert stored is not None and "Label as spam." in stored.sections[-1].text


async def test_a_file_that_fails_while_storing_leaves_nothing_behind(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sections are written after their version row: a failure after both rolls both back."""
    folder = tmp_path / "policies"
    write(folder, "spam.md", policy("1", "2026-01-01"))
    original = store._insert

    async def failing(session: AsyncSession, stored: Policy, now: datetime) -> None:
        await original(session, stored, now)
        await session.flush()
        raise RuntimeError("disk full after the sections")

    monkeypatch.setattr(store, "_insert", failing)
    with pytest.raises(RuntimeError):
        await store.load_dir(db, folder, NOW)
    assert await counts(db) == (0, 0)
    monkeypatch.undo()
    assert await load(db, folder) == {"spam.md": "loaded"}
    assert await counts(db) == (1, 2)


async def test_in_effect_and_upcoming_follow_the_day_asked(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    write(folder, "spam-1.md", policy("1", "2026-01-01"))
    write(folder, "spam-2.md", policy("2", "2026-06-01", "## Changed\nNew.\n"))
    write(folder, "spam-3.md", policy("3", "2027-01-01", "## Changed\nNewer.\n"))
    write(folder, "ncii.md", policy("1", "2026-12-15", pid="ncii"))
    await load(db, folder)

    async def state(day: date) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        current = [(p.id, p.version) for p in await store.in_effect(db, day)]
        return current, [(p.id, p.version) for p in await store.upcoming(db, day)]

    assert await state(date(2025, 12, 31)) == (
        [],
        [("ncii", "1"), ("spam", "1"), ("spam", "2"), ("spam", "3")],
    )
    assert await state(date(2026, 5, 31)) == ([("spam", "1")], [("ncii", "1"), ("spam", "2"), ("spam", "3")])
    assert await state(date(2026, 6, 1)) == ([("spam", "2")], [("ncii", "1"), ("spam", "3")])
    assert await state(date(2027, 1, 1)) == ([("ncii", "1"), ("spam", "3")], [])
    newest = await store.get(db, "spam")
    assert newest is not None and newest.version == "3"
    assert await store.get(db, "spam", "9") is None and await store.get(db, "unknown") is None


async def test_a_tie_on_the_effective_date_goes_to_the_later_load(db: Database, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write(first, "spam.md", policy("2026a", "2026-06-01"))
    write(second, "spam.md", policy("2026b", "2026-06-01", "## Changed\nReplaced the same day.\n"))
    await load(db, first)
    await load(db, second)
    [current] = await store.in_effect(db, date(2026, 7, 1))
    assert current.version == "2026b"


async def test_a_stored_version_reads_back_whole(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    text = policy("1", "2026-01-01").replace("owners: [U0QALEAD1]", "owners: [U0QALEAD1, group:leads]")
    write(
        folder,
        "spam.md",
        text.replace("---\n#", "applies_to: [spam-pt]\nlink: https://policies.example.com/spam\n---\n#"),
    )
    await load(db, folder)
    stored = await store.get(db, "spam", "1")
    assert stored is not None
    assert (stored.owners, stored.applies_to, stored.link) == (
        ("U0QALEAD1", "group:leads"),
        ("spam-pt",),
        "https://policies.example.com/spam",
    )
    assert [(s.anchor, s.level, s.line) for s in stored.sections] == [
        ("spam", 1, 10),
        ("repeated-posts", 2, 12),
    ]
    assert stored.effective == date(2026, 1, 1) and len(stored.digest) == 64


async def test_the_example_library_loads_against_the_example_workspace(
    db: Database, workspace: Workspace
) -> None:
    results = await store.load_dir(db, ROOT / "examples" / "policies", NOW, workspace)
    assert results and [r for r in results if r.status == "invalid"] == []
    assert {r.status for r in await store.load_dir(db, ROOT / "examples" / "policies", NOW, workspace)} == {
        "unchanged"
    }
    current = await store.in_effect(db, date(2030, 1, 1))
    kept = {p.id: len(await store.versions(db, p.id)) for p in current}
    assert len(kept) == len({r.policy_id for r in results}) and max(kept.values()) > 1
