"""What escalations show: the raise form, the message in the escalation channel (updated in place),
the thread notes, the reminders, the list and the detail view. Neutral chat model only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.chat.model import (
    Button,
    Buttons,
    ChoiceInput,
    ContextLine,
    Fields,
    Form,
    Header,
    Markup,
    Message,
    Option,
    Part,
    Text,
    TextInput,
    channel,
    command,
    md,
    people,
    user,
)
from bot.workspace import Workspace
from bot.workspace_escalation import SEVERITIES, SEVERITY_MEANINGS
from handlers.escalate.directory import Reach
from handlers.escalate.durations import span
from storage.models.escalation import Escalation, EscalationEvent

NEW_FORM = "escalate:new"
UPDATE_FORM = "escalate:update"
SEVERITY_FORM = "escalate:severity"
RESOLVE_FORM = "escalate:resolve"
OPEN_FORM = "escalate-open"  # a button that opens the raise form (Teams, where commands have no trigger)
ACK = "escalate-ack"
UPDATE = "escalate-update"
SEVERITY = "escalate-severity"
RESOLVE = "escalate-resolve"
REOPEN = "escalate-reopen"
NO_QUEUE = "-"
TITLE_MAX = 120
CAUSES = {
    "release": "a release or configuration change",
    "infrastructure": "infrastructure or capacity",
    "third_party": "a third-party service",
    "data": "data or routing rules",
    "vendor_side": "the vendor's side (network, devices, access)",
    "unknown": "not known yet",
}
# A section holds 3,000 characters: lines of up to ~190 (list) and ~200 (timeline) must fit.
LIST_SHOWN = 12
TIMELINE_SHOWN = 12
STATUS_ICON = {"open": "🔴", "acknowledged": "🟠", "resolved": "✅"}


def at(moment: datetime, ws: Workspace) -> str:
    local = moment.astimezone(ws.tz)
    return f"{local:%d %b %H:%M} {local.tzname()}"


def esc_id(number: int) -> str:
    return f"ESC-{number}"


def _queue_name(ws: Workspace, queue: str | None) -> str:
    found = queue and ws.queue(queue)
    return found.name if found else (queue or "not queue-specific")


def _platform_name(ws: Workspace, platform: str) -> str:
    found = ws.platform_entry(platform)
    return found.name if found else platform


def severity_options() -> tuple[Option, ...]:
    return tuple(Option(f"{s}: {SEVERITY_MEANINGS[s]}"[:75], s) for s in SEVERITIES)


def raise_form(
    ws: Workspace,
    queues: Sequence[str],
    *,
    state: str,
    title: str = "",
    description: str = "",
    queue: str | None = None,
    impact: str = "",
    link: str | None = None,
) -> Form:
    """The raise form; `state` carries what the raising means (a fresh token per opened form)."""
    # "Not queue-specific" first: a select shows at most 100 options, so a long queue list is cut.
    queue_options = tuple(Option(_queue_name(ws, q)[:75], q) for q in queues[:99])
    platforms = tuple(Option(p.name[:75], p.id) for p in ws.platforms)
    hint = "Left empty, it is filled from the queue data: backlog, recent output, active labelers."
    return Form(
        form_id=NEW_FORM,
        title="Escalate an issue",
        submit="Escalate",
        state=state,
        inputs=(
            ChoiceInput("queue", "Queue", (Option("Not queue-specific", NO_QUEUE), *queue_options),
                        initial=queue or None),
            ChoiceInput("platform", "Platform or tool", platforms),
            ChoiceInput("severity", "Severity", severity_options()),
            TextInput("title", "Title", initial=title[:TITLE_MAX] or None, max_length=TITLE_MAX),
            TextInput("description", "What is happening", multiline=True, initial=description or None,
                      max_length=2500),
            TextInput("impact", "Impact", multiline=True, optional=True, initial=impact or None,
                      hint=hint, max_length=2500),
            TextInput("link", "Link (optional)", optional=True, initial=(link or "")[:1000] or None,
                      placeholder="https://…", max_length=1000),
        ),
    )  # fmt: skip


def open_form_button(queue: str | None = None, title: str = "") -> Button:
    """Opens the raise form; its value carries what the command already said (queue, title)."""
    value = f"{queue or ''}|{title[:TITLE_MAX]}"
    return Button("Open the escalation form", OPEN_FORM, value=value, style="primary", opens_form=True)


def parse_open_value(value: str) -> tuple[str | None, str]:
    queue, _, title = value.partition("|")
    return queue or None, title[:TITLE_MAX]


def open_form_message(queue: str | None, title: str) -> Message:
    """Where a command cannot open a form itself (Teams, a mention): a button that does."""
    return Message.of("Escalate an issue", Text("Describe the issue in the form."),
                      Buttons((open_form_button(queue, title),)))  # fmt: skip


def home_section(rows: Sequence[Escalation], ws: Workspace, now: datetime, may_raise: bool) -> list[Part]:
    """The home tab: the open escalations this person may see, and a button to raise one."""
    shown = [
        md("{} *{}* {} · {} · {} ago", STATUS_ICON.get(r.status, ""), esc_id(r.number), r.severity, r.title,
           span(now - r.opened_at))
        for r in rows[:5]
    ]  # fmt: skip
    more = [md("… and {} more: {}", len(rows) - 5, command("escalate list"))] if len(rows) > 5 else []
    body = md("\n").join([*shown, *more]) if rows else md("No open escalations you follow.")
    parts: list[Part] = [Text(md("*Escalations*\n{}", body))]
    if may_raise:
        parts.append(Buttons((open_form_button(),)))
    return parts


def _status_line(esc: Escalation, ws: Workspace) -> Markup:
    icon = STATUS_ICON.get(esc.status, "")
    if esc.status == "resolved" and esc.resolved_at:
        return md("{} Resolved by {} after {}", icon, user(esc.resolved_by or ""),
                  span(esc.resolved_at - esc.opened_at))  # fmt: skip
    if esc.status == "acknowledged" and esc.owner and esc.acknowledged_at:
        when = (
            f"after {span(esc.acknowledged_at - esc.opened_at)}"
            if not esc.generation
            else f"at {at(esc.acknowledged_at, ws)}"
        )
        return md("{} Acknowledged by {} {}", icon, user(esc.owner), when)
    reopened = " (reopened)" if esc.generation else ""
    return md("{} Not acknowledged yet{}", icon, reopened)


def buttons(esc: Escalation) -> Buttons:
    value = str(esc.number)
    if esc.status == "resolved":
        return Buttons((Button("Reopen", REOPEN, value),))
    shown = []
    if esc.status == "open":
        shown.append(Button("Acknowledge", ACK, value, style="primary"))
    shown += [
        Button("Post update", UPDATE, value, opens_form=True),
        Button("Change severity", SEVERITY, value, opens_form=True),
        Button("Resolve", RESOLVE, value, opens_form=True),
    ]
    return Buttons(tuple(shown), block_id=f"escalate-{esc.number}")


def escalation_message(esc: Escalation, ws: Workspace) -> Message:
    """The message in the escalation channel: what, where, who and where it stands; updated in place."""
    vendor = ws.vendor(esc.vendor) if esc.vendor else None
    head = f"{esc_id(esc.number)} · {esc.severity} · {esc.title}"[:150]
    facts: list[Markup] = [
        md("*Status*\n{}", _status_line(esc, ws)),
        md("*Severity*\n{}: {}", esc.severity, SEVERITY_MEANINGS.get(esc.severity, "")),
        md("*Queue*\n{}", _queue_name(ws, esc.queue)),
        md("*Vendor · site*\n{} · {}", vendor.name if vendor else (esc.vendor or "–"), esc.site or "–"),
        md("*Platform*\n{}", _platform_name(ws, esc.platform)),
        md("*Reporter*\n{}", user(esc.reporter)),
        md("*Started*\n{}", at(esc.opened_at, ws)),
        md("*Owner*\n{}", user(esc.owner) if esc.owner else md("nobody yet")),
    ]
    parts: list[Part] = [
        Header(head),
        Fields(tuple(facts)),
        Text(md("*What is happening*\n{}", esc.description[:1400])),
        Text(md("*Impact*\n{}", esc.impact[:1400] or "–")),
    ]
    if esc.last_update and esc.last_update_at:
        parts.append(Text(md("*Last update* ({}, {})\n{}", user(esc.last_update_by or ""),
                             at(esc.last_update_at, ws), esc.last_update[:1400])))  # fmt: skip
    if esc.status == "resolved" and esc.resolution:
        cause = CAUSES.get(esc.cause or "", esc.cause or "")
        parts.append(Text(md("*Resolution* (cause: {})\n{}", cause, esc.resolution[:1400])))
    if esc.link:
        parts.append(ContextLine((md("Link: {}", esc.link),)))
    parts.append(buttons(esc))
    summary = md("{} {} {}: {}", esc_id(esc.number), esc.severity, esc.status, esc.title)
    return Message(summary=summary, parts=tuple(parts))


def first_reply(esc: Escalation, reach: Reach, ws: Workspace) -> Message:
    """The thread's first reply: the people who must look, mentioned once, by role."""
    lines: list[Markup] = []
    platform = _platform_name(ws, esc.platform)
    if reach.tier1:
        lines.append(md("R&D on-call for {}: {}", platform, people(list(reach.tier1))))
    else:
        lines.append(md("⚠️ No R&D on-call is configured for {}: the admins have been told.", platform))
    vendor = ws.vendor(esc.vendor) if esc.vendor else None
    for label, found in reach.contacts:
        role = label[:1].upper() + label[1:]  # "BPO operations" keeps its capitals
        lines.append(
            md("{} at {}: {}", role, vendor.name if vendor else esc.vendor or "", people(list(found)))
        )
    if esc.vendor and not reach.contacts:
        lines.append(md("⚠️ No BPO contacts are configured for {}: the admins have been told.",
                        vendor.name if vendor else esc.vendor))  # fmt: skip
    lines.append(md("Please *Acknowledge* on the message above when you take it; updates go in this thread."))
    text = md("\n").join(lines)
    return Message(summary=md("{} needs you: {}", esc_id(esc.number), esc.title), parts=(Text(text),))


