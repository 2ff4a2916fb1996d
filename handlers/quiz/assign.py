"""Assignments: `/quiz assign TOPIC to …`, its DM and reminders, passing marked (who has done what:
`handlers/quiz/progress.py`).

One `QuizAssignment` per (topic, person): assigning again moves the due day, never adds a row. Each
person's DM is a claim keyed by what it means, `quiz-assigned:{topic}:{user}:{due}`, and each reminder
a durable timer `quiz-remind:{topic}:{user}:{day}` (09:00 in the workspace timezone, the day before and
on the due day) scheduled in the assignment's transaction. A reminder reads the assignment when it
fires: it says nothing to someone who passed, or whose due day has moved since.

Targets. Slack: mentions as Slack sends them (`<@U…>`, `<#C…>`, `<!subteam^S…>`) or bare U…/C…/S… IDs.
Teams: Entra user IDs (GUIDs) and channel IDs (`19:…@thread.tacv2`); a mention arrives as the person's
name and is matched against the workspace file's `people`. Both: `group:<id>` from the workspace file
and `#name` of a channel the file lists.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.chat.events import Command
from bot.chat.model import Markup, Message, channel, command, md
from bot.chat.port import ChatError, ChatPort
from bot.context import Context, Services
from bot.roles import Role
from bot.routing import Timer, UsageError
from bot.workspace import Workspace
from bot.workspace_ids import ReferenceKind, reference
from handlers.quiz import assign_views, store
from handlers.quiz.bank import Topic
from storage import claims
from storage.claims import insert_once, schedule_in
from storage.models import QuizAssignment, QuizAttempt

log = logging.getLogger("tsqa.quiz")

REMIND_KIND = "quiz.remind"
REMIND_AT = time(9, 0)
USAGE = "/quiz assign TOPIC to @person|#channel|@usergroup|group:<id> … [by YYYY-MM-DD]"

_TOKEN = re.compile(r"<[^>]*>|[^\s,]+")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NAME_WORDS = 4  # a listed person's name is matched over at most this many words

TargetKind = ReferenceKind


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    id: str


@dataclass(frozen=True)
class Request:
    topic_id: str
    targets: tuple[Target, ...]
    due: date | None


# ----- reading the command -----


def _target(token: str, ws: Workspace) -> Target | None:
    """One token as a target, in the workspace platform's terms; None when it names nobody known."""
    found = reference(token, ws)
    return Target(*found) if found else None


def _person_by_name(words: list[str], ws: Workspace) -> tuple[Target, int] | None:
    """The longest run of words (up to NAME_WORDS) that is a listed person's name, and its length."""
    names: dict[str, str] = {}
    for p in ws.people:
        names.setdefault(p.name.lower(), p.id)  # two people of one name: the first listed, as elsewhere
    for length in range(min(NAME_WORDS, len(words)), 0, -1):
        said = " ".join(words[:length]).removeprefix("@").strip().lower()
        if said and said in names:
            return Target("user", names[said]), length
    return None


def read_targets(words: list[str], ws: Workspace, *, names: bool) -> tuple[list[Target], list[str]]:
    """The people, channels and groups the words name (in order, each once) and the words that name
    nobody known; `and` is skipped. With `names`, a run of words may be a listed person's name: a Teams
    mention arrives so, and a spreadsheet cell has names. `/quiz assign` and the training cohort share it."""
    found: list[Target] = []
    unknown: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word.lower() == "and":
            index += 1
            continue
        if (target := _target(word, ws)) is not None:
            found.append(target)
            index += 1
        elif names and (named := _person_by_name(words[index:], ws)):
            found.append(named[0])
            index += named[1]
        else:
            unknown.append(word)
            index += 1
    return list(dict.fromkeys(found)), unknown


def parse(text: str, ws: Workspace, today: date) -> Request:
    """`TOPIC to TARGET… [by YYYY-MM-DD]` (after the verb); UsageError says what is wrong."""
    tokens = _TOKEN.findall(text)
    if len(tokens) < 3 or tokens[1].lower() != "to":
        raise UsageError(md("Say whom to assign it to: `{}`", command(USAGE)))
    topic_id, rest, due = tokens[0].lower(), tokens[2:], None
    if len(rest) >= 2 and rest[-2].lower() == "by":
        if not _DAY.match(rest[-1]):
            raise UsageError(md("`{}` is not a day like 2026-12-31", rest[-1]))
        try:
            due = date.fromisoformat(rest[-1])
        except ValueError:
            raise UsageError(md("`{}` is not a day of the calendar", rest[-1])) from None
        if due < today:
            raise UsageError(md("{} has passed: give a day from today on", due.isoformat()))
        rest = rest[:-2]
    targets, unknown = read_targets(rest, ws, names=ws.platform == "teams")
    if unknown:
        raise UsageError(md("I don't know whom {} means.", md(", ").join(md("`{}`", w) for w in unknown)))
    if not targets:
        raise UsageError(md("Say whom to assign it to: `{}`", command(USAGE)))
    return Request(topic_id, tuple(targets), due)


