"""Logging: one structured JSON line per handled request, with secrets scrubbed from every line."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any

_TOKEN = re.compile(r"xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")

requests_log = logging.getLogger("tsqa.request")


class JsonFormatter(logging.Formatter):
    """Formats a record as JSON, then removes tokens and configured secrets from the whole line,
    tracebacks included."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 6]

    def redact(self, line: str) -> str:
        line = _TOKEN.sub("[redacted]", line)
        for secret in self.secrets:
            line = line.replace(secret, "[redacted]")
        return line

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update(getattr(record, "fields", {}))
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(data, default=str))


def setup_logging(level: str, secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiohttp.access", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # The JSON line shows none of these; collecting them costs more than formatting the line (the
    # logging HOWTO's "Optimization" section). _srcfile = None skips the caller's frame lookup.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False


def log_request(
    kind: str, name: str, user: str | None, latency_ms: float, outcome: str, **extra: Any
) -> None:
    fields = {"kind": kind, "id": name, "user": user, "latency_ms": round(latency_ms, 1), "outcome": outcome}
    requests_log.info("%s %s %s", kind, name, outcome, extra={"fields": {**fields, **extra}})