def _where(esc: Escalation, link: str | None) -> Markup:
    """The escalation's name, with its link where the platform gave one (a plain URL links itself)."""
    return md("{} ({})", esc_id(esc.number), link) if link else md("{}", esc_id(esc.number))


def reporter_dm(esc: Escalation, link: str | None) -> Message:
    text = md(
        "Your escalation {} “{}” is posted in {}. I will tell you here when it is resolved.",
        _where(esc, link), esc.title, channel(esc.channel),
    )  # fmt: skip
    return Message.text(text)


def missing_contacts(esc: Escalation, missing: Sequence[str]) -> Message:
    lines = md("\n").join(md("• {}", m) for m in missing)
    text = md("{} was posted in {}, but the directory is missing:\n{}\nAdd them to the workspace file "
              "(`platforms`, vendor `contacts`) or with `tsqa contacts import`.",
              esc_id(esc.number), channel(esc.channel), lines)  # fmt: skip
    return Message(summary=md("{}: contacts missing", esc_id(esc.number)), parts=(Text(text),))


def event_note(esc: Escalation, event: EscalationEvent, ws: Workspace) -> Message | None:
    """The thread note for a change (no one is mentioned but the person who made it)."""
    who = user(event.user or "")
    notes = {
        "acknowledged": md("✋ {} acknowledged this ({}) and owns it now.", who, event.detail),
        "update": md("📝 Update from {}:\n{}", who, event.detail),
        "severity": md("↕️ {} changed the severity: {}.", who, event.detail),
        "resolved": md("✅ {} resolved this: {}", who, event.detail),
        "reopened": md("🔁 {} reopened this: {}", who, event.detail),
    }  # fmt: skip
    text = notes.get(event.kind)
    return Message.text(text) if text is not None else None


