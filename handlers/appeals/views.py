"""What appeals show: a labeler's audited disagreements with the Appeal button, the appeal form, the
review thread with Uphold/Overturn, the reviewer's form, the notices and reminders. Neutral chat model;
items are named by ID and link, never by content."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

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
from bot.workspace_appeals import AppealSettings
from handlers.appeals import window
from handlers.appeals.store import Audited
from storage.models.appeals import OPEN, OVERTURNED, UPHELD, Appeal

APPEAL = "appeal.open"  # value: the decision's key
UPHOLD = "appeal.uphold"  # value: the appeal's number
OVERTURN = "appeal.overturn"
FILE_FORM = "appeal.file"
DECIDE_FORM = "appeal.decide"
MAX_REASON = 1500
MAX_SECTION = 200
MAX_NOTE = 1500
STATUS_WORDS = {OPEN: "in review", UPHELD: "upheld", OVERTURNED: "overturned"}
SHOWN = 15  # items in one message: each takes two blocks of Slack's fifty
_SECOND = timedelta(seconds=1)  # due_at is the midnight after the due day: a second before names the day


def label(value: str | None) -> str:
    return (value or "(none)").replace("_", " ")


def _day(at: datetime, workspace: Workspace) -> str:
    return at.astimezone(workspace.tz).date().isoformat()


def _queue_name(workspace: Workspace, queue_id: str) -> str:
    queue = workspace.queue(queue_id)
    return queue.name if queue else queue_id


def _item(workspace: Workspace, queue_id: str, item_id: str) -> Markup:
    """`item_id` on the queue, with the labelling tool's link when the workspace gives one."""
    queue = workspace.queue(queue_id)
    link = queue.link_to(item_id) if queue else None
    line = md("`{}` on {}", item_id, _queue_name(workspace, queue_id))
    return line + md(" · {}", link) if link else line


def _status(item: Audited) -> Markup:
    if item.status is None:
        return md("")
    return md(" · _appealed, {} (#{})_", STATUS_WORDS.get(item.status, item.status), item.appeal_id)


def disagreement_line(item: Audited, workspace: Workspace) -> Markup:
    return md(
        "{} · you: *{}* · QA: *{}* · audited {}{}",
        _item(workspace, item.key.queue, item.key.item_id), label(item.decision), label(item.qa_decision),
        _day(item.audited_at, workspace), _status(item),
    )  # fmt: skip


def mine_message(
    items: Sequence[Audited], workspace: Workspace, now: datetime, *, weekly: bool = False
) -> Message:
    """The labeler's audited disagreements, newest first; an Appeal button on those still in time."""
    settings = workspace.appeals
    if not items:
        return Message.text(
            md("No audited disagreements on your decisions in the last {} days.", _days_listed(workspace))
        )
    title = "Audited decisions you may want to appeal" if weekly else "Your audited disagreements"
    parts: list[Part] = [Header(title)]
    for item in items[:SHOWN]:
        parts.append(Text(disagreement_line(item, workspace)))
        if (
            settings is not None
            and item.status is None
            and window.is_open(item.audited_at, now, settings, workspace.tz)
        ):
            closes = window.closes_on(item.audited_at, settings, workspace.tz)
            parts.append(
                Buttons(
                    (Button(f"Appeal (until {closes.isoformat()})", APPEAL, item.key.value, opens_form=True),)
                )
            )
    more = len(items) - SHOWN
    notes: list[Markup | str] = []
    if more > 0:
        notes.append(md("{} more not shown: appeal these first, or ask a QA lead.", more))
    if settings is None:
        notes.append("Appeals are not set up in this workspace (no `appeals:` section): ask a QA lead.")
    else:
        notes.append(
            md("An appeal is taken up to {} days after the audit; someone other than the auditor reviews it "
               "within {} working days.", settings.window_days, settings.review_days)
        )  # fmt: skip
    parts.append(ContextLine(tuple(notes)))
    return Message.of(md("{} audited disagreement(s) on your decisions", len(items)), *parts)


def _days_listed(workspace: Workspace) -> int:
    return workspace.appeals.window_days if workspace.appeals else 7


