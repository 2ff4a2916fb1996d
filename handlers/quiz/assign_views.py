"""The messages of quiz assignments: the invitation, the reminder, the assigner's summary, the status.

People are `user()` pieces (a mention on each platform), never names typed into markup.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.chat.model import ContextLine, Header, Markup, Message, Part, Text, command, md, people, user
from bot.workspace import Workspace
from handlers.quiz import views
from handlers.quiz.bank import Topic

if TYPE_CHECKING:
    from handlers.quiz.assign import Summary
    from handlers.quiz.progress import Group, Progress


def _by(due: date | None) -> Markup:
    return md(" by {}", due.isoformat()) if due else md("")


def assigned_message(topic: Topic, by: str, due: date | None) -> Message:
    text = md("{} asked you to take the quiz *{}*{}.", user(by), topic.title, _by(due))
    hint = md("Pass mark {:.0%}. It happens here in our DM, one question at a time.", topic.pass_mark)
    return Message(
        summary=md("Quiz assigned: {}", topic.title),
        parts=(Header(md("Quiz assigned: {}", topic.title)), Text(text), ContextLine((hint,)),
               views.start_button(topic.id, topic.title)),
    )  # fmt: skip


def reminder_message(topic: Topic, due: date, *, today: bool) -> Message:
    when = md("today") if today else md("tomorrow, {}", due.isoformat())
    text = md("⏰ Your quiz *{}* is due {}.", topic.title, when)
    return Message(summary=text, parts=(Text(text), views.start_button(topic.id, topic.title)))


def summary_message(summary: Summary) -> Message:
    told, before = summary.who("told"), summary.who("told_before")
    passed, unreached = summary.who("passed"), summary.who("unreached")
    total = len(summary.outcomes)
    lines = [
        md("*{}* assigned to {} {}{}.", summary.topic.title, total, "person" if total == 1 else "people",
           _by(summary.due)),
        md("• {} told in their DM now, {} told before", len(told), len(before)),
        md("• {} passed it already (no DM, no reminders)", len(passed)),
    ]  # fmt: skip
    if unreached:
        lines.append(md("• ⚠️ {} could not be reached: {}", len(unreached), people(unreached)))
    lines += [md("• ⚠️ {}", problem) for problem in summary.problems]
    parts: list[Part] = [Text(md("\n").join(lines))]
    if summary.due:
        parts.append(ContextLine(("Reminders go out at 09:00 the day before and on the due day.",)))
    return Message(summary=lines[0], parts=tuple(parts))


def _share(part: int, whole: int) -> Markup:
    return md("{:.0%}", part / whole) if whole else md("–")


def status_message(ws: Workspace, topic: Topic, groups: dict[Group, list[Progress]]) -> Message:
    rows = [r for members in groups.values() for r in members]
    if not rows:
        text = md("Nobody is assigned *{}* yet: `{}`.", topic.title, command("quiz assign TOPIC to …"))
        return Message.text(text)
    lines = []
    for (vendor_id, site), members in groups.items():
        vendor = ws.vendor(vendor_id) if vendor_id else None
        where = md(
            "{} · {}", vendor.name if vendor else vendor_id or "vendor unknown", site or "site unknown"
        )
        done = sum(r.finished for r in members)
        passed = sum(r.passed for r in members)
        lines.append(
            md("• *{}*: {} assigned, {} finished ({}), {} passed (pass rate {} of those who finished)",
               where, len(members), done, _share(done, len(members)), passed, _share(passed, done))
        )  # fmt: skip
    done, passed = sum(r.finished for r in rows), sum(r.passed for r in rows)
    head = md("{} assigned, {} finished ({}), {} passed.", len(rows), done, _share(done, len(rows)), passed)
    parts: list[Part] = [Header(md("{} · status", topic.title)), Text(head), Text(md("\n").join(lines))]
    waiting = sorted(r.user for r in rows if not r.finished)
    if waiting:
        parts.append(Text(md("*Not finished yet ({})*: {}", len(waiting), people(waiting))))
    return Message(summary=md("{}: {}", topic.title, head), parts=tuple(parts))
