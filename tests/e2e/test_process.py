"""The foundation's "done when", as an operator would see it: `tsqa run` as a real process against the
Slack fake answers a signed /digest help, refuses a bad signature, is healthy, and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.e2e.harness import SECRET, TOKEN, seeded_fake, texts
from tests.fakes import signing

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_tsqa_run_serves_signed_requests_and_stops_on_sigterm(workspace, tmp_path) -> None:
    fake = seeded_fake(workspace)
    await fake.start()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TSQA_"))}
    env.update(
        SLACK_API_URL=fake.api_url,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        TSQA_WORKSPACE=str(ROOT / "examples" / "workspace.yml"),
        HOST="127.0.0.1",
        PORT=str(port),
        PYTHONPATH=str(ROOT),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", cwd=tmp_path, env=env, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(150):
                try:
                    async with session.get(f"{base}/healthz") as health:
                        if health.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            assert health.status == 200
            body = signing.slash_command_body(
                "/digest",
                "help",
                "U0LABEL01",
                "C0QAOPS01",
                fake.new_response_url("C0QAOPS01", "U0LABEL01"),
                "t",
            )
            headers = signing.signed_headers(SECRET, "slash_command", body)
            async with session.post(f"{base}/slack/events", data=body, headers=headers) as response:
                assert response.status == 200
                assert "/digest [queue|vendor] [YYYY-MM-DD]" in texts((await response.json())["blocks"])
            forged = signing.signed_headers("not-the-secret", "slash_command", body)
            async with session.post(f"{base}/slack/events", data=body, headers=forged) as response:
                assert response.status == 401
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 30)
        await fake.stop()
    assert process.returncode == 0
    lines = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    assert any(line.get("kind") == "command" and line.get("id") == "/digest help" for line in lines)
    assert lines[-1]["msg"] == "stopped"
    assert TOKEN not in err.decode() and SECRET not in err.decode()
