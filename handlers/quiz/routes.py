"""What the quiz capability registers: /quiz (list, take, resume), the answer buttons and form.

The person's own DM is where a quiz is taken. A click or a form carries only the attempt, the
position and the option shown; who answers is the platform's user, checked against the attempt.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.chat.events import Action, Command, FormSubmission
from bot.chat.model import FormErrors, Message, MessageRef, md
from bot.chat.port import ChatError
from bot.context import Context, Services
from bot.roles import Role
from bot.routing import Router, Timer, UsageError
from handlers.quiz import assign, attempts, progress, reporting, review, store, uploads, views
from handlers.quiz.attempts import Answered, QuizError, Step
from handlers.quiz.bank import Answer, BankError, parse_number
from handlers.quiz.formats import parse_bank
from storage import claims

log = logging.getLogger("tsqa.quiz")

SUMMARY = "knowledge checks for labelers before go-live, with results per question and vendor"

SAID = {
    "already_answered": "You already answered that question: your first answer counts.",
    "not_yet": "That question is not the current one: use the latest question in our DM.",
    "finished": "That quiz is finished.",
    "not_yours": "⛔ That quiz is someone else's.",
    "unknown": "⛔ I know no such quiz attempt.",
}


async def list_topics(ctx: Context, cmd: Command, args: list[str]) -> None:
    if args:
        await take(ctx, cmd, args)
        return
    found = await store.topics(ctx.db)
    open_attempt = await attempts.open_attempt(ctx.db, cmd.user)
    waiting = await progress.pending(ctx.db, cmd.user)
    await ctx.respond(views.topics_message(found, open_attempt.topic_id if open_attempt else None, waiting))


async def take(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/quiz TOPIC [N]`: the attempt starts (or continues) in the person's DM."""
    topic_id = args[0].lower()
    count = None
    if len(args) > 1:
        if not args[1].isdigit() or int(args[1]) < 1:
            raise UsageError(md("`{}` is not a number of questions", args[1]))
        count = int(args[1])
    try:
        step = await attempts.start(ctx.db, cmd.user, topic_id, ctx.now(), count=count)
    except QuizError as exc:
        await ctx.respond(Message.text(md("⛔ {}. `/quiz` lists the quizzes.", str(exc))))
        return
    if step.deadline is not None:  # closed by the server when time runs out, even if nobody clicks
        payload = {"attempt": step.attempt_id, "user": cmd.user}
        key = f"quiz-deadline:{step.attempt_id}"
        await claims.schedule(ctx.db, key, DEADLINE_TIMER, step.deadline, ctx.now(), payload)
    await ctx.respond(Message.text(md("Your quiz *{}* is in our DM.", step.topic.title)))
    await ask(ctx, step)


async def resume(ctx: Context, cmd: Command, args: list[str]) -> None:
    found = await attempts.open_attempt(ctx.db, cmd.user)
    step = found and await attempts.current(ctx.db, found.attempt_id, ctx.now())
    if not step:
        await ctx.respond(Message.text("You have no quiz in progress. `/quiz` lists the quizzes."))
        return
    await ctx.respond(Message.text(md("Continuing *{}* in our DM.", step.topic.title)))
    await ask(ctx, step)


async def ask(ctx: Context, step: Step) -> MessageRef:
    assert ctx.user is not None
    return await ctx.port.dm(ctx.user, views.question_message(step))


def _key(value: str) -> tuple[str, int, list[str]]:
    attempt_id, position, *rest = value.split("|")
    return attempt_id, int(position), rest


async def answer_button(ctx: Context, action: Action) -> None:
    try:
        attempt_id, position, rest = _key(action.value)
        given = Answer(chosen=(int(rest[0]),))
    except (ValueError, IndexError):
        await ctx.respond(Message.text("⛔ This button is not one of mine."))
        return
    answered = await attempts.answer(ctx.db, attempt_id, position, action.user, given, ctx.now())
    where = MessageRef(action.channel, action.message_ts) if action.channel and action.message_ts else None
    await after_answer(ctx, answered, where)