def reminder(esc: Escalation, step: int, targets: Sequence[str], waited: timedelta) -> Message:
    if step == 1:
        text = md("⏰ {} is not acknowledged after {}. {}, please acknowledge it or hand it over.",
                  esc_id(esc.number), span(waited), people(list(targets)))  # fmt: skip
    else:
        text = md("📟 Paging R&D escalation: {} ({}) is still not acknowledged after {}. {}",
                  esc_id(esc.number), esc.severity, span(waited), people(list(targets)))  # fmt: skip
    return Message.text(text)


def page_dm(esc: Escalation, link: str | None, waited: timedelta) -> Message:
    text = md("📟 {} {} has had no acknowledgement for {}: {}. Please look now.",
              esc.severity, _where(esc, link), span(waited), esc.title)  # fmt: skip
    return Message.text(text)


def nudge(esc: Escalation, silent: timedelta) -> Message:
    text = md("⏰ {}, no update on {} for {}. Please post one (Post update), even if nothing changed.",
              user(esc.owner or ""), esc_id(esc.number), span(silent))  # fmt: skip
    return Message.text(text)


def update_form(esc: Escalation, state: str) -> Form:
    return Form(UPDATE_FORM, f"Update {esc_id(esc.number)}"[:24], (
        TextInput("update", "What changed", multiline=True, max_length=2500),
    ), submit="Post", state=state)  # fmt: skip


