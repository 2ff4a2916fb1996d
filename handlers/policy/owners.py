"""Asking a policy's owners what search could not answer, their answer, and keeping it.

"Ask a policy owner" posts the question in `policy.owners_channel` once, mentioning the owners of the
best-matching policy. An owner (or an admin, per the workspace file) answers through a form; the
answer goes in that thread and to the asker once; "Save as answer" keeps it as a verified answer,
once, which the index then ranks first for that question and its close variants. A daily job flags
verified answers past their review-by day to their owners, once per answer and review-by day.
"""

from __future__ import annotations

import logging
from datetime import date

from bot.chat.events import Action, FormSubmission
from bot.chat.model import FormErrors, Markup, Message, MessageRef, channel, md
from bot.context import Context, Services
from bot.routing import Router
from handlers.policy import answer_views as views
from handlers.policy import answers
from handlers.policy import index as answer_index
from handlers.policy.model import Policy
from storage import claims

log = logging.getLogger("tsqa.policy")

NOT_ALLOWED = "⛔ Only this policy's owners or an admin can do that."


async def _owners(services: Services, policy: Policy | None) -> list[str]:
    """The policy's owners as people (groups expanded through the workspace file)."""
    return sorted(await services.roles.members(policy.owners)) if policy else []


async def _may_answer(ctx: Context, user: str, policy: Policy | None) -> bool:
    if (await ctx.roles()).is_admin:
        return True
    return user in await _owners(ctx.services, policy)


async def _policy(services: Services, policy_id: str | None) -> Policy | None:
    if not policy_id:
        return None
    built = await answer_index.current_index(services)
    return built.policies.get(policy_id)


async def ask_owner(ctx: Context, action: Action) -> None:
    """The question in the owners' channel, once per question, however often the button is clicked."""
    qid = int(action.value) if action.value.isdigit() else None
    asked = qid is not None and await answers.question(ctx.db, qid)
    owners_channel = answer_index.settings(ctx.workspace).owners_channel
    if not asked or owners_channel is None:
        await ctx.respond(Message.text("⛔ I cannot ask the owners about that."))
        return
    policy = await _policy(ctx.services, asked.top_policy_id)
    people = await _owners(ctx.services, policy)
    message = views.owner_ask_message(asked.question_id, asked.user, asked.text, people, policy)

    async def post(taken: claims.Taken) -> str:
        sent = await ctx.port.post(owners_channel, message, key=taken.key, look_first=taken.retaken)
        await answers.record_owner_ask(
            ctx.db,
            asked.question_id,
            policy.id if policy else None,
            sent.channel,
            sent.ts,
            action.user,
            ctx.now(),
        )
        return sent.ts

    await claims.once(ctx.db, f"policy-ask:{asked.question_id}", "policy", ctx.services.clock, post)
    await ctx.respond(views.asked_owner(channel(owners_channel)))


async def open_answer_form(ctx: Context, action: Action) -> None:
    qid = int(action.value) if action.value.isdigit() else None
    ask = qid is not None and await answers.owner_ask(ctx.db, qid)
    asked = qid is not None and await answers.question(ctx.db, qid)
    if not ask or not asked:
        await ctx.respond(Message.text("⛔ I know no such question."))
        return
    built = await answer_index.current_index(ctx.services)
    policy = built.policies.get(ask.policy_id or "")
    if not await _may_answer(ctx, action.user, policy):
        await ctx.respond(Message.text(NOT_ALLOWED))
        return
    options = views.section_options([policy] if policy else built.policies.values())
    review_by = answer_index.today(ctx.services) + answers.REVIEW_AFTER
    if action.trigger:
        await ctx.port.open_form(
            action.trigger, views.owner_answer_form(asked.question_id, asked.text, options, review_by)
        )


def _section(built: answer_index.AnswerIndex, value: str) -> tuple[Policy, str, str] | None:
    policy_id, _, anchor = value.partition("#")
    policy = built.policies.get(policy_id)
    heading = next((s.heading for s in policy.sections if s.anchor == anchor), None) if policy else None
    return (policy, anchor, heading) if policy and heading is not None else None


def _section_markup(policy: Policy, heading: str) -> Markup:
    return md("*{}* › {}", policy.title, heading)