async def open_answer_form(ctx: Context, action: Action) -> None:
    try:
        attempt_id, position, _ = _key(action.value)
    except ValueError:
        await ctx.respond(Message.text("⛔ This button is not one of mine."))
        return
    step = await attempts.current(ctx.db, attempt_id, ctx.now())
    found = await attempts.open_attempt(ctx.db, action.user)
    if step is None or found is None or found.attempt_id != attempt_id or step.position != position:
        await ctx.respond(Message.text(SAID["already_answered"] if step else SAID["finished"]))
        return
    if action.trigger:
        await ctx.port.open_form(
            action.trigger, views.answer_form(step, action.channel or "", action.message_ts or "")
        )


async def answer_submitted(ctx: Context, submission: FormSubmission) -> FormErrors | None:
    try:
        attempt_id, position, rest = _key(submission.state)
        channel, ts = rest[0], rest[1]
    except (ValueError, IndexError):
        return FormErrors({"": "This form is not one of mine."})
    step = await attempts.current(ctx.db, attempt_id, ctx.now())
    if step is None or step.position != position:
        ctx.later(after_answer(ctx, Answered("already_answered"), None), "quiz answer")
        return None
    given, problem = _typed_answer(step, submission)
    if problem:
        return FormErrors(problem)
    answered = await attempts.answer(ctx.db, attempt_id, position, submission.user, given, ctx.now())
    where = MessageRef(channel, ts) if channel and ts else None
    ctx.later(after_answer(ctx, answered, where), "quiz answer")
    return None


def _typed_answer(step: Step, submission: FormSubmission) -> tuple[Answer, dict[str, str]]:
    """The form's values as an Answer, or what to fix (shown next to the field)."""
    q, values = step.question, submission.values
    match q.type:
        case "short":
            text = str(values.get("text") or "").strip()
            return Answer(text=text), ({} if text else {"text": "Type an answer."})
        case "numeric":
            text = str(values.get("text") or "").strip()
            if parse_number(text) is None:
                return Answer(text=text), {"text": f"“{text}” is not a number: type digits, e.g. 42 or 3.5"}
            return Answer(text=text), {}
        case "matching":
            options = views.matching_options(q)
            matches = []
            for index in range(len(q.pairs)):
                raw = values.get(f"match-{index}")
                if not isinstance(raw, str) or not raw.isdigit() or int(raw) >= len(options):
                    return Answer(), {f"match-{index}": "Pick a match."}
                matches.append(options[int(raw)])
            return Answer(matches=tuple(matches)), {}
        case _:
            raw = values.get("choice")
            picked = raw if isinstance(raw, list) else [raw] if raw else []
            chosen = tuple(int(v) for v in picked if isinstance(v, str) and v.isdigit())
            return Answer(chosen=chosen), ({} if chosen else {"choice": "Pick an answer."})


async def after_answer(ctx: Context, answered: Answered, where: MessageRef | None) -> None:
    """The answered question updated in place with the verdict; then the next question or the result.
    Only the click that recorded the answer gets here with `recorded`: nothing is said twice."""
    if answered.outcome == "time_up" and answered.result:
        await ctx.respond(Message.text("⏱️ Time is up for this quiz."))
        await _result(ctx, answered)
        return
    if answered.outcome != "recorded":
        await ctx.respond(Message.text(SAID[answered.outcome]))
        return
    # The verdict in place and what comes next are separate messages: sent together, the labeler
    # waits one round trip to Slack or Teams, not two.
    verdict = _verdict(ctx, views.answered_message(answered), where)
    if answered.next_step is not None:
        await asyncio.gather(verdict, ask(ctx, answered.next_step))
    elif answered.result is not None:
        await asyncio.gather(verdict, _result(ctx, answered))
    else:
        await verdict


async def _verdict(ctx: Context, message: Message, where: MessageRef | None) -> None:
    try:
        if where is None:
            raise ChatError("no_message")
        await ctx.port.update(where, message)
    except ChatError:  # the question's message is gone (deleted, or a form with no message): say it anew
        await ctx.respond(message)


