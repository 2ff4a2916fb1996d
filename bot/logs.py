"""Logging: one structured JSON line per handled request, with secrets scrubbed from every line."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any

_TOKEN = re.compile(r"xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")
# One encoder for every line: json.dumps(default=...) builds a new one per call.
_encode = json.JSONEncoder(default=str).encode

requests_log = logging.getLogger("tsqa.request")


class JsonFormatter(logging.Formatter):
    """Formats a record as JSON, then removes tokens and configured secrets from the whole line,
    tracebacks included."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 6]
        self._second: tuple[int, str] = (-1, "")

    def redact(self, line: str) -> str:
        line = _TOKEN.sub("[redacted]", line)
        for secret in self.secrets:
            line = line.replace(secret, "[redacted]")
        return line

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self._time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update(getattr(record, "fields", {}))
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return self.redact(_encode(data))

    def _time(self, record: logging.LogRecord) -> str:
        """The time shown has whole seconds: formatted once a second, not once a line."""
        second = int(record.created)
        if second != self._second[0]:
            self._second = (second, self.formatTime(record, "%Y-%m-%dT%H:%M:%S"))
        return self._second[1]


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
    if not requests_log.isEnabledFor(logging.INFO):
        return
    fields = {"kind": kind, "id": name, "user": user, "latency_ms": round(latency_ms, 1), "outcome": outcome}
    if extra:
        fields.update(extra)
    requests_log.info("%s %s %s", kind, name, outcome, extra={"fields": fields})