# ----- who that is -----


async def own_user(port: ChatPort) -> str | None:
    """The bot's own user ID (each port asks once); None when the platform would not say, so that
    inviting people still works."""
    try:
        return await port.own_user()
    except ChatError:
        log.warning("could not ask the platform who the bot is", exc_info=True)
        return None


@dataclass
class Reached:
    users: set[str] = field(default_factory=set)
    problems: list[Markup] = field(default_factory=list)  # targets whose members could not be read


async def expand(services: Services, targets: Iterable[Target]) -> Reached:
    """The people behind the targets; the bot and bot accounts are never among them."""
    reached = Reached()
    ws = services.workspace
    for target in targets:
        try:
            if target.kind == "user":
                found = {target.id}
            elif target.kind == "channel":
                found = set(await services.port.channel_members(target.id))
            else:
                found = await services.roles.members([target.id])
        except ChatError as exc:
            what = channel(target.id) if target.kind == "channel" else md("`{}`", target.id)
            reached.problems.append(md("{} (I could not read its members: {})", what, exc.hint or exc.code))
            continue
        reached.users |= {ws.normal_user(u) for u in found}
    own = await own_user(services.port)
    reached.users = {u for u in reached.users if u != own and not u.startswith("28:")}
    return reached


# ----- assigning -----

Told = Literal["told", "told_before", "passed", "unreached"]


async def _assignment(session, topic_id: str, user_id: str) -> QuizAssignment | None:  # noqa: ANN001
    row = QuizAssignment
    return await session.scalar(select(row).where(row.topic_id == topic_id, row.user_id == user_id))


async def has_passed(session, topic_id: str, user_id: str) -> bool:  # noqa: ANN001 - an AsyncSession
    """A finished, passed quiz attempt on the topic (reviews do not count)."""
    found = await session.scalar(
        select(QuizAttempt.attempt_id)
        .where(
            QuizAttempt.topic_id == topic_id,
            QuizAttempt.user_id == user_id,
            QuizAttempt.kind == "quiz",
            QuizAttempt.passed.is_(True),
        )
        .limit(1)
    )
    return found is not None


def reminder_times(due: date | None, tz: str) -> list[tuple[date, datetime]]:
    """The day before and the due day itself, at 09:00 local."""
    if due is None:
        return []
    zone = ZoneInfo(tz)
    return [(day, datetime.combine(day, REMIND_AT, zone)) for day in (due - timedelta(days=1), due)]


def remind_key(topic_id: str, user_id: str, day: date) -> str:
    return f"quiz-remind:{topic_id}:{user_id}:{day.isoformat()}"


async def record(services: Services, topic_id: str, user_id: str, due: date | None, by: str) -> bool:
    """Store (or move) the assignment and make its reminders due, in one transaction; True when the
    person has passed the topic already (then nothing is scheduled)."""
    now = services.clock()
    async with services.db.transaction() as session:
        values = {"due": due, "assigned_by": by, "assigned_at": now}
        if not await insert_once(
            session, QuizAssignment, ["topic_id", "user_id"], topic_id=topic_id, user_id=user_id, **values
        ):
            row = await _assignment(session, topic_id, user_id)
            assert row is not None
            row.due = due
            if row.passed_at is not None:
                return True
        if await has_passed(session, topic_id, user_id):
            await _mark_passed(session, topic_id, user_id, now)
            return True
        for day, at in reminder_times(due, services.workspace.timezone):
            if at > now:  # a reminder whose time has gone would only repeat the assignment's DM
                payload = {"topic": topic_id, "user": user_id, "day": day.isoformat()}
                payload["until"] = (at + timedelta(hours=12)).isoformat()
                await schedule_in(session, remind_key(topic_id, user_id, day), REMIND_KIND, at, now, payload)
    return False