def appeal_form(item: Audited, workspace: Workspace, closes: date) -> Form:
    intro = (
        Text(disagreement_line(item, workspace)),
        ContextLine(
            (
                md(
                    "Appeals on this audit are taken until the end of {} ({}).",
                    closes.isoformat(),
                    workspace.timezone,
                ),
            ),
        ),  # fmt: skip
    )
    return Form(
        FILE_FORM,
        "Appeal a QA verdict",
        (
            TextInput(
                "reason",
                "Why the verdict is wrong",
                multiline=True,
                max_length=MAX_REASON,
                placeholder="What the policy says and why your label follows it",
            ),  # fmt: skip
            TextInput(
                "section", "Policy section", max_length=MAX_SECTION, placeholder="e.g. 4.2 or a policy link"
            ),
        ),
        submit="Appeal",
        intro=intro,
        state=item.key.value,
    )


def late_text(closes: date, audited_on: date) -> str:
    return (
        f"Appeals on this audit closed at the end of {closes.isoformat()} "
        f"(the audit was on {audited_on.isoformat()}): it is too late to appeal it."
    )


def _facts(appeal: Appeal, workspace: Workspace) -> Fields:
    vendor = workspace.vendor(appeal.vendor)
    return Fields((
        md("*Item*\n{}", _item(workspace, appeal.queue, appeal.item_id)),
        md("*Labeler*\n`{}` ({}, {})", appeal.labeler_id, vendor.name if vendor else appeal.vendor,
           appeal.site),
        md("*Labeler's label*\n{}", label(appeal.decision)),
        md("*QA's label*\n{}", label(appeal.qa_decision)),
        md("*Auditor*\n{}", appeal.qa_auditor or "not named in the data"),
        md("*Audited*\n{}", _day(appeal.audited_at, workspace)),
    ))  # fmt: skip


def thread_message(appeal: Appeal, workspace: Workspace) -> Message:
    """The appeal in the review channel: open with the buttons, decided with the outcome."""
    title = md(
        "Appeal #{}: {} on {}",
        appeal.appeal_id,
        label(appeal.qa_decision),
        _queue_name(workspace, appeal.queue),
    )
    parts: list[Part] = [Header(title), _facts(appeal, workspace)]
    parts.append(Text(md("*Reason*\n{}", appeal.reason)))
    parts.append(Text(md("*Policy section*: {}", appeal.policy_section)))
    if appeal.status == OPEN:
        parts.append(
            ContextLine(
                (
                    md(
                        "Filed {} · review due by the end of {} · the auditor does not review it.",
                        _day(appeal.filed_at, workspace),
                        _day(appeal.due_at - _SECOND, workspace),
                    ),
                )
            )  # fmt: skip
        )
        number = str(appeal.appeal_id)
        parts.append(Buttons((
            Button("Uphold", UPHOLD, number, opens_form=True),
            Button("Overturn", OVERTURN, number, style="primary", opens_form=True),
        )))  # fmt: skip
    else:
        parts.append(Text(_outcome(appeal, workspace)))
    return Message.of(title, *parts)


def _outcome(appeal: Appeal, workspace: Workspace) -> Markup:
    verb = "Overturned" if appeal.status == OVERTURNED else "Upheld"
    reviewer = user(appeal.reviewer) if appeal.reviewer else md("a reviewer")
    on = _day(appeal.decided_at, workspace) if appeal.decided_at else ""
    line = md("*{}* by {} on {}: {}", verb, reviewer, on, appeal.note or "")
    if appeal.status == OVERTURNED:
        agreed = appeal.final_label == appeal.decision
        counts = (
            "quality counts the decision as agreed" if agreed else "the labeler's label was not right either"
        )
        line += md("\nQA's label is now *{}*; {}.", label(appeal.final_label), counts)
    return line


def right_labels(appeal: Appeal, workspace: Workspace) -> list[str]:
    """What an overturn may make the QA label: the queue's labels but QA's own (that is upholding),
    the labeler's first; just the labeler's where the queue lists none."""
    queue = workspace.queue(appeal.queue)
    listed = [x for x in (queue.labels if queue else []) if x != appeal.qa_decision]
    if (
        appeal.decision
        and appeal.decision != appeal.qa_decision
        and appeal.decision not in listed
        and not listed
    ):
        listed = [appeal.decision]
    first = [appeal.decision] if appeal.decision in listed else []
    return first + [x for x in listed if x not in first]


