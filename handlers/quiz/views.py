"""The quiz's messages and forms, in the neutral chat model.

Options are listed in the message as A), B), C) and the buttons carry only the letters: an option
of any length stays readable, and the same card works on Slack, Teams and the local workspace.
Question texts, options and explanations come from bank files: always values, never markup.
"""

from __future__ import annotations

from datetime import date
from string import ascii_uppercase

from bot.chat.model import (
    Button,
    Buttons,
    ChoiceInput,
    ContextLine,
    Form,
    Header,
    Message,
    Option,
    Part,
    Text,
    TextInput,
    command,
    md,
)
from handlers.quiz.attempts import Answered, Result, Step
from handlers.quiz.bank import Question
from handlers.quiz.store import TopicInfo

ANSWER = "quiz:answer"  # a letter button: "{attempt}|{position}|{displayed option}"
OPEN_ANSWER_FORM = "quiz:open-answer"  # "{attempt}|{position}"
ANSWER_FORM = "quiz:answer-form"  # state "{attempt}|{position}|{channel}|{ts}"
START = "quiz:start"  # value: topic id

MAX_BUTTON_OPTIONS = 10  # more than this: answered in a form
TYPE_HINTS = {
    "multiple": "Pick every answer that applies.",
    "short": "Type your answer.",
    "numeric": "Type a number.",
    "matching": "Match each item.",
}


def letter(index: int) -> str:
    return ascii_uppercase[index] if index < len(ascii_uppercase) else str(index + 1)


def _options(step: Step) -> list[str]:
    """The options in this attempt's order."""
    return [step.question.choices[original].text for original in step.order]


def uses_buttons(question: Question) -> bool:
    return question.type in ("single", "truefalse") and len(question.choices) <= MAX_BUTTON_OPTIONS


def question_message(step: Step) -> Message:
    q = step.question
    parts: list[Part] = [
        Header(md("{} · {}/{}", step.topic.title, step.position + 1, step.total)),
        Text(md("*{}*", q.text)),
    ]
    if q.type in ("single", "multiple", "truefalse"):
        parts.append(
            Text(md("\n").join(md("{}) {}", letter(i), text) for i, text in enumerate(_options(step))))
        )
    if hint := TYPE_HINTS.get(q.type):
        parts.append(ContextLine((hint,)))
    if step.deadline is not None:
        parts.append(ContextLine((md("Time limit: answer by {:%H:%M} UTC.", step.deadline),)))
    key = f"{step.attempt_id}|{step.position}"
    if uses_buttons(q):
        buttons = tuple(Button(letter(i), ANSWER, value=f"{key}|{i}") for i in range(len(q.choices)))
    else:
        buttons = (Button("Answer", OPEN_ANSWER_FORM, value=key, style="primary", opens_form=True),)
    parts.append(Buttons(buttons, block_id=f"quiz-{key}"[:255]))
    return Message(
        summary=md("{} · question {} of {}", step.topic.title, step.position + 1, step.total),
        parts=tuple(parts),
    )


def answer_form(step: Step, channel: str, ts: str) -> Form:
    q = step.question
    inputs: list[ChoiceInput | TextInput] = []
    match q.type:
        case "single" | "truefalse" | "multiple":
            options = tuple(
                Option(f"{letter(i)}) {text}"[:75], str(i)) for i, text in enumerate(_options(step))
            )
            inputs.append(ChoiceInput("choice", "Your answer", options, multiple=q.type == "multiple"))
        case "short":
            inputs.append(TextInput("text", "Your answer", max_length=200))
        case "numeric":
            inputs.append(TextInput("text", "Your answer (a number)", placeholder="e.g. 42", max_length=40))
        case "matching":
            matches = sorted({p.match for p in q.pairs})
            options = tuple(Option(m[:75], str(i)) for i, m in enumerate(matches))
            for index, pair in enumerate(q.pairs):
                inputs.append(ChoiceInput(f"match-{index}", pair.item[:2000], options))
    return Form(
        form_id=ANSWER_FORM,
        title=f"Question {step.position + 1} of {step.total}",
        inputs=tuple(inputs),
        submit="Answer",
        intro=(Text(md("*{}*", q.text)),),
        state=f"{step.attempt_id}|{step.position}|{channel}|{ts}",
    )