async def _result(ctx: Context, answered: Answered) -> None:
    assert ctx.user is not None
    await tell_result(ctx.services, ctx.user, answered)


async def tell_result(services: Services, user: str, answered: Answered) -> None:
    """The end of an attempt, said once by whoever closed it: a review's tally, or the quiz's result
    against the pass mark (an assignment it passes is marked)."""
    assert answered.result is not None and answered.topic is not None
    topic = answered.topic
    if answered.kind == "review":  # a review has no pass mark: how it went, and when they come back
        await services.port.dm(user, review.done_message(answered.result))
        return
    if answered.attempt_id:
        await assign.on_attempt_finished(services, answered.attempt_id)
    await services.port.dm(user, views.result_message(topic.title, answered.result, topic.pass_mark))


async def start_button(ctx: Context, action: Action) -> None:
    cmd = Command("quiz", action.value, action.user, action.channel or "")
    await take(ctx, cmd, [action.value])


async def time_up(services: Services, taken: claims.Taken) -> str | None:
    """A timed attempt nobody finished: closed with what was answered; the person hears it once."""
    payload = taken.payload or {}
    closed = await attempts.close_expired(services.db, payload["attempt"], services.clock())
    if closed is not None and closed.result is not None and closed.topic is not None:
        await services.port.dm(payload["user"], Message.text("⏱️ Time is up for this quiz."))
        await tell_result(services, payload["user"], closed)
    return None


DEADLINE_TIMER = "quiz.deadline"
DEADLINE = Timer(DEADLINE_TIMER, time_up, max_attempts=5)

EXAMPLE_BANKS = Path(__file__).resolve().parents[2] / "examples" / "quiz"


async def seed_example_banks(services: Services) -> None:
    """A new local workspace starts with the example question banks, so there is a quiz to take."""
    if not EXAMPLE_BANKS.is_dir():
        return
    for path in sorted(EXAMPLE_BANKS.iterdir()):
        try:
            bank = parse_bank(path.name, path.read_bytes(), topic=None)
        except BankError as exc:
            log.warning("example bank %s not loaded: %s", path.name, exc)
            continue
        await store.import_bank(services.db, bank, services.clock())


def register(router: Router) -> None:
    router.command("quiz", SUMMARY)
    router.subcommand(
        "quiz", "", list_topics, usage="/quiz [topic [number of questions]]",
        summary="the quizzes you can take, or take one in our DM",
    )  # fmt: skip
    router.subcommand(
        "quiz", "resume", resume, usage="/quiz resume", summary="continue your quiz in progress"
    )
    router.subcommand(
        "quiz", "assign", assign.assign_command, usage=assign.USAGE,
        summary="assign a quiz to people, a channel or a group, with a due day",
        roles=[Role.TRAINER, Role.ADMIN],
    )  # fmt: skip
    router.subcommand(
        "quiz", "status", progress.status_command, usage="/quiz status TOPIC",
        summary="who finished and passed, by vendor and site",
        roles=[Role.TRAINER, Role.ADMIN, Role.VENDOR_LEAD],
    )  # fmt: skip
    router.subcommand(
        "quiz", "report", reporting.report_command, usage=reporting.USAGE,
        summary="results per vendor and site, per question, with a chart and the answers as CSV",
        roles=reporting.READERS,
    )  # fmt: skip
    router.subcommand(
        "quiz", "review", review.review_command, usage="/quiz review",
        summary="a short review of the questions you missed, in our DM",
    )  # fmt: skip
    router.action(views.ANSWER, answer_button)
    router.action(views.OPEN_ANSWER_FORM, open_answer_form)
    router.action(views.START, start_button)
    router.action(review.START_REVIEW, review.review_button)
    router.jobs(review.jobs)
    router.form(views.ANSWER_FORM, answer_submitted)
    router.on_file(uploads.file_shared)
    router.timer(DEADLINE)
    router.timer(assign.REMIND)
    router.on_local_seed(seed_example_banks)