async def tell(services: Services, topic: Topic, user_id: str, due: date | None, by: str) -> Told:
    """The person's one DM about this assignment (per due day), with its Start button."""
    key = f"quiz-assigned:{topic.id}:{user_id}:{due.isoformat() if due else 'none'}"
    message = assign_views.assigned_message(topic, by, due)

    async def send(taken: claims.Taken) -> str:
        sent = await services.port.dm(user_id, message, key=key, look_first=taken.retaken)
        return sent.ts

    try:
        taken = await claims.once(services.db, key, "quiz-assigned", services.clock, send)
    except ChatError as exc:
        log.info("could not tell %s about %s: %s", user_id, topic.id, exc)
        return "unreached"
    return "told" if taken.won else "told_before"


@dataclass
class Summary:
    topic: Topic
    due: date | None
    outcomes: dict[str, Told] = field(default_factory=dict)
    problems: list[Markup] = field(default_factory=list)

    def who(self, outcome: Told) -> list[str]:
        return sorted(u for u, o in self.outcomes.items() if o == outcome)


async def assign(services: Services, request: Request, by: str) -> Summary | None:
    """Assign and tell everyone the request names; None when the topic does not exist."""
    async with services.db.transaction() as session:
        topic = await store.topic(session, request.topic_id)
    if topic is None:
        return None
    reached = await expand(services, request.targets)
    summary = Summary(topic, request.due, problems=reached.problems)
    for user_id in sorted(reached.users):
        if await record(services, topic.id, user_id, request.due, by):
            summary.outcomes[user_id] = "passed"
        else:
            summary.outcomes[user_id] = await tell(services, topic, user_id, request.due, by)
    return summary


# ----- reminders and passing -----


async def run_reminder(services: Services, taken: claims.Taken) -> str:
    """The `quiz.remind` timer: a DM unless the person passed or the due day moved meanwhile."""
    payload = taken.payload or {}
    topic_id, user_id, day = payload["topic"], payload["user"], date.fromisoformat(payload["day"])
    async with services.db.transaction() as session:
        row = await _assignment(session, topic_id, user_id)
        if row is None:
            return "not assigned"
        if row.passed_at is not None or await has_passed(session, topic_id, user_id):
            return "passed"
        due = row.due
        topic = await store.topic(session, topic_id)
    if due is None or day not in (due, due - timedelta(days=1)) or topic is None:
        return "moved"
    message = assign_views.reminder_message(topic, due, today=day == due)
    await services.port.dm(user_id, message, key=taken.key, look_first=taken.retaken)
    return "reminded"


REMIND = Timer(REMIND_KIND, run_reminder, max_attempts=5)


async def _mark_passed(session, topic_id: str, user_id: str, when: datetime) -> bool:  # noqa: ANN001
    row = await _assignment(session, topic_id, user_id)
    if row is None or row.passed_at is not None:
        return False
    row.passed_at = when
    return True


# Other capabilities that track a pass (a policy cascade's quiz) listen here: (services, topic, user, when).
PassListener = Callable[[Services, str, str, datetime], Awaitable[None]]
PASS_LISTENERS: list[PassListener] = []


async def on_attempt_finished(services: Services, attempt_id: str) -> bool:
    """Mark the assignment passed when this finished attempt passed, and tell PASS_LISTENERS; True the
    first time the assignment is marked only."""
    async with services.db.transaction() as session:
        attempt = await session.get(QuizAttempt, attempt_id)
        if attempt is None or attempt.finished_at is None or not attempt.passed or attempt.kind != "quiz":
            return False
        topic_id, user_id, when = attempt.topic_id, attempt.user_id, attempt.finished_at
        marked = await _mark_passed(session, topic_id, user_id, when)
    for listener in PASS_LISTENERS:
        await listener(services, topic_id, user_id, when)
    return marked


async def assign_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/quiz assign …`: trainers and admins only; the summary comes back to the assigner."""
    if not (await ctx.roles()).has(Role.TRAINER, Role.ADMIN):
        await ctx.respond(Message.text("⛔ Only trainers and admins assign quizzes."))
        return
    text = cmd.text.split(None, 1)[1] if len(cmd.text.split(None, 1)) > 1 else ""
    today = ctx.now().astimezone(ctx.workspace.tz).date()
    request = parse(text, ctx.workspace, today)
    summary = await assign(ctx.services, request, cmd.user)
    if summary is None:
        await ctx.respond(Message.text(md("⛔ I know no quiz `{}`. `/quiz` lists them.", request.topic_id)))
        return
    await ctx.respond(assign_views.summary_message(summary))
