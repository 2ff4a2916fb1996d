"""The request path's own work, over real signed HTTP: what needs no handler is answered in the ack
with no background task, and still logged once."""

from __future__ import annotations

import logging

import pytest

from tests.e2e.harness import running_bot, settled, texts


@pytest.mark.parametrize(
    ("command", "text", "outcome", "shown"),
    [
        ("/quiz", "help", "help", "*/quiz*"),
        ("/escalate", "?", "help", "*/escalate*"),
    ],
)
async def test_answers_that_need_no_handler_start_no_background_work(
    workspace, sqlite_db, caplog, monkeypatch, command, text, outcome, shown
) -> None:
    caplog.set_level(logging.INFO, logger="tsqa.request")
    quiet = workspace.model_copy(update={"digests": []})  # no digest falls due mid-test on the real clock
    async with running_bot(quiet, str(sqlite_db.url)) as (bot, slack):
        await settled(bot)  # start-up work is done
        spawned: list[str] = []
        background = bot.services.background
        spawn = background.spawn

        def counted(coro, name="work"):  # noqa: ANN001, ANN202
            spawned.append(name)
            return spawn(coro, name)

        monkeypatch.setattr(background, "spawn", counted)
        reply = await slack.command(command, text)
        assert reply.status == 200
        body = reply.json()
        assert body["response_type"] == "ephemeral" and shown in texts(body["blocks"])
        assert spawned == []
    lines = [r.fields for r in caplog.records if r.name == "tsqa.request"]
    assert [(f["kind"], f["outcome"], f["user"]) for f in lines] == [("command", outcome, "U0LABEL01")]
