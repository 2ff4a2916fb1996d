"""The digest's command line: ingest with clear refusals, JSON output, the digest from a file."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from handlers.queue_data.generate import generate_backlog, generate_decisions

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "TSQA_WORKSPACE": str(ROOT / "examples" / "workspace.yml"),
    }


@pytest.fixture
def start(workspace) -> date:
    """The files' first day: ten local days ago, well inside the raw decisions' retention, since
    `tsqa ingest` stamps rows with the real clock and counts older ones as expired, not already stored."""
    return datetime.now(workspace.tz).date() - timedelta(days=10)


@pytest.fixture
def files(workspace, start: date, tmp_path: Path) -> tuple[Path, Path]:
    decisions = tmp_path / "decisions.csv"
    generate_decisions(workspace, start, 4, seed=11, scale=0.1).to_csv(decisions, index=False)
    backlog = tmp_path / "backlog.csv"
    generate_backlog(workspace, start, 4, seed=11).to_csv(backlog, index=False)
    return decisions, backlog


def run(env: dict[str, str], *args: str):
    return CliRunner().invoke(app, list(args), env=env)


def test_ingest_then_digest_json_equals_from_file(env, files, start: date) -> None:
    decisions, backlog = files
    day = (start + timedelta(days=2)).isoformat()
    first = run(env, "ingest", "decisions", str(decisions), "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)["files"][0]
    assert report["ok"] and report["stored"] == report["total"] > 0
    again = json.loads(run(env, "ingest", "decisions", str(decisions), "--json").stdout)["files"][0]
    assert again["stored"] == 0 and again["already"] == report["total"]
    assert run(env, "ingest", "backlog", str(backlog)).exit_code == 0
    stored = json.loads(run(env, "digest", "--date", day, "--json").stdout)
    direct = json.loads(run(env, "digest", "--date", day, "--from-file", str(decisions), "--json").stdout)
    assert set(stored) == {"date", "timezone", "queues", "vendors", "sites", "overall", "overturned"}
    assert stored["overturned"] == direct["overturned"] == 0  # no appeal was decided
    for key in ("queues", "vendors", "sites", "overall"):
        without_backlog = json.loads(json.dumps(stored[key]))
        for entry in without_backlog if isinstance(without_backlog, list) else [without_backlog]:
            entry["backlog"] = entry["oldest_age_seconds"] = None
        assert without_backlog == direct[key]


def test_refused_file_lists_lines_and_exits_non_zero(env, files) -> None:
    decisions, _ = files
    lines = decisions.read_text().splitlines()
    lines[2] = lines[2].replace("hate-en", "no-such-queue", 1)
    bad = decisions.with_name("bad.csv")
    bad.write_text("\n".join(lines) + "\n")
    result = run(env, "ingest", "decisions", str(bad))
    assert result.exit_code == 1
    assert (
        "refused, nothing stored" in result.stderr
        and "line 3: queue is not in the workspace file" in result.stderr
    )
    as_json = json.loads(run(env, "ingest", "decisions", str(bad), "--json").stdout)["files"][0]
    assert as_json["ok"] is False and as_json["problems"] == [
        {"line": 3, "reason": "queue is not in the workspace file"}
    ]
    skipped = run(env, "ingest", "decisions", str(bad), "--skip-invalid", "--json")
    assert skipped.exit_code == 0
    assert Path(json.loads(skipped.stdout)["files"][0]["rejected_file"]).exists()


def test_digest_rejects_unknown_queue_and_bad_date(env) -> None:
    assert "unknown queue ids" in run(env, "digest", "--queue", "nope", "--date", "2026-11-12").stderr
    assert run(env, "digest", "--date", "12/11/2026").exit_code == 2


def test_check_config_reports_problems_as_json(tmp_path: Path) -> None:
    bad = tmp_path / "w.yml"
    bad.write_text("timezone: Nowhere/Land\nadmins: []\n")
    result = CliRunner().invoke(app, ["check-config", "--json"], env={"TSQA_WORKSPACE": str(bad)})
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert any("timezone: unknown timezone" in p for p in problems)
    assert any("admins: List should have at least 1 item" in p for p in problems)
