"""What policy answering registers: `/policy QUESTION`, free text (a mention, a DM), the answer's
buttons, the owners' flow (owners.py), `/policy show` and `/policy changes` (changes.py) and the
weekly knowledge gaps (gaps.py).

A click carries only a question id; who clicked is the platform's user, and what they may do is
read from the stored question and the workspace file, never from the payload.
"""

from __future__ import annotations

from pathlib import Path

from apscheduler.triggers.cron import CronTrigger

from bot import once
from bot.chat.events import Action, Command, Mention
from bot.chat.model import Message
from bot.context import Context, Services
from bot.routing import Job, Router
from bot.workspace import Workspace
from handlers.policy import answer_views as views
from handlers.policy import answers, changes, gaps, owners
from handlers.policy.index import current_index, settings
from handlers.policy.search import PolicyIndex
from handlers.policy.store import load_dir
from storage import claims
from storage.models import PolicyQuestion

EXAMPLE_LIBRARY = Path(__file__).resolve().parents[2] / "examples" / "policies"


async def _answer(
    ctx: Context, text: str, user: str, channel: str, via: str, *, small_talk: bool = False
) -> Message | None:
    """The stored question's answer message; with `small_talk`, None for a greeting or a question
    about the bot ("hello, what can you do?") and for a statement without a question mark that the
    library does not answer confidently: the bot's overview answers those instead."""
    built = await current_index(ctx.services)
    hits = answers.search(built, text)
    # Free text without a question mark ("a note to myself", "hello") is conversation unless the
    # library answers it confidently on more than one word: the overview answers it, and it is not
    # stored as a knowledge gap. A slash command is always a question.
    sure = PolicyIndex.confident(hits, answers.threshold(settings(ctx.workspace).confidence))
    strong = sure and answers.content_words(text) >= 2
    if small_talk and (answers.small_talk(text) or ("?" not in text and not strong)):
        return None
    asked = await answers.ask(
        ctx.db, hits, text=text, user=user, channel=channel, via=via, now=ctx.now(),
        confidence=settings(ctx.workspace).confidence,
    )  # fmt: skip
    if not asked.confident:
        can_ask = settings(ctx.workspace).owners_channel is not None
        return views.no_answer_message(asked.question_id, text, can_ask)
    return views.answer_message(asked.question_id, text, asked.hits, built, share=via == "command")


async def question_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/policy QUESTION`: answered privately, with a button to share it in the channel."""
    text = " ".join(args).strip()
    if not text:
        await ctx.respond(
            Message.text("Ask a policy question, e.g. `/policy does a quoted insult in a news report count?`")
        )
        return
    message = await _answer(ctx, text, cmd.user, cmd.channel, "command")
    assert message is not None
    await ctx.respond(message)


async def free_text(ctx: Context, mention: Mention) -> bool:
    """A mention (answered in its thread, for all there) or a DM (answered in the DM) is a question."""
    text = mention.text.strip()
    if not text:
        return False
    via = "direct" if mention.direct else "mention"
    message = await _answer(ctx, text, mention.user, mention.channel, via, small_talk=True)
    if message is None:
        return False
    await ctx.respond(message, ephemeral=False)
    return True


async def share(ctx: Context, action: Action) -> None:
    """The asker's private answer posted in the channel it was asked in, once per question."""
    qid = views.id_of(action.value)
    asked = qid is not None and await answers.question(ctx.db, qid)
    if not asked or asked.user != action.user or asked.via != "command":
        await ctx.respond(Message.text("⛔ Only the person who asked can share this answer."))
        return
    built = await current_index(ctx.services)
    hits = answers.search(built, asked.text)
    message = views.shared_message(
        asked.user, views.answer_message(asked.question_id, asked.text, hits, built, share=False)
    )

    taken = await once.post(ctx.services, _share_key(asked.question_id), "policy", asked.channel, message)
    if taken.done and not taken.won:
        await ctx.respond(Message.text("This answer is already shared in the channel."))


def _share_key(question_id: int) -> str:
    return f"policy-share:{question_id}"


async def _may_judge(ctx: Context, asked: PolicyQuestion, user: str) -> bool:
    """A private answer (a command's, a DM's) is the asker's to judge until it is shared; an answer
    in a channel thread (a mention's) is anyone's there."""
    if asked.via == "mention" or asked.user == user:
        return True
    shared = await claims.state(ctx.db, _share_key(asked.question_id))
    return shared is not None and shared.done_at is not None


async def _feedback(ctx: Context, action: Action, helpful: bool) -> None:
    qid = views.id_of(action.value)
    asked = qid is not None and await answers.question(ctx.db, qid)
    if not asked:
        await ctx.respond(Message.text("⛔ This button is not one of mine."))
        return
    if not await _may_judge(ctx, asked, action.user):
        await ctx.respond(Message.text("⛔ Only the person who asked can give feedback on this answer."))
        return
    first = await answers.feedback(ctx.db, asked.question_id, action.user, helpful, ctx.now())
    await ctx.respond(views.feedback_noted(helpful, first))


async def helpful(ctx: Context, action: Action) -> None:
    await _feedback(ctx, action, True)


async def not_helpful(ctx: Context, action: Action) -> None:
    await _feedback(ctx, action, False)


async def seed_example_library(services: Services) -> None:
    """A new local workspace starts with the example policy library, so there is something to ask."""
    if EXAMPLE_LIBRARY.is_dir():
        await load_dir(services.db, EXAMPLE_LIBRARY, services.clock(), services.workspace)


def jobs(workspace: Workspace) -> list[Job]:
    tz = workspace.tz
    return [
        Job("policy.review-due", CronTrigger(hour=9, minute=41, timezone=tz), owners.flag_due_reviews),
        Job("policy.gaps", CronTrigger(day_of_week="mon", hour=9, minute=47, timezone=tz), gaps.weekly),
    ]


def register(router: Router) -> None:
    router.subcommand(
        "policy", "", question_command, usage="/policy QUESTION",
        summary="answers from the policy library, with citations (only you see it; share it if you like)",
    )  # fmt: skip
    changes.register(router, question=question_command)
    router.on_text(free_text)
    router.action(views.SHARE, share)
    router.action(views.HELPFUL, helpful)
    router.action(views.NOT_HELPFUL, not_helpful)
    owners.register(router)
    router.jobs(jobs)
    router.on_local_seed(seed_example_library)
