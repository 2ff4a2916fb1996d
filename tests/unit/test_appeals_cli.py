"""`tsqa appeals report`: JSON with the figures counted by hand, the default period, a vendor's scope,
the text lines, and exit 2 with what is wrong."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import insert
from typer.testing import CliRunner

from bot.workspace import Workspace
from handlers.appeals.cli import register
from storage.engine import Database
from storage.migrate import run_on_database
from storage.models.appeals import Appeal
from storage.models.digest import Decision
from tests.unit.cli_fixtures import tsqa_app, tsqa_env

# (queue, vendor, auditor, appeal status or None, hours to decide); all disagreements.
ROWS = [
    ("hate-en", "northwind", "qa-01", "overturned", 4.0),
    ("hate-en", "northwind", "qa-01", "upheld", 10.0),
    ("hate-en", "northwind", "qa-01", None, None),
    ("spam-pt", "northwind", "qa-02", "open", None),
    ("graphic-img", "bluebird", "qa-03", "upheld", 7.0),
    ("graphic-img", "bluebird", "qa-03", None, None),
]


@pytest.fixture
def app() -> typer.Typer:
    return tsqa_app(register)


@pytest.fixture
def env(workspace: Workspace, tmp_path: Path) -> dict[str, str]:
    """The ROWS completed yesterday at noon local time, with their appeals, in a SQLite file."""
    yesterday = datetime.now(workspace.tz).date() - timedelta(days=1)
    noon = datetime(yesterday.year, yesterday.month, yesterday.day, 12, tzinfo=workspace.tz)
    decisions, appeals = [], []
    for index, (queue, vendor, auditor, status, hours) in enumerate(ROWS):
        at = noon + timedelta(minutes=index)
        us = int(at.timestamp() * 1_000_000)
        item = f"item-{index:03d}"
        decisions.append(
            dict(completed_us=us, queue=queue, item_id=item, enqueued_us=us - 1, labeler_id="lab-001",
                 vendor=vendor, site="lisbon", handle_seconds=20.0, decision="allow", qa_decision="remove",
                 qa_auditor=auditor, audited_us=us + 1)
        )  # fmt: skip
        if status is not None:
            filed = at.astimezone(UTC) + timedelta(hours=1)
            appeals.append(
                dict(completed_us=us, queue=queue, item_id=item, labeler_id="lab-001", vendor=vendor,
                     site="lisbon", decision="allow", qa_decision="remove", qa_auditor=auditor,
                     audited_at=filed, user_id="U0LABEL01", reason="allowed by 2.1", policy_section="2.1",
                     filed_at=filed, due_at=filed + timedelta(days=3), status=status,
                     decided_at=None if hours is None else filed + timedelta(hours=hours))
            )  # fmt: skip
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    async def store(db: Database) -> None:
        async with db.transaction() as session:
            await session.execute(insert(Decision), decisions)
            await session.execute(insert(Appeal), appeals)

    run_on_database(url, store)
    return tsqa_env(url)


def run(app: typer.Typer, env: dict[str, str], *args: str):
    return CliRunner().invoke(app, ["appeals", "report", *args], env=env)


def test_json_over_the_default_period(app, env, workspace: Workspace) -> None:
    result = run(app, env, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    today = datetime.now(workspace.tz).date()
    assert (data["since"], data["until"]) == ((today - timedelta(days=27)).isoformat(), today.isoformat())
    overall = data["overall"]
    assert (overall["appealable"], overall["appeals"], overall["open"], overall["upheld"]) == (6, 4, 1, 2)
    assert overall["overturned"] == 1 and overall["decided"] == 3
    assert overall["appeal_rate"]["value"] == pytest.approx(4 / 6)
    assert overall["overturn_rate"]["value"] == pytest.approx(1 / 3)
    assert overall["median_hours_to_decide"] == pytest.approx(7.0)
    auditors = {g["key"]: g for g in data["auditor"]}
    assert auditors["qa-01"]["median_hours_to_decide"] == pytest.approx(7.0)  # (4 + 10) / 2
    assert auditors["qa-02"]["overturn_rate"]["value"] is None
    assert not any(g["flagged"] for g in data["auditor"])


def test_a_vendor_and_a_period_before_the_rows(app, env, workspace: Workspace) -> None:
    data = json.loads(run(app, env, "--vendor", "bluebird", "--json").stdout)
    assert data["vendors"] == ["bluebird"]
    assert (data["overall"]["appealable"], data["overall"]["appeals"]) == (2, 1)
    assert [g["key"] for g in data["auditor"]] == ["qa-03"]
    before = datetime.now(workspace.tz).date() - timedelta(days=2)
    data = json.loads(run(app, env, "--until", before.isoformat(), "--json").stdout)
    assert data["overall"]["appealable"] == 0 and data["overall"]["appeal_rate"]["value"] is None
    assert data["since"] == (before - timedelta(days=27)).isoformat()


def test_text_names_vendors_and_queues(app, env) -> None:
    result = run(app, env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Appeals, decisions completed")
    assert "  Overall: 4 appeals of 6 appealable, rate 66.7% (" in result.stdout
    assert "Northwind" in result.stdout and "Calibration candidates: 0" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-13-01"], "--since '2026-13-01' is not a date like 2026-11-01"),
        (["--until", "yesterday"], "--until 'yesterday' is not a date like 2026-11-01"),
        (
            ["--since", "2026-11-10", "--until", "2026-11-01"],
            "--since 2026-11-10 is after --until 2026-11-01",
        ),
        (["--vendor", "nope"], "vendor 'nope' is not in the workspace file"),
    ],
)
def test_wrong_commands_exit_2_saying_what_is_wrong(app, env, args: list[str], message: str) -> None:
    result = run(app, env, *args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())


def test_dates_are_read_as_given(app, env) -> None:
    data = json.loads(run(app, env, "--since", "2026-11-01", "--until", "2026-11-02", "--json").stdout)
    assert (date.fromisoformat(data["since"]), date.fromisoformat(data["until"])) == (
        date(2026, 11, 1),
        date(2026, 11, 2),
    )
