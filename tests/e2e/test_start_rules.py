"""When `tsqa run` may start the local workspace (no login: whoever reaches it acts as anyone): only with no
Slack variable at all or with --local, only on loopback, and never on a DATABASE_URL chosen for Slack."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bot.cli
from bot.config import Settings
from bot.local.run import LocalRun, PublicHostError
from bot.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE_FILE = str(ROOT / "examples" / "workspace.yml")
_OURS = ("SLACK_", "TEAMS_", "TSQA_", "HOST", "PORT", "DATABASE_URL", "LOG_LEVEL")
TEAMS_FILE = str(ROOT / "examples" / "workspace-teams.yml")


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """A clean environment in an empty folder; records why the local workspace would start, not serving."""
    for name in list(os.environ):
        if name.startswith(_OURS):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TSQA_WORKSPACE", WORKSPACE_FILE)
    monkeypatch.chdir(tmp_path)
    reasons: list[str] = []
    monkeypatch.setattr(bot.cli, "_run_local", lambda _settings, _workspace, reason: reasons.append(reason))
    return reasons


def tsqa_run(*args: str, **env: str):
    return CliRunner().invoke(bot.cli.app, ["run", *args], env=env)


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"SLACK_SIGNING_SECRET": "s3cret"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_API_URL": "http://127.0.0.1:9/api/"}, "SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET"),
        ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": "s3cret"}, "SLACK_BOT_TOKEN"),
    ],
)
def test_any_slack_variable_means_slack_and_a_missing_one_exits_2(started, env, missing) -> None:
    result = tsqa_run(**env)
    assert result.exit_code == 2 and started == []
    assert f"missing {missing}" in result.output
    assert "local workspace does not start" in result.output


def test_an_empty_slack_variable_is_named_as_set_but_empty(started) -> None:
    result = tsqa_run(SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET="s3cret")
    assert result.exit_code == 2 and "SLACK_BOT_TOKEN set but empty" in result.output


def test_no_slack_variable_at_all_starts_the_local_workspace(started) -> None:
    assert tsqa_run().exit_code == 0
    assert started == [
        "no Slack variable set (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, SLACK_API_URL)"
    ]


def test_no_local_makes_a_missing_credential_an_error(started) -> None:
    result = tsqa_run(TSQA_NO_LOCAL="1")
    assert result.exit_code == 2 and started == []
    assert "missing SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET" in result.output


@pytest.mark.parametrize("where", ["env", ".env"])
def test_a_chosen_database_without_slack_is_refused_unless_local(started, tmp_path: Path, where) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'production.db'}"
    env = {"DATABASE_URL": url} if where == "env" else {}
    if where == ".env":
        (tmp_path / ".env").write_text(f"DATABASE_URL={url}\n")
    refused = tsqa_run(**env)
    assert refused.exit_code == 2 and started == []
    assert "DATABASE_URL is set but no Slack variable is" in refused.output
    assert "tsqa run --local" in refused.output
    assert tsqa_run("--local", **env).exit_code == 0 and started == ["--local"]
    assert not (tmp_path / "production.db").exists()


@pytest.mark.parametrize("args", [(), ("--local",)])
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "tsqa.example.com"])
def test_a_public_host_is_refused_for_the_local_workspace(started, args, host) -> None:
    result = tsqa_run(*args, HOST=host)
    assert result.exit_code == 2 and started == []
    assert f"HOST={host} is not a loopback address" in result.output and "no login" in result.output


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_a_loopback_host_is_kept(started, host) -> None:
    assert tsqa_run(HOST=host).exit_code == 0 and len(started) == 1


def test_local_run_itself_refuses_a_public_host(workspace: Workspace, tmp_path: Path) -> None:
    """Whoever builds a LocalRun without the command's checks still gets loopback or nothing."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(PublicHostError):
        LocalRun(Settings(host="0.0.0.0", database_url=url, _env_file=None), workspace)
    run = LocalRun(Settings(database_url=url, _env_file=None), workspace)
    assert run.settings.host == "127.0.0.1" and run.url.startswith("http://127.0.0.1:")


# ----- as a real process -----


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _process_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    return {**env, "TSQA_WORKSPACE": WORKSPACE_FILE, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", **extra}


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_tsqa_run_with_a_secret_but_no_token_exits_2_and_never_listens(tmp_path: Path) -> None:
    port = _free_port()
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env=_process_env(SLACK_SIGNING_SECRET="a-secret-that-mounted", HOST="0.0.0.0", PORT=str(port)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "missing SLACK_BOT_TOKEN" in result.stderr and "Local workspace" not in result.stderr
    assert not _port_open(port) and not (tmp_path / "tsqa.db").exists()


def test_tsqa_run_with_a_database_in_dotenv_and_no_slack_exits_2(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"DATABASE_URL=sqlite+aiosqlite:///{tmp_path / 'prod.db'}\n")
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env=_process_env(PORT=str(_free_port())),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--local" in result.stderr
    assert not (tmp_path / "prod.db").exists()


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "TEAMS_APP_ID, TEAMS_APP_PASSWORD, TEAMS_TENANT_ID"),
        (
            {"TEAMS_APP_ID": "5f1c2d3e-4b5a-4697-8a8b-9c0d1e2f3a4b", "TEAMS_APP_PASSWORD": ""},
            "TEAMS_APP_PASSWORD",
        ),
        # The SDK's own generic variables never stand in for the bot's.
        ({"CLIENT_ID": "x", "CLIENT_SECRET": "y", "TENANT_ID": "z"}, "TEAMS_APP_ID"),
    ],
)
def test_a_teams_workspace_needs_the_teams_variables_and_never_starts_the_local_one(
    started: list[str], env: dict[str, str], missing: str
) -> None:
    result = tsqa_run(TSQA_WORKSPACE=TEAMS_FILE, **env)
    assert result.exit_code == 2
    assert f"missing {missing}" in result.output or missing in result.output
    assert "Connecting to Teams" in result.output
    assert started == []
    local = tsqa_run("--local", TSQA_WORKSPACE=TEAMS_FILE)
    assert local.exit_code == 2 and "plays Slack" in local.output
    assert started == []
