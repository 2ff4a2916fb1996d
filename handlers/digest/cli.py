"""`tsqa digest …`: a day's figures out, from a terminal or a cron job (`tsqa ingest` loads them)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from handlers.digest.service import digest_for_day, digest_from_file
from handlers.queue_data.cli import JsonFlag, err, settings_and_workspace, with_db
from handlers.queue_data.validate import FileRejected


def digest_command(
    day: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD; default yesterday.")] = None,
    queue: Annotated[list[str] | None, typer.Option("--queue", help="Only this queue (repeatable).")] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="Day boundaries in this timezone.")
    ] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from-file", help="Compute from a file; store nothing.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Print a day's digest: per queue, vendor, site and overall."""
    settings, workspace = settings_and_workspace()
    tz = timezone or workspace.timezone
    try:
        when = date.fromisoformat(day) if day else datetime.now(workspace.tz).date() - timedelta(days=1)
        if from_file is not None:
            digest = digest_from_file(workspace, from_file, when, tz=tz, queues=queue)
        else:
            digest = with_db(settings, lambda db: digest_for_day(db, workspace, when, tz=tz, queues=queue))
    except (ValueError, FileRejected) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if as_json:
        print(json.dumps(digest))
        return
    from handlers.digest.views import pct, seconds, summary_line

    print(f"Digest for {digest['date']} ({digest['timezone']}): {summary_line(digest)}")
    for level in ("queues", "vendors", "sites"):
        print(f"\n{level}:")
        for e in digest[level]:
            flags = f"  [{', '.join(e['flags'])}]" if e["flags"] else ""
            print(
                f"  {e['id']:<14} output {e['output']:>7,}  vs target {pct(e['output_vs_target'], 0):>6}  "
                f"SLA {pct(e['sla_adherence']):>6}  AHT {seconds(e['aht_seconds']):>7}  "
                f"quality {pct(e['quality_score']):>6}{flags}"
            )


def register(app: typer.Typer) -> None:
    app.command("digest")(digest_command)
