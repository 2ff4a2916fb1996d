"""The messages and forms of policy answering, in the neutral chat model.

Text from policies, questions and owners' answers is data: it goes through `md`/`plain`, so a policy
that says `<!channel>` or `*` shows those characters and pings nobody.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from bot.chat.model import (
    Button,
    Buttons,
    ChoiceInput,
    ContextLine,
    Form,
    Markup,
    Message,
    Option,
    Part,
    Text,
    TextInput,
    md,
    plain,
    user,
)
from handlers.policy.index import AnswerIndex
from handlers.policy.model import Hit, Passage, Policy
from handlers.policy.search import excerpt

SHARE = "policy.share"
HELPFUL = "policy.helpful"
NOT_HELPFUL = "policy.not-helpful"
ASK_OWNER = "policy.ask-owner"
OPEN_OWNER_ANSWER = "policy.owner-answer"
SAVE_ANSWER = "policy.save-answer"
OWNER_ANSWER_FORM = "policy.owner-answer-form"

EXCERPT_WIDTH = 240
ANSWER_WIDTH = 1200


def link_of(passage: Passage) -> str | None:
    return f"{passage.link}#{passage.anchor}" if passage.link else None


def excerpt_markup(passage: Passage, matched: Iterable[str], width: int = EXCERPT_WIDTH) -> Markup:
    """The excerpt with matched words in bold; the words themselves stay plain text."""
    pieces = [md("*{}*", text) if bold else plain(text) for text, bold in excerpt(passage, matched, width)]
    return md("").join(pieces)


def _citation(passage: Passage) -> Markup:
    when = passage.effective.isoformat() if passage.effective else "?"
    return md("*{}* › {} · version {}, effective {}", passage.title, passage.heading, passage.version, when)


def _section_hit(hit: Hit, built: AnswerIndex) -> list[Part]:
    p = hit.passage
    lines = [_citation(p), md("> {}", excerpt_markup(p, hit.matched))]
    link = link_of(p)
    if link:
        lines.append(plain(link))
    coming = built.coming.get(p.policy_id)
    if coming is not None:
        lines.append(md("_Coming on {}: version {}_", coming.effective.isoformat(), coming.version))
    return [Text(md("\n").join(lines))]


def _verified_hit(hit: Hit, built: AnswerIndex) -> list[Part]:
    p = hit.passage
    saved = built.answers.get(p.key)
    answer = saved.answer if saved else p.text
    policy = built.policies.get(p.policy_id)
    heading = (
        next((s.heading for s in policy.sections if s.anchor == p.anchor), p.anchor) if policy else p.anchor
    )
    lines = [
        md("✅ *A policy owner answered this question*: {}", p.heading),
        md("> {}", _clip(answer, ANSWER_WIDTH)),
        md("*{}* › {} · version {}", p.title, heading, p.version or "?"),
    ]
    link = link_of(p)
    if link:
        lines.append(plain(link))
    return [Text(md("\n").join(lines))]


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def id_of(value: str) -> int | None:
    """The id a button or form of ours carries (a question, an ask, an owner's answer), else None."""
    return int(value) if value.isdigit() else None


def feedback_buttons(question_id: int, *, share: bool) -> Buttons:
    value = str(question_id)
    buttons = [Button("Share in channel", SHARE, value, style="primary")] if share else []
    buttons += [Button("Helpful", HELPFUL, value), Button("Not helpful", NOT_HELPFUL, value)]
    return Buttons(tuple(buttons), block_id=f"policy-answer-{question_id}")


def answer_message(
    question_id: int, question: str, hits: Sequence[Hit], built: AnswerIndex, *, share: bool
) -> Message:
    """Up to three passages, each cited (policy, section, version, effective day, link)."""
    parts: list[Part] = [Text(md("📘 *{}*", _clip(question, 300)))]
    for hit in hits:
        parts += _verified_hit(hit, built) if hit.passage.verified else _section_hit(hit, built)
    parts.append(feedback_buttons(question_id, share=share))
    return Message(md("Policy answer: {}", _clip(question, 150)), tuple(parts))


def shared_message(asker: str, answer: Message) -> Message:
    """The answer as the channel sees it: who asked, and no Share button any more."""
    parts: list[Part] = [ContextLine((md("Shared by {}", user(asker)),))]
    for part in answer.parts:
        if isinstance(part, Buttons):
            part = Buttons(tuple(b for b in part.buttons if b.action != SHARE), part.block_id)
        parts.append(part)
    return Message(answer.summary, tuple(parts))


def no_answer_message(question_id: int, question: str, can_ask: bool) -> Message:
    text = md("🤔 I have no confident answer to “{}”.", _clip(question, 300))
    parts: list[Part] = [Text(text)]
    if can_ask:
        parts.append(Text("A policy owner can answer it, and their answer helps the next person who asks."))
        parts.append(Buttons((Button("Ask a policy owner", ASK_OWNER, str(question_id)),)))
    else:
        parts.append(Text("No policy owners' channel is set up (`policy.owners_channel`): ask your QA lead."))
    return Message(text, tuple(parts))


def feedback_noted(helpful: bool, first: bool) -> Message:
    if not first:
        return Message.text("You already gave feedback on this answer: your first click counts.")
    return Message.text(
        "Thanks: noted as helpful." if helpful else "Thanks: noted. The policy owners will see it."
    )


def owner_ask_message(
    question_id: int, asker: str, question: str, owners: Sequence[str], policy: Policy | None
) -> Message:
    about = md(" (closest policy: *{}*)", policy.title) if policy else md("")
    who = md(", ").join(user(o) for o in owners) if owners else md("policy owners")
    lines = [
        md("❓ {}: {} asked a question I could not answer{}:", who, user(asker), about),
        md("> {}", _clip(question, 2000)),
    ]
    return Message(
        md("Policy question from {}", user(asker)),
        (
            Text(md("\n").join(lines)),
            Buttons((Button("Answer", OPEN_OWNER_ANSWER, str(question_id), opens_form=True),)),
        ),
    )


def asked_owner(channel_ref: Markup) -> Message:
    return Message.text(
        md("I asked the policy owners in {}. Their answer will come to you in our DM.", channel_ref)
    )


def section_options(policies: Iterable[Policy]) -> tuple[Option, ...]:
    options = []
    for policy in policies:
        for s in policy.sections:
            label = f"{policy.title} › {s.heading}" if s.heading else policy.title
            options.append(Option(_clip(label, 75), f"{policy.id}#{s.anchor}"[:150]))
    return tuple(options[:100])


def owner_answer_form(question_id: int, question: str, options: tuple[Option, ...], review_by: date) -> Form:
    return Form(
        form_id=OWNER_ANSWER_FORM,
        title="Answer a question",
        intro=(Text(md("> {}", _clip(question, 2000))),),
        inputs=(
            TextInput("answer", "Your answer", multiline=True, max_length=2900),
            ChoiceInput(
                "section", "The section it belongs to", options, initial=options[0].value if options else None
            ),
            TextInput("review_by", "Review by (YYYY-MM-DD)", initial=review_by.isoformat()),
        ),
        submit="Post answer",
        state=str(question_id),
    )


def owner_answer_message(
    answer_id: int, owner: str, answer: str, section: Markup, review_by: date
) -> Message:
    """The owner's answer in the owners' thread; its "Save as answer" saves exactly this answer."""
    text = md(
        "💬 {} answered:\n> {}\n{} · review by {}",
        user(owner),
        _clip(answer, 2900),
        section,
        review_by.isoformat(),
    )
    return Message(
        md("{} answered a policy question", user(owner)),
        (Text(text), Buttons((Button("Save as answer", SAVE_ANSWER, str(answer_id), style="primary"),))),
    )


def asker_answer_message(
    question: str, owner: str, answer: str, section: Markup, *, correction: bool = False
) -> Message:
    said = "corrected their answer to" if correction else "answered"
    text = md(
        "💬 A policy owner, {}, {} your question “{}”:\n> {}\n{}",
        user(owner), said, _clip(question, 300), _clip(answer, 2900), section,
    )  # fmt: skip
    return Message.text(text)


def saved_message(saver: str, review_by: date) -> Message:
    """Under the owners' thread; a later save (a correction) replaces the earlier verified answer."""
    return Message.text(
        md("✅ Saved as a verified answer by {}: it answers this question first from now on (review by {}).",
           user(saver), review_by.isoformat())
    )  # fmt: skip


def review_due_message(owners: Sequence[str], question: str, answer: str, review_by: date) -> Message:
    who = md(", ").join(user(o) for o in owners)
    text = md(
        "⏰ {}: a verified policy answer was due for review on {}.\n*Question*: {}\n> {}\n"
        "Check it still holds under the policy in effect.",
        who, review_by.isoformat(), _clip(question, 300), _clip(answer, 1500),
    )  # fmt: skip
    return Message(md("A verified policy answer is due for review"), (Text(text),))