def matching_options(question: Question) -> list[str]:
    """The choices a matching form offers, in the order `answer_form` numbered them."""
    return sorted({p.match for p in question.pairs})


def answered_message(answered: Answered) -> Message:
    """The question as answered: right or wrong, the right answer, the explanation, the policy."""
    q, scored = answered.question, answered.score
    assert q is not None and scored is not None
    verdict = (
        md("✅ *Right.*")
        if scored.right
        else md("❌ *Not quite.* The right answer: {}", q.right_answer_text())
    )
    if 0 < scored.credit < 1:
        verdict += md(" (partly right: {:.0%} of the credit)", scored.credit)
    parts: list[Part] = [
        Header(md("{}/{}", answered.position + 1, answered.total)),
        Text(md("*{}*", q.text)),
        Text(verdict),
    ]
    if scored.feedback:
        parts.append(Text(md("{}", scored.feedback)))
    if q.explanation:
        parts.append(Text(md("{}", q.explanation)))
    if q.policy:
        parts.append(ContextLine((md("Policy: {}", q.policy),)))
    return Message(summary=md("{}", verdict.plain), parts=tuple(parts))


def result_message(title: str, result: Result, pass_mark: float) -> Message:
    verdict = "✅ Passed" if result.passed else "❌ Not passed yet"
    text = md(
        "*{}*: {:.0%} ({} of {} right); the pass mark is {:.0%}.",
        verdict,
        result.credit,
        result.right,
        result.total,
        pass_mark,
    )
    parts: list[Part] = [Header(md("{} · result", title)), Text(text)]
    sections = sorted({q.policy for q in result.missed if q.policy})
    if sections:
        parts.append(Text(md("Sections to revisit: {}", md(", ").join(md("`{}`", s) for s in sections))))
    elif result.missed:
        parts.append(Text(md("{} question(s) to revisit.", len(result.missed))))
    if not result.passed:
        parts.append(ContextLine((md("Try again with `{}`.", command("quiz <topic>")),)))
    return Message(summary=md("{}: {}", title, text.plain), parts=tuple(parts))


def topics_message(
    found: list[TopicInfo], open_topic: str | None, pending: list[tuple[str, date | None]] = ()
) -> Message:
    if not found:
        return Message.text("No quizzes yet: a trainer imports them with `tsqa quiz import FILE`.")
    lines = md("\n").join(
        md(
            "• *{}* (`{}`): {} questions, pass mark {:.0%}",
            t.topic.title,
            t.topic.id,
            t.questions,
            t.topic.pass_mark,
        )
        for t in found
    )
    parts: list[Part] = [Header("Quizzes"), Text(lines)]
    if pending:
        titles = {t.topic.id: t.topic.title for t in found}
        assigned = md("\n").join(
            md("• *{}*{}", titles.get(topic, topic), md(", due {}", due) if due else md(""))
            for topic, due in pending
        )
        parts.append(Text(md("*Assigned to you:*\n") + assigned))
    if open_topic:
        parts.append(Text(md("You have a quiz in progress: `{}` continues it.", command("quiz resume"))))
    parts.append(
        ContextLine(
            (
                md(
                    "Start one with `{}`; add a number to take only that many questions.",
                    command("quiz <topic>"),
                ),
            )
        )
    )
    return Message(summary="Quizzes you can take", parts=tuple(parts))


def start_button(topic_id: str, title: str) -> Buttons:
    return Buttons((Button(f"Start: {title}"[:75], START, value=topic_id, style="primary"),))