async def answer_submitted(ctx: Context, submission: FormSubmission) -> FormErrors | None:
    """Checked here: the submitter's rights (workspace file), the section, the review-by day."""
    qid = int(submission.state) if submission.state.isdigit() else None
    ask = qid is not None and await answers.owner_ask(ctx.db, qid)
    asked = qid is not None and await answers.question(ctx.db, qid)
    if not ask or not asked:
        return FormErrors({"answer": "This form is not one of mine."})
    built = await answer_index.current_index(ctx.services)
    text = str(submission.values.get("answer") or "").strip()
    found = _section(built, str(submission.values.get("section") or ""))
    raw_date = str(submission.values.get("review_by") or "").strip()
    errors: dict[str, str] = {}
    if not text:
        errors["answer"] = "Type the answer."
    if found is None:
        errors["section"] = "Pick the section the answer belongs to."
    today = answer_index.today(ctx.services)
    try:
        review_by = date.fromisoformat(raw_date) if raw_date else today + answers.REVIEW_AFTER
        if review_by <= today:
            errors["review_by"] = "Pick a day after today."
    except ValueError:
        errors["review_by"] = f"“{raw_date}” is not a day: write it as YYYY-MM-DD."
    if errors:
        return FormErrors(errors)
    assert found is not None
    policy, anchor, heading = found
    asked_policy = built.policies.get(ask.policy_id or "")
    if not (
        await _may_answer(ctx, submission.user, asked_policy)
        or await _may_answer(ctx, submission.user, policy)
    ):
        return FormErrors({"answer": "Only this policy's owners or an admin can answer it."})
    await answers.record_owner_answer(
        ctx.db, asked.question_id, answer=text, policy_id=policy.id, anchor=anchor, review_by=review_by,
        owner=submission.user, now=ctx.now(),
    )  # fmt: skip
    section = _section_markup(policy, heading)
    ctx.later(
        _tell(ctx.services, asked.question_id, submission.user, text, section, review_by), "policy answer"
    )
    return None


async def _tell(
    services: Services, qid: int, owner: str, text: str, section: Markup, review_by: date
) -> None:
    """The owner's answer in the owners' thread (each time they answer) and to the asker (once)."""
    ask = await answers.owner_ask(services.db, qid)
    asked = await answers.question(services.db, qid)
    assert ask is not None and asked is not None
    posted = await services.port.reply(
        MessageRef(ask.channel, ask.ts), views.owner_answer_message(qid, owner, text, section, review_by)
    )
    await answers.record_answer_post(services.db, qid, posted.ts)

    async def dm(taken: claims.Taken) -> str:
        message = views.asker_answer_message(asked.text, owner, text, section)
        sent = await services.port.dm(asked.user, message, key=taken.key, look_first=taken.retaken)
        return sent.ts

    await claims.once(services.db, f"policy-owner-answer:{qid}", "policy", services.clock, dm)


async def save_answer(ctx: Context, action: Action) -> None:
    """The owner's answer kept as a verified answer, once; only owners or admins may save it."""
    qid = int(action.value) if action.value.isdigit() else None
    ask = qid is not None and await answers.owner_ask(ctx.db, qid)
    if not ask or not ask.answer:
        await ctx.respond(Message.text("⛔ There is no owner's answer to save."))
        return
    policy = await _policy(ctx.services, ask.policy_id)
    if not await _may_answer(ctx, action.user, policy):
        await ctx.respond(Message.text(NOT_ALLOWED))
        return
    saved = await answers.save_verified(ctx.db, ask.question_id, action.user, ctx.now())
    if saved is None:
        await ctx.respond(Message.text("This answer is already saved."))
        return
    answer_index.invalidate(ctx.db)
    review_by = ask.review_by or answer_index.today(ctx.services) + answers.REVIEW_AFTER
    await ctx.port.reply(MessageRef(ask.channel, ask.ts), views.saved_message(action.user, review_by))


async def flag_due_reviews(services: Services) -> int:
    """Each verified answer past its review-by day, to its policy's owners, once per answer and day."""
    flagged = 0
    built = await answer_index.current_index(services)
    for row in await answers.due_for_review(services.db, answer_index.today(services)):
        policy = built.policies.get(row.policy_id)
        people = await _owners(services, policy)
        if not people:
            continue
        message = views.review_due_message(people, row.question, row.answer, row.review_by)
        for person in people:
            key = f"policy-review:{row.answer_id}:{row.review_by.isoformat()}:{person}"

            async def dm(taken: claims.Taken, person: str = person, message: Message = message) -> str:
                sent = await services.port.dm(person, message, key=taken.key, look_first=taken.retaken)
                return sent.ts

            try:
                taken = await claims.once(services.db, key, "policy", services.clock, dm)
                flagged += int(taken.won)
            except Exception:
                log.exception("could not flag answer %s to %s", row.answer_id, person)
    return flagged


def register(router: Router) -> None:
    router.action(views.ASK_OWNER, ask_owner)
    router.action(views.OPEN_OWNER_ANSWER, open_answer_form)
    router.action(views.SAVE_ANSWER, save_answer)
    router.form(views.OWNER_ANSWER_FORM, answer_submitted)
