"""What calibration shows before the reveal: the form, each participant's ballot (one item at a time,
updated in place), the facilitator's progress and the reminders. Neutral chat model only; the results
and the reading views are in `results_views.py`.

Before the reveal nothing shows anyone's votes but the voter's own: no counts, no distribution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo

from bot.chat.model import (
    Button,
    Buttons,
    ChoiceInput,
    ContextLine,
    Form,
    Header,
    Markup,
    Message,
    Option,
    Part,
    Select,
    Text,
    TextInput,
    channel,
    md,
    people,
    user,
)
from bot.workspace import Queue
from handlers.calibration.store import labels_of
from storage.models import CalibrationItem, CalibrationSession

NEW_FORM = "calibrate:new"
REASON_FORM = "calibrate:reason"
OPEN_FORM = "calibrate-open"  # opens the form where a command has no trigger (Teams)
VOTE = "calibrate-vote:"  # + the label's index: action ids in one message stay distinct
SHOW = "calibrate-show:"  # + prev/next: go to another item of the ballot
GOTO = "calibrate-goto"  # the finished ballot's "change an item" select
REASON = "calibrate-reason"
LINK = "calibrate-link"
REVEAL = "calibrate-reveal"
REPOST = "calibrate-repost"  # "Post the results again": session|attempt
UPLOAD_FORM = "calibrate-upload"  # "Create a session from these items": opens the form, value the draft id
SOURCE_CSV, SOURCE_AUDITS, SOURCE_UPLOAD = "csv", "audits", "upload"
TITLE_MAX = 120
MENU_MAX = 100  # options a menu holds (Slack's static select)
MAX_LABELS = 20  # a ballot's label buttons in one row (the form refuses queues with more)
SECTION_CHARS = 2800  # a section holds 3,000: item lines are packed into sections under this
BLIND = "Blind: nobody sees anyone's votes until the reveal."


def session_id(number: int) -> str:
    return f"CAL-{number}"


def when(at: datetime, tz: tzinfo) -> str:
    return f"{at.astimezone(tz):%a %d %b %H:%M}"


def percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def item_line(item: CalibrationItem) -> Markup:
    """ID, link and neutral note: never the content."""
    line = md("`{}`", item.item_id)
    if item.link:
        line += md(" · {}", item.link)
    if item.note:
        line += md(" · _{}_", item.note)
    return line


def packed(lines: Sequence[Markup]) -> list[Part]:
    """Lines in as few sections as fit Slack's 3,000 characters each."""
    parts: list[Part] = []
    chunk: list[Markup] = []
    size = 0
    for line in lines:
        length = len(line.plain) + 1
        if chunk and size + length > SECTION_CHARS:
            parts.append(Text(md("\n").join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += length
    if chunk:
        parts.append(Text(md("\n").join(chunk)))
    return parts


# ----- the form ------------------------------------------------------------------------------


def new_form(
    queues: Sequence[Queue],
    state: str,
    due_hint: str,
    *,
    title: str = "",
    queue: str | None = None,
    from_audits: bool = False,
    results_to: str | None = None,
    upload: tuple[str, int] | None = None,
) -> Form:
    """The new-session form; a quality recommendation opens it with its queue, a title and the items
    to be picked from the audited disagreements, and names the channel the results go to (not the
    one it was opened from). `upload`, the name and item count of a file sent to the bot, adds it as a
    third source, chosen. A menu holds at most 100 options."""
    options = tuple(Option(f"{q.name} ({q.id})"[:75], q.id) for q in queues)[:MENU_MAX]
    where = md("{}", channel(results_to)) if results_to else md("this channel")
    sources: tuple[Option, ...] = (
        Option("The CSV pasted below", SOURCE_CSV),
        Option("Pick from the audited disagreements", SOURCE_AUDITS),
    )
    source = SOURCE_AUDITS if from_audits else SOURCE_CSV
    if upload is not None:
        sources += (Option(uploaded_option(*upload), SOURCE_UPLOAD),)
        source = SOURCE_UPLOAD
    return Form(
        form_id=NEW_FORM,
        title="Calibration session",
        submit="Create",
        state=state,
        intro=(Text(md("Participants rate each item blind in their DM; the results go to {}.", where)),),
        inputs=(
            TextInput(
                "title",
                "Title",
                placeholder="Hate speech EN: quoted slurs",
                max_length=TITLE_MAX,
                initial=title[:TITLE_MAX] or None,
            ),
            ChoiceInput("queue", "Queue (its labels are the answers)", options, initial=queue),
            TextInput(
                "participants",
                "Participants",
                placeholder="U0LABEL01 U0LABEL02 #vendor-northwind group:qa-leads",
                hint="People, a channel (its members) or a group, as /quiz assign takes them.",
            ),
            TextInput("due", "Reveal at (YYYY-MM-DD HH:MM, workspace time)", placeholder=due_hint),
            ChoiceInput("source", "Items", sources, initial=source),
            TextInput(
                "items",
                "Items CSV: item_id,link,note,reference",
                multiline=True,
                optional=True,
                max_length=3000,
                placeholder="item_id,link,note,reference\nITEM-1,https://tool.example/1,,allow",
                hint="One item per line; link, note and reference may be empty. At most 50 items.",
            ),
            TextInput("count", "Or: how many disagreements to pick", optional=True, placeholder="10"),
            TextInput("days", "From the last … days", optional=True, placeholder="28"),
        ),
    )


def uploaded_option(name: str, count: int) -> str:
    """The form's third source; an option holds 75 characters, so a long file name is cut."""
    tail = f" ({count} items)"
    shown = name if len(name) <= 48 else name[:47] + "…"
    return f"The uploaded file {shown}{tail}"


def upload_read(name: str, count: int, draft_id: int) -> Message:
    """The answer to a valid items file: the form is opened from here, with the file chosen."""
    button = Button(
        "Create a session from these items",
        UPLOAD_FORM,
        value=str(draft_id),
        style="primary",
        opens_form=True,
    )
    said = md("{} items read from {}", count, name)
    hint = md("The references are checked against the queue you choose in the form.")
    return Message.of(said, Text(md("📥 ") + said), ContextLine((hint,)), Buttons((button,)))


def upload_refused(name: str, problems: Sequence[str], shown: int = 20) -> Message:
    """The answer to an invalid items file: every problem by line (the first `shown`), nothing kept."""
    lines = [md("• {}", problem) for problem in problems[:shown]]
    if len(problems) > shown:
        lines.append(md("… and {} more", len(problems) - shown))
    head = md("❌ {}: no items kept. Fix these and send the file again:", name)
    columns = md("Columns: `item_id` (required), `link`, `note`, `reference`; at most 50 items.")
    return Message.of(head, Text(head), *packed(lines), ContextLine((columns,)))


def open_form_message() -> Message:
    button = Button("Create a calibration session", OPEN_FORM, style="primary", opens_form=True)
    return Message.of("Create a calibration session", Text("Open the form:"), Buttons((button,)))


# ----- the ballot ----------------------------------------------------------------------------


def ballot_message(
    row: CalibrationSession,
    items: Sequence[CalibrationItem],
    mine: Mapping[int, str],
    position: int,
    tz: tzinfo,
) -> Message:
    """One item to rate, with a button per label; the person's own vote marked, nobody else's."""
    item = next(i for i in items if i.position == position)
    labels = _labels(row)
    chosen = mine.get(position)
    sid = row.session_id
    header = md("{} · {}", session_id(sid), row.title)
    parts: list[Part] = [
        Header(header),
        Text(md("*Item {} of {}*: ", position, len(items)) + item_line(item)),
        ContextLine(
            (md("{} Reveal {}; you can change your votes until then.", BLIND, when(row.due_at, tz)),)
        ),
    ]
    if chosen is not None:
        parts.append(Text(md("Your vote: *{}*", chosen)))
    votes = tuple(
        Button(
            label[:75],
            f"{VOTE}{index}",
            value=f"{sid}|{position}|{label}",
            style="primary" if label == chosen else None,
        )
        for index, label in enumerate(labels)
    )
    parts.append(Buttons(votes, block_id=f"calibrate-{sid}-{position}-labels"))
    more: list[Button] = []
    if item.link:
        more.append(Button("Open the item", LINK, value=f"{sid}|{position}", url=item.link))
    more.append(Button("Add a reason", REASON, value=f"{sid}|{position}", opens_form=True))
    if position > 1:
        more.append(Button("◀ Previous", f"{SHOW}prev", value=f"{sid}|{position - 1}"))
    if position < len(items):
        more.append(Button("Next ▶", f"{SHOW}next", value=f"{sid}|{position + 1}"))
    parts.append(Buttons(tuple(more), block_id=f"calibrate-{sid}-{position}-more"))
    summary = md("{}: item {} of {}", session_id(sid), position, len(items))
    return Message(summary=summary, parts=tuple(parts))


def done_message(
    row: CalibrationSession, items: Sequence[CalibrationItem], mine: Mapping[int, str], tz: tzinfo
) -> Message:
    """Everything rated: the person may still change any vote until the reveal."""
    sid = row.session_id
    options = tuple(
        Option(f"{i.position}. {i.item_id} (yours: {mine.get(i.position, '-')})"[:75], f"{sid}|{i.position}")
        for i in items[:100]
    )
    return Message.of(
        md("{}: all rated", session_id(sid)),
        Header(md("{} · {}", session_id(sid), row.title)),
        Text(
            md("✅ All {} items rated. Change any until the reveal ({}).", len(items), when(row.due_at, tz))
        ),
        Select(GOTO, "Change an item…", options, block_id=f"calibrate-{sid}-goto"),
        ContextLine((BLIND,)),
    )


def revealed_ballot(row: CalibrationSession) -> Message:
    return Message.text(
        md(
            "🔒 {} *{}* is revealed: votes are closed. The results are in {}.",
            session_id(row.session_id),
            row.title,
            channel(row.channel),
        )
    )


def reason_form(row: CalibrationSession, item: CalibrationItem, chosen: str | None, state: str) -> Form:
    labels = tuple(Option(label[:75], label) for label in _labels(row))
    return Form(
        form_id=REASON_FORM,
        title=f"Item {item.position}"[:24],
        submit="Vote",
        state=state,
        intro=(Text(md("*Item {}*: ", item.position) + item_line(item)), ContextLine((BLIND,))),
        inputs=(
            ChoiceInput("label", "Your label", labels, initial=chosen),
            TextInput("reason", "Why (optional)", multiline=True, optional=True, max_length=500),
        ),
    )


VOTE_SAID = {
    "unknown": "⛔ I know no such calibration session.",
    "not_invited": "⛔ You are not a participant of this calibration session.",
    "revealed": "🔒 This session is revealed: votes are closed.",
    "bad_item": "⛔ That item is not part of this session.",
    "bad_label": "⛔ That label is not one of this session's answers.",
}


def _labels(row: CalibrationSession) -> list[str]:
    return labels_of(row)


# ----- progress and reminders ----------------------------------------------------------------


def progress_message(
    row: CalibrationSession,
    queue: Queue | None,
    finished: Sequence[str],
    waiting: Sequence[str],
    items: int,
    tz: tzinfo,
) -> Message:
    """Who has finished and who has not (never what anyone chose), with Reveal now while open."""
    sid = row.session_id
    queue_name = queue.name if queue else row.queue
    parts: list[Part] = [
        Header(md("{} · {}", session_id(sid), row.title)),
        Text(
            md(
                "*{}* · {} items · reveal {} in {}",
                queue_name,
                items,
                when(row.due_at, tz),
                channel(row.channel),
            )
        ),
        Text(
            md("✅ *Finished ({})*: ", len(finished))
            + (people(list(finished)) if finished else md("nobody yet"))
        ),
        Text(md("⏳ *Not yet ({})*: ", len(waiting)) + (people(list(waiting)) if waiting else md("nobody"))),
    ]
    if row.status == "open":
        button = Button("Reveal now", REVEAL, value=str(sid), style="danger")
        parts.append(Buttons((button,), block_id=f"calibrate-{sid}-progress"))
    else:
        revealed = when(row.revealed_at or row.due_at, tz)
        parts.append(Text(md("🔓 Revealed {}: the results are in {}.", revealed, channel(row.channel))))
    summary = md("{}: {} of {} finished", session_id(sid), len(finished), len(finished) + len(waiting))
    return Message(summary=summary, parts=tuple(parts))


def unreached_message(row: CalibrationSession, unreached: Sequence[tuple[str, str]]) -> Message:
    """People the bot could not DM their ballot: the facilitator hears who and why, to follow up."""
    who = md(", ").join(md("{} ({})", user(person), code) for person, code in unreached)
    return Message.text(
        md(
            "⚠️ {} *{}*: I could not send the ballot to {}. They cannot vote until they can get my DMs.",
            session_id(row.session_id),
            row.title,
            who,
        )  # fmt: skip
    )


def reminder_message(row: CalibrationSession, rated: int, items: int, tz: tzinfo) -> Message:
    return Message.text(
        md(
            "⏰ {} *{}*: you have rated {} of {} items; the reveal is {}. Your ballot is above in our DM.",
            session_id(row.session_id),
            row.title,
            rated,
            items,
            when(row.due_at, tz),
        )
    )
