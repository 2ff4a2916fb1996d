"""Asking a policy's owners what search could not answer, their answer, and keeping it.

"Ask a policy owner" (by the asker only) posts the question in `policy.owners_channel` once per
meaning (the same question about the same policy), mentioning the owners of the best-matching policy;
later askers attach to it. An owner (or an admin, per the workspace file) answers through a form: each
answer is its own row, and its post in the thread and its DM to each asker are durable timers stored
with it, so neither is lost on a restart nor repeated. "Save as answer" under an answer makes that one
the question's verified answer, which the index then ranks first for that question and its close
variants. A daily job flags verified answers past their review-by day to their owners, once per answer
and review-by day.
"""

from __future__ import annotations

import logging
from datetime import date

from bot import once, timers
from bot.chat.events import Action, FormSubmission
from bot.chat.model import FormErrors, Markup, Message, MessageRef, Option, channel, md
from bot.context import Context, Services
from bot.routing import Router, Timer
from handlers.policy import answer_views as views
from handlers.policy import answers
from handlers.policy import index as answer_index
from handlers.policy.model import Policy
from storage import claims
from storage.models.policy_answers import PolicyOwnerAnswer, PolicyOwnerAsk

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


async def post_ask(services: Services, ask: PolicyOwnerAsk) -> MessageRef | None:
    """The ask's post in the owners' channel, made once under `policy-ask:{id}`; its thread. Called
    by the button and, when the post's ts was never recorded (a crash between posting and recording),
    by the answer timers: a retaken claim looks for the earlier post before posting. None while
    another worker holds the claim."""
    if ask.ts:
        return MessageRef(ask.channel, ask.ts)
    first = await answers.question(services.db, ask.question_id)
    assert first is not None
    policy = await _policy(services, ask.policy_id)
    people = await _owners(services, policy)
    message = views.owner_ask_message(first.question_id, first.user, first.text, people, policy)

    async def recorded(sent: MessageRef) -> None:
        await answers.record_ask_post(services.db, ask.question_id, sent.channel, sent.ts)

    key = f"policy-ask:{ask.question_id}"
    return await once.post_recorded(services, key, "policy", ask.channel, message, recorded)


async def _thread(services: Services, taken: claims.Taken, ask: PolicyOwnerAsk) -> MessageRef:
    """Where an answer timer replies: the ask's thread, posted now if it never was; a claim held by
    another worker makes the timer come back after its lease."""
    thread = await post_ask(services, ask)
    if thread is None:
        raise claims.Held(f"policy-ask:{ask.question_id}", services.clock() + claims.LEASE)
    return thread


async def ask_owner(ctx: Context, action: Action) -> None:
    """The question in the owners' channel, once per meaning (the same question about the same
    policy), however often and by whomever it is asked; each asker is attached and told the answer.
    Only the person who asked may ask the owners about their question."""
    qid = views.id_of(action.value)
    asked = qid is not None and await answers.question(ctx.db, qid)
    owners_channel = answer_index.settings(ctx.workspace).owners_channel
    if not asked or owners_channel is None:
        await ctx.respond(Message.text("⛔ I cannot ask the owners about that."))
        return
    if asked.user != action.user:
        await ctx.respond(Message.text("⛔ Only the person who asked can ask the owners about it."))
        return
    policy = await _policy(ctx.services, asked.top_policy_id)
    ask = await answers.attach_to_ask(
        ctx.db, asked, policy.id if policy else None, owners_channel, action.user, ctx.now()
    )
    await post_ask(ctx.services, ask)
    if await answers.latest_answer(ctx.db, ask.question_id) is not None:  # told by a timer, now
        ctx.later(timers.run_due(ctx.services, ctx.services.timers), "policy answer")
    await ctx.respond(views.asked_owner(channel(ask.channel)))


async def open_answer_form(ctx: Context, action: Action) -> None:
    ask_id = views.id_of(action.value)
    ask = ask_id is not None and await answers.owner_ask(ctx.db, ask_id)
    asked = ask_id is not None and await answers.question(ctx.db, ask_id)
    if not ask or not asked:
        await ctx.respond(Message.text("⛔ I know no such question."))
        return
    built = await answer_index.current_index(ctx.services)
    policy = built.policies.get(ask.policy_id or "")
    if not await _may_answer(ctx, action.user, policy):
        await ctx.respond(Message.text(NOT_ALLOWED))
        return
    review_by = answer_index.today(ctx.services) + answers.REVIEW_AFTER
    if action.trigger:
        form = views.owner_answer_form(asked.question_id, asked.text, _options(built, policy), review_by)
        await ctx.port.open_form(action.trigger, form)


def _options(built: answer_index.AnswerIndex, policy: Policy | None) -> tuple[Option, ...]:
    """The sections an answer may cite: the asked policy's, or any when the ask named none."""
    return views.section_options([policy] if policy else built.policies.values())


def _section(built: answer_index.AnswerIndex, value: str) -> tuple[Policy, str, str] | None:
    policy_id, _, anchor = value.partition("#")
    policy = built.policies.get(policy_id)
    heading = next((s.heading for s in policy.sections if s.anchor == anchor), None) if policy else None
    return (policy, anchor, heading) if policy and heading is not None else None


def _section_markup(policy: Policy, heading: str) -> Markup:
    return md("*{}* › {}", policy.title, heading)


