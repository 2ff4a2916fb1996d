"""The JSON log line: what it shows, and the per-line work it avoids (one line per request)."""

from __future__ import annotations

import json
import logging
import time

from bot.logs import JsonFormatter


def _record(created: float, **fields: object) -> logging.LogRecord:
    record = logging.LogRecord("tsqa.request", logging.INFO, "x", 0, "command %s", ("/quiz help",), None)
    record.created = created
    record.fields = fields  # type: ignore[attr-defined]
    return record


def test_time_is_formatted_once_a_second_and_each_line_shows_its_own_second(monkeypatch) -> None:
    formatter = JsonFormatter(["a-signing-secret"])
    formatted: list[float] = []
    real = formatter.formatTime

    def counted(record: logging.LogRecord, datefmt: str | None = None) -> str:
        formatted.append(record.created)
        return real(record, datefmt)

    monkeypatch.setattr(formatter, "formatTime", counted)
    start = float(int(time.time()))
    lines = [
        json.loads(formatter.format(_record(start + offset, user="U0LABEL01"))) for offset in (0.1, 0.7, 1.2)
    ]
    expected = [time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(start + s)) for s in (0, 0, 1)]
    assert [line["time"] for line in lines] == expected
    assert len(formatted) == 2
    assert lines[0] | {"time": None} == {
        "time": None,
        "level": "info",
        "logger": "tsqa.request",
        "msg": "command /quiz help",
        "user": "U0LABEL01",
    }


def test_secrets_and_tokens_are_scrubbed_from_fields() -> None:
    line = JsonFormatter(["a-signing-secret"]).format(
        _record(time.time(), note="a-signing-secret and xoxb-123-abc", when=time)
    )
    assert "a-signing-secret" not in line and "xoxb-123" not in line
    assert json.loads(line)["note"] == "[redacted] and [redacted]"
