"""The foundation's "done when", as an operator would see it: `tsqa run` as a real process against the
Slack fake answers a signed /digest help, refuses a bad signature, is healthy, and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal

import aiohttp

from tests.e2e.harness import SECRET, TOKEN, seeded_fake, texts
from tests.e2e.processes import ROOT, start_bot
from tests.fakes import signing


async def test_tsqa_run_serves_signed_requests_and_stops_on_sigterm(workspace, tmp_path) -> None:
    fake = seeded_fake(workspace)
    await fake.start()
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    bot = await start_bot(fake, url, tmp_path, ROOT / "examples" / "workspace.yml")
    base = bot.base
    process = bot.process
    try:
        await bot.healthy()
        async with aiohttp.ClientSession() as session:
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
