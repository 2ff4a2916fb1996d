"""Shared steps of the calibration stories over signed HTTP against the Slack fake: create a session
through the form, find a participant's ballot in their DM, vote with its buttons, read the progress
and the results, move the clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from handlers.calibration import views
from storage.engine import Database
from storage.models import CalibrationSession, CalibrationVote
from tests.e2e.escalate_flow import buttons, choice, opened_view, submit, text_value
from tests.e2e.harness import SlackSide, eventually, settled, texts

QUINN = "U0QALEAD1"  # admin: the facilitator
TARA = "U0TRAINER1"  # trainer
LEE = "U0LABEL01"
KAI = "U0LABEL02"
NICO = "U0NWLEAD1"  # Northwind's vendor lead: not a participant
QA_OPS = "C0QAOPS01"
DUE = "2026-11-26 15:00"  # Dublin is on UTC in November
DUE_AT = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)

# The hand-computed case: three raters, three items. Item 1 all "remove"; item 2 two "allow" and one
# "remove"; item 3 all "allow". Krippendorff's alpha: coincidences o(allow,allow)=4, o(remove,remove)=3,
# o(allow,remove)=o(remove,allow)=1; n=9, n_allow=5, n_remove=4; alpha = 1 - 8·2/(2·5·4) = 0.60.
# Fleiss' kappa: P̄ = (1 + 1/3 + 1)/3 = 7/9, P_e = (5/9)² + (4/9)² = 41/81, kappa = 22/40 = 0.55.
CSV = """item_id,link,note,reference
ITEM-101,https://tool.example/items/101,quoted term in a news headline,remove
ITEM-102,https://tool.example/items/102,,allow
ITEM-103,,reclaimed term between friends,allow
"""
VOTES = {
    LEE: ["remove", "allow", "allow"],
    KAI: ["remove", "allow", "allow"],
    TARA: ["remove", "remove", "allow"],
}


def form_values(
    *, title: str = "Hate speech EN: quoted terms", queue: str = "hate-en",
    participants: str = f"{LEE} {KAI} {TARA}", due: str = DUE, source: str = views.SOURCE_CSV,
    items: str = CSV, count: str = "", days: str = "",
) -> dict[str, Any]:  # fmt: skip
    return {
        "title": text_value(title), **choice("queue", queue), "participants": text_value(participants),
        "due": text_value(due), **choice("source", source), "items": text_value(items),
        "count": text_value(count), "days": text_value(days),
    }  # fmt: skip


async def open_form(slack: SlackSide, user: str = QUINN, channel: str = QA_OPS) -> dict[str, Any]:
    before = len(slack.fake.calls_to("views.open"))
    reply = await slack.command("/calibrate", "new", user=user, channel=channel)
    assert reply.status == 200
    return await opened_view(slack, before)


async def create(slack: SlackSide, bot: Any, user: str = QUINN, **values: Any) -> dict[str, Any]:  # noqa: ANN401
    """`/calibrate new`, the form submitted; {} when accepted (then the invitations have run)."""
    view = await open_form(slack, user)
    answer = await submit(slack, view, user, form_values(**values))
    await settled(bot)
    return answer


def dms_of(slack: SlackSide, user: str) -> list[Any]:
    fake = slack.fake
    return [m for m in fake.messages_in(fake.dm_channel(user)) if m.blocks]


def ballot(slack: SlackSide, user: str, session: int = 1) -> Any:  # noqa: ANN401
    """The person's ballot of `session` as it reads now (updated in place)."""
    others = ("Finished (", "per participant", "⏰")
    ballots = [
        m for m in dms_of(slack, user)
        if f"CAL-{session} " in texts(m.blocks) and not any(o in texts(m.blocks) for o in others)
    ]  # fmt: skip
    assert ballots, f"no ballot of CAL-{session} in {user}'s DM"
    return ballots[0]


def progress(slack: SlackSide, user: str = QUINN, session: int = 1) -> str:
    found = [m for m in dms_of(slack, user) if f"CAL-{session} ·" in texts(m.blocks)]
    shown = [texts(m.blocks) for m in found if "Finished (" in texts(m.blocks)]
    assert shown, f"no progress of CAL-{session} in {user}'s DM"
    return shown[0]


async def click(slack: SlackSide, user: str, message: Any, action: str, *, value: str | None = None) -> None:  # noqa: ANN401
    button = buttons(message.blocks)[action]
    await slack.action(
        action, value if value is not None else button.get("value", ""), user=user,
        channel=slack.fake.dm_channel(user), message_ts=message.ts,
    )  # fmt: skip


def label_action(message: Any, label: str) -> str:  # noqa: ANN401
    return next(
        a
        for a, b in buttons(message.blocks).items()
        if a.startswith(views.VOTE) and b["text"]["text"] == label
    )


async def vote(slack: SlackSide, bot: Any, user: str, label: str, session: int = 1) -> None:  # noqa: ANN401
    """`user` picks `label` on the item their ballot shows now."""
    shown = ballot(slack, user, session)
    await click(slack, user, shown, label_action(shown, label))
    await settled(bot)


async def vote_all(slack: SlackSide, bot: Any, votes: dict[str, list[str]], session: int = 1) -> None:  # noqa: ANN401
    for user, labels in votes.items():
        for label in labels:
            await vote(slack, bot, user, label, session)


async def count(database_url: str, model: type, **where: Any) -> int:  # noqa: ANN401
    db = Database(database_url)
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    async with db.transaction() as session:
        found = await session.scalar(query)
    await db.dispose()
    return int(found or 0)


async def sessions(database_url: str) -> int:
    return await count(database_url, CalibrationSession)


async def votes_of(database_url: str, user: str) -> list[tuple[int, str]]:
    db = Database(database_url)
    async with db.transaction() as session:
        rows = await session.execute(
            select(CalibrationVote.position, CalibrationVote.label)
            .where(CalibrationVote.user_id == user)
            .order_by(CalibrationVote.position)
        )
        found = [(int(p), str(label)) for p, label in rows.all()]
    await db.dispose()
    return found


async def said(slack: SlackSide, before: int) -> str:
    """What the bot answered privately (through the response URL) since `before` calls."""
    found = await eventually(lambda: slack.fake.calls_to("response_url")[before:])
    return "\n".join(texts(call.args.get("blocks")) or str(call.args.get("text", "")) for call in found)


async def command_answer(slack: SlackSide, text: str, user: str = QUINN) -> str:
    before = len(slack.fake.calls_to("response_url"))
    reply = await slack.command("/calibrate", text, user=user, channel=QA_OPS)
    assert reply.status == 200
    if reply.text and (reply.json() or {}).get("blocks"):
        return texts(reply.json()["blocks"])
    return await said(slack, before)


def posts(slack: SlackSide, channel: str = QA_OPS) -> list[Any]:
    return [m for m in slack.fake.messages_in(channel) if m.blocks]