def decide_form(appeal: Appeal, outcome: str, workspace: Workspace) -> Form:
    verb = "Overturn" if outcome == OVERTURNED else "Uphold"
    inputs: list[TextInput | ChoiceInput] = []
    if outcome == OVERTURNED:
        effect = md(
            "Overturning replaces QA's *{}* with the label you choose; when it is the labeler's *{}*, "
            "quality counts the decision as agreed.", label(appeal.qa_decision), label(appeal.decision)
        )  # fmt: skip
        options = tuple(Option(label(x), x) for x in right_labels(appeal, workspace))
        initial = options[0].value if options else None
        inputs.append(ChoiceInput("label", "The right label", options, initial=initial))
    else:
        effect = md("Upholding keeps *{}* as the QA label.", label(appeal.qa_decision))
    inputs.append(TextInput("note", "Note for the labeler", multiline=True, max_length=MAX_NOTE,
                            placeholder="Why, with the policy section"))  # fmt: skip
    intro = md("{} · labeler *{}* · QA *{}*", _item(workspace, appeal.queue, appeal.item_id),
               label(appeal.decision), label(appeal.qa_decision))  # fmt: skip
    return Form(
        DECIDE_FORM,
        f"{verb} appeal #{appeal.appeal_id}"[:24],
        tuple(inputs),
        submit=verb,
        intro=(Text(intro), ContextLine((effect,))),
        state=f"{appeal.appeal_id}|{outcome}",
    )


def filed_dm(appeal: Appeal, workspace: Workspace, where: str | None) -> Message:
    place = md(" in {}", channel(where)) if where else md("")
    return Message.text(
        md(
            "📨 Appeal #{} on {} is filed{}. Someone other than the auditor reviews it; the review is due by "
            "the "
            "end of {}. I'll tell you the outcome here.",
            appeal.appeal_id,
            _item(workspace, appeal.queue, appeal.item_id),
            place,
            _day(appeal.due_at - _SECOND, workspace),
        )  # fmt: skip
    )


def decided_dm(appeal: Appeal, workspace: Workspace) -> Message:
    item = _item(workspace, appeal.queue, appeal.item_id)
    if appeal.status == OVERTURNED:
        counts = (
            "and your quality counts it as agreed" if appeal.final_label == appeal.decision
            else "which is not yours either, so it still counts as a disagreement"
        )  # fmt: skip
        head = md("✅ Appeal #{} on {} was *overturned*: QA's label is now *{}*, {}.", appeal.appeal_id, item,
                  label(appeal.final_label), counts)  # fmt: skip
    else:
        head = md("Appeal #{} on {} was *upheld*: QA's label *{}* stands.", appeal.appeal_id, item,
                  label(appeal.qa_decision))  # fmt: skip
    return Message.of(head, Text(head), Text(md("*Reviewer's note*: {}", appeal.note or "")))


def reminder(appeal: Appeal, step: int, reviewers: Sequence[str], workspace: Workspace) -> Message:
    due = _day(appeal.due_at - _SECOND, workspace)
    who = people(sorted(reviewers)) if reviewers else md("reviewers")
    if step == 0:
        text = md("⏰ {}: appeal #{} is due for review today ({}).", who, appeal.appeal_id, due)
    else:
        text = md("⏰ {}: appeal #{} is past its review target ({}, {} working day(s) late).", who,
                  appeal.appeal_id, due, step)  # fmt: skip
    return Message.text(text)


def usage(settings: AppealSettings | None, open_appeals: int | None) -> Message:
    lines = [
        md("`{}`: your audited disagreements, with the Appeal button", command("quality mine")),
        md("`{}`: appeal and overturn rates, per queue, vendor and auditor",
           command("appeals report [since YYYY-MM-DD]")),
    ]  # fmt: skip
    if settings is None:
        lines.append(md("Appeals are not set up here: the workspace file has no `appeals:` section."))
    else:
        lines.append(md("Appeals are reviewed in {}.", channel(settings.channel)))
        if open_appeals is not None:
            lines.append(md("{} appeal(s) are waiting for a decision.", open_appeals))
    return Message.text(md("\n").join(lines))


def decided_reply(appeal: Appeal, workspace: Workspace) -> Message:
    return Message.text(_outcome(appeal, workspace))


def unmapped_auditor(appeal: Appeal) -> Message:
    return Message.text(
        md(
            "⚠️ The data names the auditor as “{}”, whom the workspace file does not tie to a chat user "
            "(`appeals.auditors`): reviewers, make sure you did not audit this decision yourself.",
            appeal.qa_auditor,
        )  # fmt: skip
    )


def thread_failed(appeal: Appeal, where: str | None, error: str) -> Message:
    place = channel(where) if where else md("the review channel (the `appeals:` section is gone)")
    return Message.text(
        md(
            "⚠️ Appeal #{} by {} cannot be posted in {} ({}): reviewers do not see it. Add me to the channel "
            "or fix `appeals.channel`; I keep trying every hour and post it then.",
            appeal.appeal_id,
            user(appeal.user_id),
            place,
            error[:200],
        )  # fmt: skip
    )
