"""`tsqa run` as a process: without Slack credentials it serves the local workspace and stops on SIGTERM;
with TSQA_NO_LOCAL it keeps the old exit."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.unit.local_workspace_harness import ROOT

# ----- the command -----


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    """No DATABASE_URL: a chosen database without Slack credentials is refused; the default lands in cwd."""
    ours = ("SLACK_", "TSQA_", "HOST", "PORT", "DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.update(
        TSQA_WORKSPACE=str(ROOT / "examples" / "workspace.yml"),
        PORT=str(port),
        LOG_LEVEL="WARNING",
        **extra,
    )
    return env


def test_tsqa_run_without_credentials_serves_the_local_workspace(tmp_path: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env={**_env(tmp_path, port), "PYTHONPATH": str(ROOT)},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        page = ""
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                    sock.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                    page = sock.makefile("rb").read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert "200 OK" in page and "local workspace" in page
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert f"http://127.0.0.1:{port}" in err and "no Slack variable set" in err
    assert (tmp_path / "tsqa.db").exists()


def test_tsqa_no_local_keeps_the_old_exit(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env={**_env(tmp_path, _free_port(), TSQA_NO_LOCAL="1"), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "SLACK_BOT_TOKEN" in result.stderr
