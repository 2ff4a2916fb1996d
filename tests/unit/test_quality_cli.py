"""`tsqa quality report`: JSON equal to the analysis, the CSV and charts written, the default period,
and exit 2 with what is wrong."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from bot.workspace import Workspace
from handlers.quality.analysis import analyse
from handlers.quality.cli import register
from handlers.quality.scope import Scope
from handlers.queue_data.frames import read_decisions
from handlers.queue_data.generate import generate_decisions
from storage.engine import Database
from storage.migrate import run_on_database
from storage.queue_data import store_decisions
from tests.unit.cli_fixtures import tsqa_app, tsqa_env


@pytest.fixture
def app() -> typer.Typer:
    return tsqa_app(register)


@pytest.fixture
def stored(workspace: Workspace, tmp_path: Path) -> tuple[dict[str, str], object]:
    """Five weeks of decisions ending yesterday, stored; the env and the typed table."""
    today = datetime.now(workspace.tz).date()
    frame = generate_decisions(workspace, today - timedelta(days=35), 35, seed=5, scale=0.2)
    buffer = io.BytesIO()
    frame.to_csv(buffer, index=False)
    buffer.seek(0)
    table = read_decisions(buffer, workspace.timezone)
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    async def store(db: Database) -> None:
        async with db.transaction() as session:
            await store_decisions(session, table)

    run_on_database(url, store)
    env = tsqa_env(url)
    return env, table


def run(app: typer.Typer, env: dict[str, str], *args: str):
    return CliRunner().invoke(app, ["quality", "report", *args], env=env)


def test_json_equals_the_analysis_over_the_default_period(app, stored, workspace: Workspace) -> None:
    env, table = stored
    result = run(app, env, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    today = datetime.now(workspace.tz).date()
    since, until = today - timedelta(days=28), today - timedelta(days=1)
    assert (data["since"], data["until"]) == (since.isoformat(), until.isoformat())
    expected = analyse(table, workspace, scope=Scope(), since=since, until=until, tz=workspace.timezone)
    assert data == json.loads(json.dumps(expected.as_dict()))
    assert data["groups"][-1]["level"] == "overall" and data["groups"][-1]["audited"] > 500


def test_scope_csv_and_charts(app, stored, workspace: Workspace, tmp_path: Path) -> None:
    env, table = stored
    out, charts = tmp_path / "errors.csv", tmp_path / "charts"
    until = datetime.now(workspace.tz).date() - timedelta(days=2)
    since = until - timedelta(days=13)
    args = ["--vendor", "northwind", "--since", since.isoformat(), "--until", until.isoformat()]
    result = run(app, env, *args, "--csv", str(out), "--chart-dir", str(charts))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Quality for vendor northwind, {since} to {until}")
    expected = analyse(
        table, workspace, scope=Scope("vendor", "northwind"), since=since, until=until, tz=workspace.timezone
    )
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == expected.overall.errors  # type: ignore[union-attr]
    assert {r["vendor"] for r in rows} == {"northwind"}
    pngs = sorted(p.name for p in charts.iterdir())
    assert "confusion-hate-en.png" in pngs and "trend-overall-northwind.png" in pngs
    assert "confusion-graphic-img.png" not in pngs
    assert all((charts / name).read_bytes().startswith(b"\x89PNG") for name in pngs)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--queue", "nope"], "queue 'nope' is not in the workspace file"),
        (["--queue", "hate-en", "--site", "lisbon"], "at most one of --queue, --vendor and --site"),
        (["--since", "2026-13-01"], "--since '2026-13-01' is not a date like 2026-11-01"),
        (
            ["--since", "2026-11-10", "--until", "2026-11-01"],
            "--since 2026-11-10 is after --until 2026-11-01",
        ),
    ],
)
def test_wrong_commands_exit_2_saying_what_is_wrong(app, stored, args: list[str], message: str) -> None:
    env, _ = stored
    result = run(app, env, *args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())


def test_until_alone_means_the_28_days_to_it(app, stored, workspace: Workspace) -> None:
    """An --until inside the kept days (relative to today: the CLI clamps to the days still kept)."""
    env, _ = stored
    until = datetime.now(workspace.tz).date() - timedelta(days=2)
    data = json.loads(run(app, env, "--until", until.isoformat(), "--json").stdout)
    assert (data["since"], data["until"]) == ((until - timedelta(days=27)).isoformat(), until.isoformat())
    assert data["clamped_from"] is None
    assert pd.Timestamp(data["until"]) - pd.Timestamp(data["since"]) == pd.Timedelta(days=27)


def test_since_before_the_kept_decisions_starts_on_the_first_kept_day_and_says_so(
    app, stored, workspace: Workspace
) -> None:
    """Raw decisions are kept ingest.retention_days: a report from 1 Aug covers only those, and says so."""
    env, table = stored
    today = datetime.now(workspace.tz).date()
    first = today - timedelta(days=workspace.ingest.retention_days)
    asked = (today - timedelta(days=120)).isoformat()
    data = json.loads(run(app, env, "--since", asked, "--json").stdout)
    assert (data["since"], data["clamped_from"]) == (first.isoformat(), asked)
    expected = analyse(table, workspace, scope=Scope(), since=first, until=today - timedelta(days=1),
                       tz=workspace.timezone)  # fmt: skip
    assert data["groups"] == json.loads(json.dumps(expected.as_dict()))["groups"]
    text = run(app, env, "--since", asked)
    assert f"raw decisions are kept 35 days: the report starts on {first}" in text.stdout, text.stdout
    inside = json.loads(run(app, env, "--since", first.isoformat(), "--json").stdout)
    assert (inside["since"], inside["clamped_from"]) == (first.isoformat(), None)
    gone = run(app, env, "--since", asked, "--until", (first - timedelta(days=1)).isoformat())
    assert gone.exit_code == 2 and "the first day still kept" in " ".join(gone.stderr.split())


@pytest.mark.parametrize("scope", [Scope("queue", "spam-pt"), Scope("site", "lisbon"), Scope()])
def test_the_chat_csv_line_writes_the_same_csv(
    app, stored, workspace: Workspace, tmp_path: Path, scope
) -> None:
    """Where chat cannot attach the CSV it gives a command instead: that command writes the very bytes
    chat would have attached (the report's scope and both ends of its period)."""
    from handlers.quality.export import errors_csv
    from handlers.quality.routes import csv_command

    env, table = stored
    until = datetime.now(workspace.tz).date() - timedelta(days=3)
    since = until - timedelta(days=9)
    report = analyse(table, workspace, scope=scope, since=since, until=until, tz=workspace.timezone)
    line = csv_command(report)
    assert line.startswith("quality report") and line.endswith("--csv FILE"), line
    out = tmp_path / "errors.csv"
    args = line.removeprefix("quality report").replace("FILE", str(out)).split()
    assert run(app, env, *args).exit_code == 0
    chat = errors_csv(table, workspace, scope=scope, since=since, until=until, tz=workspace.timezone)
    assert out.read_bytes() == chat and chat.count(b"\n") > 1
