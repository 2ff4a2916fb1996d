"""The messages of a policy cascade: the update in each channel, the answer to a click, the reminder,
the publisher's summary and the status (also the final summary on the ack-by day).

People are `user()` pieces and channels `channel()` pieces, never names typed into markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from bot.chat.model import (
    Button,
    Buttons,
    ContextLine,
    Header,
    Markup,
    Message,
    Part,
    Text,
    channel,
    md,
    people,
)
from bot.workspace import Workspace
from handlers.policy.model import Policy
from handlers.quiz import views as quiz_views
from storage.models import PolicyCascade

if TYPE_CHECKING:
    from handlers.policy.cascade import Changes, Published
    from handlers.policy.cascade_status import Status

ACK = "policy-cascade:ack"  # value: the cascade id
MAX_HEADINGS = 5  # section headings per kind of change in the post


def _headings(label: str, headings: Sequence[str]) -> Markup:
    shown = md(", ").join(md("_{}_", h) for h in headings[:MAX_HEADINGS])
    more = md(" and {} more", len(headings) - MAX_HEADINGS) if len(headings) > MAX_HEADINGS else md("")
    return md("• {}: {}{}", label, shown, more)


def change_lines(changed: Changes, sections: int) -> list[Markup]:
    if changed.first:
        return [md("• First version in the library: {} sections", sections)]
    lines = [
        _headings(label, found)
        for label, found in (
            ("Added", changed.added),
            ("Changed", changed.changed),
            ("Removed", changed.removed),
        )
        if found
    ]
    if changed.diff:  # a few lines of the text itself, as `/policy changes` shows them in full
        lines.append(md("```{}```", "\n".join(changed.diff)))
    return lines or [md("• No section changed in substance (wording or layout only)")]


def ack_button(cascade_id: int) -> Buttons:
    return Buttons((Button("I have read and understood", ACK, str(cascade_id), style="primary"),))


def _title(policy: Policy) -> Markup:
    return md("{} · version {}", policy.title, policy.version)


def update_message(
    policy: Policy, changed: Changes, cascade_id: int, ack_by: date, quiz_title: str | None
) -> Message:
    """The post in each target channel: what changed in a few lines, when it applies, the button."""
    when = md("Effective {}. Please acknowledge by *{}*.", policy.effective.isoformat(), ack_by.isoformat())
    if quiz_title:
        when += md(" Acknowledging starts a short quiz, _{}_, in your DM.", quiz_title)
    parts: list[Part] = [
        Header(md("Policy update: {}", _title(policy))),
        Text(md("*What changed*\n") + md("\n").join(change_lines(changed, len(policy.sections)))),
        Text(when),
    ]
    if policy.link:
        parts.append(ContextLine((md("Full policy: {}", policy.link),)))
    parts.append(ack_button(cascade_id))
    return Message(summary=md("Policy update: {}", _title(policy)), parts=tuple(parts))


def acknowledged_message(policy_title: str, version: str, outcome: str) -> Message:
    said = {
        "recorded": md("✅ Recorded: you have read and understood *{}* (version {}).", policy_title, version),
        "already": md(
            "Your acknowledgement of *{}* (version {}) is already recorded.", policy_title, version
        ),
        "not_member": md(
            "This update is for the members of the channels it was posted in, and I don't have you among "
            "them. If you should be, ask a QA lead to add you to your vendor's channel."
        ),
        "unknown": md("⛔ I know no such policy update."),
    }
    return Message.text(said[outcome])


def reminder_message(policy: Policy, cascade: PolicyCascade, *, today: bool, acked: bool = False) -> Message:
    """To someone pending: the acknowledge button; to someone who acknowledged but has not passed the
    quiz yet, the quiz's own start button (a second acknowledgement would only say it is recorded)."""
    when = md("today") if today else md("tomorrow, {}", cascade.ack_by.isoformat())
    if acked and cascade.quiz_topic:
        what, button = "pass its quiz", quiz_views.start_button(cascade.quiz_topic, cascade.quiz_topic)
    else:
        what = "acknowledge it and pass its quiz" if cascade.quiz_topic else "acknowledge it"
        button = ack_button(cascade.cascade_id)
    text = md("⏰ The policy update *{}* is due {}: please read it and {}.", _title(policy), when, what)
    parts: list[Part] = [Text(text)]
    if policy.link:
        parts.append(ContextLine((md("Full policy: {}", policy.link),)))
    return Message(summary=text, parts=(*parts, button))


def published_message(done: Published) -> Message:
    """The publisher's summary: where it went, how many people it tracks, what went wrong."""
    posted = [c for c, o in done.outcomes.items() if o == "posted"]
    before = [c for c, o in done.outcomes.items() if o == "posted_before"]
    people = sum(done.members.values())
    head = md("*{}* published to {} channel(s), {} members to acknowledge by {}.",
              _title(done.policy), len(posted) + len(before), people, done.ack_by.isoformat())  # fmt: skip
    lines = [head]
    if posted:
        lines.append(md("• posted now in {}", md(", ").join(channel(c) for c in posted)))
    if before:
        lines.append(md("• posted before in {} (not again)", md(", ").join(channel(c) for c in before)))
    if done.quiz_title:
        lines.append(md("• acknowledging starts the quiz _{}_", done.quiz_title))
    lines += [md("• ⚠️ {}", problem) for problem in done.problems]
    note = (
        "Pending members get a DM at 09:00 the day before and on the ack-by day (not when that has passed: "
        "they just got the post); the owners and admins get the final summary at 17:00 on the ack-by day."
    )
    return Message(summary=head, parts=(Text(md("\n").join(lines)), ContextLine((note,))))


def _share(part: int, whole: int) -> Markup:
    return md("{:.0%}", part / whole) if whole else md("–")


def status_message(ws: Workspace, policy: Policy, found: Status, *, final: bool = False) -> Message:
    """Completion by vendor and channel, and who is pending (capped lists)."""
    cascade, quiz = found.cascade, found.cascade.quiz_topic
    everyone = sorted({u for c in found.channels for u in c.members})
    acked = sorted({u for c in found.channels for u in c.acked})
    passed = sorted({u for c in found.channels for u in c.passed})
    head = md("{} of {} acknowledged ({})", len(acked), len(everyone), _share(len(acked), len(everyone)))
    if quiz:
        head += md(", {} passed the quiz ({})", len(passed), _share(len(passed), len(everyone)))
    head += md(" · ack by {}", cascade.ack_by.isoformat())
    lines = []
    for c in found.channels:
        vendor = ws.vendor(c.vendor) if c.vendor else None
        counts = md(
            "{}/{} acknowledged ({})", len(c.acked), len(c.members), _share(len(c.acked), len(c.members))
        )
        line = md("• *{}* {}: {}", vendor.name if vendor else "No vendor", channel(c.channel), counts)
        if quiz:
            line += md(", {} passed", len(c.passed))
        lines.append(line)
    label = "final summary" if final else "cascade"
    parts: list[Part] = [Header(md("{} · {}", _title(policy), label)), Text(head)]
    if lines:
        parts.append(Text(md("\n").join(lines)))
    else:
        parts.append(Text(md("No channel of yours is among this update's targets.")))
    pending = found.pending_people()
    if pending:
        parts.append(Text(md("*Pending ({})*: {}", len(pending), people(pending))))
    return Message(summary=md("{}: {}", _title(policy), head), parts=tuple(parts))
