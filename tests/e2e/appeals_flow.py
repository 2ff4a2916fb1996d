"""Shared steps of the appeals stories (Slack, Teams, local): a workspace with an `appeals:` section, a
labeler's audited decisions loaded through the product's own ingest, and the labeler's roster entry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.workspace import Channel, Workspace
from bot.workspace_appeals import AppealSettings
from storage.engine import Database
from storage.models.quiz import QuizRosterEntry

REVIEWS = "C0APPEAL1"
QUINN, TARA, LABELER, OTHER = "U0QALEAD1", "U0TRAINER1", "U0LABEL01", "U0LABEL02"
LABELER_ID = "nr-appeal-01"
IDENTITY = (LABELER_ID, "northwind")  # a labeler ID is one vendor's
DAY = date(2026, 11, 23)  # the decisions' day: the example data's last day
HEADER = (
    "item_id,queue,vendor,site,labeler_id,enqueued_at,completed_at,handle_seconds,decision,qa_decision,"
    "qa_auditor"
)
# (item, labeler's label, QA's label, auditor): two disagreements (by qa-01 and qa-02), one agreement.
ROWS = (
    ("ap-001", "remove", "allow", "qa-01"),
    ("ap-002", "age_restrict", "remove", "qa-02"),
    ("ap-003", "allow", "allow", "qa-01"),
)


def with_appeals(workspace: Workspace, channel: str = REVIEWS, **settings: Any) -> Workspace:
    """The workspace with a review channel and `qa-01` tied to Quinn (the QA lead), no scheduled digests."""
    channels = list(workspace.channels)
    if all(c.id != channel for c in channels):
        channels.append(Channel(id=channel, name="qa-appeals"))
    appeals = AppealSettings(channel=channel, auditors={"qa-01": QUINN}, **settings)
    return workspace.model_copy(update={"channels": channels, "appeals": appeals, "digests": []})


def decisions_csv(labeler_id: str = LABELER_ID, day: date = DAY, rows: tuple = ROWS) -> bytes:
    lines = [HEADER]
    for n, (item, decision, qa, auditor) in enumerate(rows):
        done = datetime(day.year, day.month, day.day, 12, n, tzinfo=UTC)
        enqueued = done - timedelta(minutes=20)
        lines.append(
            f"{item},hate-en,northwind,lisbon,{labeler_id},{enqueued.isoformat()},{done.isoformat()},30,"
            f"{decision},{qa},{auditor}"
        )
    return ("\n".join(lines) + "\n").encode()


async def on_roster(
    db: Database, user: str, labeler_id: str = LABELER_ID, now: datetime | None = None
) -> None:
    """The labeler's roster entry, as `tsqa quiz roster import` stores it."""
    async with db.transaction() as session:
        session.add(QuizRosterEntry(user_id=user, vendor="northwind", site="lisbon", labeler_id=labeler_id,
                                    imported_at=now or datetime.now(UTC)))  # fmt: skip


def appeal_values(blocks: list[dict[str, Any]] | None) -> list[str]:
    """The Appeal buttons' values, in order (several share one action id)."""
    return [
        e.get("value", "")
        for b in blocks or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "appeal.open"
    ]


async def ap001_appealed(bot: Any, slack: Any, workspace: Workspace, now: datetime) -> None:  # noqa: ANN401
    """The audits loaded by Quinn through the ingest channel, the labeler on the roster, and appeal #1 on
    ap-001 filed (straight through the store: the stories of the form itself are in test_appeals.py)."""
    from handlers.appeals import store
    from handlers.appeals.store import Filing
    from tests.e2e.test_ingest_uploads import thread_reply, upload

    await on_roster(bot.db, LABELER)
    await thread_reply(slack, await upload(slack, QUINN, "audits.csv", decisions_csv()))
    found = await store.disagreements(bot.db, {IDENTITY}, now - timedelta(days=1))
    item = next(i for i in found if i.key.item_id == "ap-001")
    await store.file(bot.db, workspace, item, Filing(LABELER, "Section 4.2 applies.", "4.2"), now)
