"""`tsqa policy publish`: a policy update cascaded from a terminal (a CI job that loads the library).

The CLI has no chat connection, so it queues the publish as a durable timer (`policy.publish`) that the
running bot performs within its timer poll: the same handler as `/policy publish`, once, and the admins
get its summary in a DM. Queuing the same publish again changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console

from bot.cli_workspace import workspace_or_exit
from bot.config import Settings
from bot.routing import UsageError
from handlers.policy import cascade, cascade_targets, store
from handlers.quiz import store as quiz_store
from storage import claims
from storage.engine import Database
from storage.migrate import run_on_database

err = Console(stderr=True, soft_wrap=True)


async def queue(db: Database, req: cascade_targets.Request, now: datetime) -> dict[str, Any]:
    """The publish as a due timer; what it will do, or `problem` when the policy or quiz is unknown."""
    policy = await store.get(db, req.policy_id)
    if policy is None:
        return {"problem": f"no policy {req.policy_id!r}: `tsqa policy load` reads the library"}
    if req.quiz:
        async with db.transaction() as session:
            if await quiz_store.topic(session, req.quiz) is None:
                return {"problem": f"no quiz {req.quiz!r}: `tsqa quiz import FILE` adds topics"}
    # What this publish means, hashed: a long list of channels must not be cut into another's key.
    meaning = "\n".join([req.ack_by.isoformat(), req.quiz or "", *sorted(t.channel for t in req.targets)])
    digest = hashlib.sha256(meaning.encode()).hexdigest()[:32]
    key = f"policy-publish:{policy.id}:{policy.version}:{digest}"
    payload = {
        "policy": policy.id, "ack_by": req.ack_by.isoformat(), "quiz": req.quiz, "by": "cli",
        "targets": [{"channel": t.channel, "vendor": t.vendor} for t in req.targets],
    }  # fmt: skip
    queued = await claims.schedule(db, key, cascade.PUBLISH_KIND, now, now, payload)
    return {"queued": queued, "key": key, "policy": policy.id, "version": policy.version, **payload}


def publish_command(
    policy_id: Annotated[str, typer.Argument(help="The policy's id, e.g. spam")],
    to: Annotated[
        list[str], typer.Option("--to", help="A vendor id or #channel; repeat, or separate by commas")
    ],
    ack_by: Annotated[str, typer.Option("--ack-by", help="Acknowledge by this day, YYYY-MM-DD")],
    quiz: Annotated[str | None, typer.Option("--quiz", help="Acknowledging starts this quiz topic")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON only.")] = False,
) -> None:
    """Cascade the newest version of a policy to vendor channels; the running bot posts it."""
    settings = Settings()
    workspace = workspace_or_exit(settings)
    now = datetime.now(UTC)
    targets = [part for given in to for part in given.split(",") if part.strip()]
    try:
        req = cascade_targets.request(
            policy_id, targets, ack_by, quiz, workspace, now.astimezone(workspace.tz).date()
        )
    except UsageError as exc:
        err.print(f"[red]{exc.args[0].plain}[/red]", highlight=False, markup=False)
        raise typer.Exit(2) from None
    found = run_on_database(settings.database_url, lambda db: queue(db, req, now))
    if "problem" in found:
        err.print(f"No publish queued: {found['problem']}.", highlight=False, markup=False)
        raise typer.Exit(1)
    if as_json:
        print(json.dumps(found))
        return
    where = ", ".join(t["channel"] for t in found["targets"])
    state = "queued" if found["queued"] else "already queued"
    print(f"{found['policy']} version {found['version']} to {where}, ack by {found['ack_by']}: {state}.")
    print("The running bot posts it within its timer poll and sends the admins the summary.")


def register(policy_app: typer.Typer) -> None:
    policy_app.command("publish")(publish_command)
