"""`tsqa run` as a real process against the Slack fake: for the faults only a process shows (SIGKILL,
SIGTERM mid-post, two replicas on one database)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bot.local.webapi import SlackWebAPI
from tests.e2e.harness import SECRET, TOKEN

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def workspace_file(folder: Path, **changes: Any) -> Path:
    """The example workspace with some keys replaced (e.g. `digests`), written where a process reads it."""
    data = yaml.safe_load((ROOT / "examples" / "workspace.yml").read_text())
    data.update(changes)
    path = folder / "workspace.yml"
    path.write_text(yaml.safe_dump(data))
    return path


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    base: str

    @property
    def pid(self) -> int:
        return self.process.pid

    async def healthy(self, timeout: float = 20.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    async with session.get(f"{self.base}/healthz") as health:
                        if health.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if self.process.returncode is not None or asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"the bot process did not become healthy: {await self.stderr()}")
                await asyncio.sleep(0.1)

    async def stderr(self) -> str:
        if self.process.returncode is None:
            return "(still running)"
        assert self.process.stderr is not None
        return (await self.process.stderr.read()).decode(errors="replace")[-4000:]

    async def wait(self, timeout: float = 30.0) -> int:
        await asyncio.wait_for(self.process.wait(), timeout)
        assert self.process.returncode is not None
        return self.process.returncode


async def start_bot(
    fake: SlackWebAPI, database_url: str, folder: Path, workspace: Path, **env: str
) -> BotProcess:
    """One `tsqa run` in HTTP mode with its own port; `env` adds variables (e.g. a short lease)."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TSQA_"))}
    environment.update(
        SLACK_API_URL=fake.api_url,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        DATABASE_URL=database_url,
        TSQA_WORKSPACE=str(workspace),
        HOST="127.0.0.1",
        PORT=str(port),
        PYTHONPATH=str(ROOT),
        **env,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", cwd=folder, env=environment, stderr=subprocess.PIPE
    )
    return BotProcess(process, f"http://127.0.0.1:{port}")