async def answer_submitted(ctx: Context, submission: FormSubmission) -> FormErrors | None:
    """Checked here: the submitter's rights (workspace file), the section (one of the form's own
    options: the asked policy's), the review-by day. The answer is kept and told through timers."""
    ask_id = views.id_of(submission.state)
    ask = ask_id is not None and await answers.owner_ask(ctx.db, ask_id)
    if not ask:
        return FormErrors({"answer": "This form is not one of mine."})
    built = await answer_index.current_index(ctx.services)
    asked_policy = built.policies.get(ask.policy_id or "")
    text = str(submission.values.get("answer") or "").strip()
    chosen = str(submission.values.get("section") or "")
    offered = {o.value for o in _options(built, asked_policy)}
    found = _section(built, chosen) if chosen in offered else None
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
    policy, anchor, _heading = found
    # Rights follow the asked policy; an ask that named none is answered by an admin or the chosen
    # policy's owners.
    if not await _may_answer(ctx, submission.user, asked_policy or policy):
        return FormErrors({"answer": "Only this policy's owners or an admin can answer it."})
    await answers.record_owner_answer(
        ctx.db, ask.question_id, answer=text, policy_id=policy.id, anchor=anchor, review_by=review_by,
        owner=submission.user, now=ctx.now(),
    )  # fmt: skip
    ctx.later(timers.run_due(ctx.services, ctx.services.timers), "policy answer")
    return None


async def _given(services: Services, taken: claims.Taken) -> tuple[PolicyOwnerAnswer, Markup] | None:
    """The owner's answer a timer is about, with its section as cited; None if it is gone."""
    given = await answers.owner_answer(services.db, int((taken.payload or {})["answer"]))
    if given is None:
        return None
    built = await answer_index.current_index(services)
    found = _section(built, f"{given.policy_id}#{given.anchor}")
    section = _section_markup(found[0], found[2]) if found else md("{} › {}", given.policy_id, given.anchor)
    return given, section


async def post_answer(services: Services, taken: claims.Taken) -> str:
    """The `policy.owner-answer` timer: the owner's answer in the owners' thread, once per answer."""
    found = await _given(services, taken)
    ask = found and await answers.owner_ask(services.db, found[0].question_id)
    if not found or not ask:
        return "gone"
    given, section = found
    message = views.owner_answer_message(
        given.answer_id, given.answered_by, given.answer, section, given.review_by
    )
    thread = await _thread(services, taken, ask)
    sent = await services.port.reply(thread, message, key=taken.key, look_first=taken.retaken)
    await answers.record_answer_post(services.db, given.answer_id, sent.ts)
    return sent.ts


async def tell_asker(services: Services, taken: claims.Taken) -> str:
    """The `policy.tell-asker` timer: one owner's answer (a correction too) to one asker, once."""
    found = await _given(services, taken)
    ask = found and await answers.owner_ask(services.db, found[0].question_id)
    first = ask and await answers.question(services.db, ask.question_id)
    if not found or not first:
        return "gone"
    given, section = found
    correction = await answers.answered_before(services.db, given)
    message = views.asker_answer_message(
        first.text, given.answered_by, given.answer, section, correction=correction
    )
    user = str((taken.payload or {})["user"])
    sent = await services.port.dm(user, message, key=taken.key, look_first=taken.retaken)
    return sent.ts


async def post_saved(services: Services, taken: claims.Taken) -> str:
    """The `policy.saved` timer: "Saved as a verified answer" under that answer's thread, once."""
    found = await _given(services, taken)
    ask = found and await answers.owner_ask(services.db, found[0].question_id)
    if not found or not ask:
        return "gone"
    message = views.saved_message(str((taken.payload or {})["by"]), found[0].review_by)
    thread = await _thread(services, taken, ask)
    sent = await services.port.reply(thread, message, key=taken.key, look_first=taken.retaken)
    return sent.ts


async def save_answer(ctx: Context, action: Action) -> None:
    """The owner's answer this button sits under, as the question's verified answer (a later,
    corrected answer replaces an earlier one); only the asked policy's owners or admins may."""
    answer_id = views.id_of(action.value)
    given = answer_id is not None and await answers.owner_answer(ctx.db, answer_id)
    ask = given and await answers.owner_ask(ctx.db, given.question_id)
    if not given or not ask:
        await ctx.respond(Message.text("⛔ There is no owner's answer to save."))
        return
    policy = await _policy(ctx.services, ask.policy_id or given.policy_id)
    if not await _may_answer(ctx, action.user, policy):
        await ctx.respond(Message.text(NOT_ALLOWED))
        return
    saved = await answers.save_verified(ctx.db, given.answer_id, action.user, ctx.now())
    if saved == "already":
        await ctx.respond(Message.text("This answer is already saved."))
    elif saved == "older":
        await ctx.respond(Message.text("A later answer to this question is saved already."))
    elif saved in ("saved", "replaced"):
        answer_index.invalidate(ctx.db)
        ctx.later(timers.run_due(ctx.services, ctx.services.timers), "policy saved")


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
            try:
                flagged += int((await once.dm(services, key, "policy", person, message)).won)
            except Exception:
                log.exception("could not flag answer %s to %s", row.answer_id, person)
    return flagged


POST_ANSWER = Timer(answers.POST_ANSWER, post_answer, max_attempts=8)
TELL_ASKER = Timer(answers.TELL_ASKER, tell_asker, max_attempts=8)
POST_SAVED = Timer(answers.POST_SAVED, post_saved, max_attempts=8)


def register(router: Router) -> None:
    router.timer(POST_ANSWER)
    router.timer(TELL_ASKER)
    router.timer(POST_SAVED)
    router.action(views.ASK_OWNER, ask_owner)
    router.action(views.OPEN_OWNER_ANSWER, open_answer_form)
    router.action(views.SAVE_ANSWER, save_answer)
    router.form(views.OWNER_ANSWER_FORM, answer_submitted)