def severity_form(esc: Escalation, state: str) -> Form:
    return Form(SEVERITY_FORM, f"Severity {esc_id(esc.number)}"[:24], (
        ChoiceInput("severity", "New severity", severity_options(), initial=esc.severity),
        TextInput("reason", "Why", optional=True, max_length=500),
    ), submit="Change", state=state)  # fmt: skip


def resolve_form(esc: Escalation, state: str) -> Form:
    causes = tuple(Option(label[:75], key) for key, label in CAUSES.items())
    return Form(RESOLVE_FORM, f"Resolve {esc_id(esc.number)}"[:24], (
        TextInput("resolution", "Resolution", multiline=True, max_length=2500),
        ChoiceInput("cause", "Cause category", causes),
    ), submit="Resolve", state=state)  # fmt: skip


def outcome_message(esc: Escalation | None, done: bool, reason: str, what: str) -> Message:
    """What the person who clicked is told (privately)."""
    if esc is None:
        return Message.text("⛔ I know no such escalation.")
    if done:
        return Message.text(md("{} {}.", esc_id(esc.number), what))
    reasons = {
        "already": md("{} was already {}.", esc_id(esc.number), what),
        "acknowledged": md("{} is already acknowledged by {}.", esc_id(esc.number), user(esc.owner or "")),
        "resolved": md("{} is resolved: reopen it first.", esc_id(esc.number)),
        "not resolved": md("{} is not resolved.", esc_id(esc.number)),
        "same": md("{} is already {}.", esc_id(esc.number), esc.severity),
    }
    return Message.text(reasons.get(reason, md("{}: {}", esc_id(esc.number), reason)))


def list_message(rows: Sequence[Escalation], ws: Workspace, which: str, now: datetime) -> Message:
    if not rows:
        return Message.text(md("No escalations ({}).", which))
    lines = [
        md("{} *{}* {} · {} · {} · {} · {} ago", STATUS_ICON.get(r.status, ""), esc_id(r.number), r.severity,
           r.status, _queue_name(ws, r.queue), r.title, span(now - r.opened_at))
        for r in rows[:LIST_SHOWN]
    ]  # fmt: skip
    more = [md("… and {} more, older", len(rows) - LIST_SHOWN)] if len(rows) > LIST_SHOWN else []
    return Message.of(md("Escalations ({})", which), Header(f"Escalations ({which})"),
                      Text(md("\n").join([*lines, *more])))  # fmt: skip


def detail_message(esc: Escalation, events: Sequence[EscalationEvent], ws: Workspace) -> Message:
    top = escalation_message(esc, ws)
    lines = [
        md("{} · {} · {} {}", at(e.at, ws), e.kind, user(e.user) if e.user else md("tsqa"), e.detail[:120])
        for e in events[-TIMELINE_SHOWN:]
    ]
    where = [ContextLine((md("Thread in {}", channel(esc.channel)),))] if esc.ts else []
    parts = [p for p in top.parts if not isinstance(p, Buttons)]
    return Message(top.summary, (*parts, Text(md("*Timeline*\n{}", md("\n").join(lines))), *where))


def resolved_dm(esc: Escalation, link: str | None) -> Message:
    text = md("✅ Your escalation {} \u201c{}\u201d is resolved: {}", _where(esc, link), esc.title,
              esc.resolution or "")  # fmt: skip
    return Message.text(text)
