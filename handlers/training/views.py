"""What training shows: the new-cohort form, the cohort as created, reminders with Check in, the roll
call with its marks, a move's notice, and the list. Neutral chat model only; the status and the weekly
summary are in `status_views.py`.

Times are the site's local time with its zone named: trainers and labelers may sit elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.chat.model import (
    Button,
    Buttons,
    ContextLine,
    Fields,
    Form,
    Header,
    Markup,
    Message,
    Part,
    Text,
    TextInput,
    channel,
    command,
    md,
    people,
    user,
)
from bot.workspace_training import Site
from handlers.training.cohort import Cohort, Mark
from handlers.training.plan import KIND_NAMES
from handlers.training.schedule import Session
from handlers.training.store import Listed

NEW_FORM = "training:new"
MOVE_FORM = "training:move"
OPEN_FORM = "training-open"  # opens the form where a command has no trigger (Teams)
CHECK_IN = "training-checkin"  # value: cohort|session
MARK = "training-mark:"  # + absent/excused/present; value: cohort|session|user
CALENDAR = "training-calendar"  # value: cohort id
STATUS = "training-status"  # value: cohort id
SESSIONS_SHOWN = 25
MARK_LABELS = {"absent": "Absent", "excused": "Excused", "present": "Present"}


def when(at: datetime) -> str:
    """`Tue 08 Dec 09:00 WET`: the site's own time, its zone named."""
    return f"{at:%a %d %b %H:%M} {at.tzname()}"


def day(at: datetime) -> str:
    return f"{at:%a %d %b %Y}"


def session_line(session: Session) -> Markup:
    part = f" ({session.occurrence}/{session.parts})" if session.parts > 1 else ""
    return md(
        "`{}` {} – {:%H:%M} · *{}*{} · {}",
        session.id,
        when(session.start),
        session.end,
        session.title,
        part,
        KIND_NAMES[session.kind],
    )


def sessions_text(sessions: Sequence[Session], limit: int = SESSIONS_SHOWN) -> list[Part]:
    lines = [session_line(s) for s in sessions[:limit]]
    if len(sessions) > limit:
        lines.append(md("… and {} more: the calendar file has them all", len(sessions) - limit))
    return [Text(md("\n").join(lines))] if lines else []


def cohort_fields(cohort: Cohort, site: Site, go_live: datetime | None = None) -> Fields:
    items: list[Markup] = [
        md("*Vendor*\n{}", cohort.vendor),
        md("*Site*\n{} ({})", site.id, site.timezone),
        md("*Queues*\n{}", ", ".join(cohort.queues)),
        md("*Plan*\n{}", cohort.plan.name),
        md("*Starts*\n{:%a %d %b %Y}", cohort.start),
        md("*Target go-live*\n{:%a %d %b %Y}", cohort.target),
    ]
    return Fields(tuple(items))


def cohort_buttons(cohort: Cohort) -> Buttons:
    return Buttons(
        (
            Button("Calendar file", CALENDAR, str(cohort.id)),
            Button("Status", STATUS, str(cohort.id)),
        )
    )


# ----- creating ------------------------------------------------------------------------------


def new_form(state: str, plans: Sequence[str], today: str, values: dict[str, str] | None = None) -> Form:
    """The new-cohort form. People are typed as mentions or IDs (a channel or group brings its members)."""
    values = values or {}
    return Form(
        form_id=NEW_FORM,
        title="New training cohort",
        submit="Create",
        state=state,
        intro=(Text(md("Plans: {}", ", ".join(plans) if plans else "none yet (add YAML files)")),),
        inputs=(
            TextInput(
                "name", "Cohort name (short, e.g. lisbon-dec)", initial=values.get("name"), max_length=60
            ),
            TextInput("vendor", "Vendor", initial=values.get("vendor")),
            TextInput("site", "Site", initial=values.get("site")),
            TextInput("queues", "Queue(s)", initial=values.get("queues"), placeholder="hate-en spam-pt"),
            TextInput("plan", "Plan", initial=values.get("plan") or (plans[0] if len(plans) == 1 else None)),
            TextInput("start", "Start date (YYYY-MM-DD)", initial=values.get("start"), placeholder=today),
            TextInput("target", "Target go-live date (YYYY-MM-DD)", initial=values.get("target")),
            TextInput("trainers", "Trainers (people)", initial=values.get("trainers")),
            TextInput(
                "labelers",
                "Labelers (people, a channel or a group)",
                multiline=True,
                initial=values.get("labelers"),
                hint="Labeler IDs from the queue data: send the bot a CSV user,labeler_id after.",
            ),
        ),
    )


def open_form_message(channel: str | None = None) -> Message:
    """Where a command opens no form (Teams): its button carries the channel the command came from, so
    the cohort is posted there and not where the button is pressed (the asker's personal chat)."""
    text = md("Open the form to create a training cohort.")
    button = Button("New cohort", OPEN_FORM, channel or "", opens_form=True)
    return Message.of(text, Text(text), Buttons((button,)))


def created_message(cohort: Cohort, site: Site, go_live: str, notes: Sequence[str]) -> Message:
    summary = md(
        "Training cohort *{}* created: {} labelers, go-live {}", cohort.name, len(cohort.labelers), go_live
    )
    parts: list[Part] = [Header(f"Training cohort {cohort.name}"), cohort_fields(cohort, site), Text(summary)]
    parts += [ContextLine((md("{}", note),)) for note in notes]
    parts += [
        Text(
            md(
                "*Trainers*: {}\n*Labelers*: {}",
                people(cohort.trainers),
                people([m.user_id for m in cohort.labelers]),
            )
        ),
        *sessions_text(cohort.sessions),
        cohort_buttons(cohort),
    ]
    return Message.of(summary, *parts)


def welcome_dm(cohort: Cohort, role: str) -> Message:
    first = cohort.sessions[0]
    what = "train" if role == "trainer" else "join"
    summary = md("You {} training cohort *{}*: first session {}", what, cohort.name, when(first.start))
    return Message.of(
        summary,
        Text(summary),
        *sessions_text(cohort.sessions, 10),
        ContextLine(
            (md("Reminders come before each session. {}", command(f"training calendar {cohort.name}")),)
        ),
        cohort_buttons(cohort),
    )


# ----- during training -----------------------------------------------------------------------


def lead_text(minutes: int) -> str:
    if minutes % 1440 == 0:
        return "tomorrow" if minutes == 1440 else f"in {minutes // 1440} days"
    if minutes % 60 == 0:
        return f"in {minutes // 60} h"
    return f"in {minutes} min"


def reminder_dm(cohort: Cohort, session: Session, lead: int, check_in: bool) -> Message:
    summary = md(
        "{} {}: *{}* ({}), cohort {}",
        KIND_NAMES[session.kind],
        lead_text(lead),
        session.title,
        when(session.start),
        cohort.name,
    )
    parts: list[Part] = [Text(summary), Text(session_line(session))]
    if check_in:
        parts.append(Buttons((Button("Check in", CHECK_IN, f"{cohort.id}|{session.id}", style="primary"),)))
        parts.append(ContextLine((md("Check in when the session starts: it records your attendance."),)))
    return Message.of(summary, *parts)


def checked_in(session: Session, mark: Mark, now_new: bool) -> Message:
    if mark.status != "present":
        return Message.text(md("Your trainer marked you {} for *{}*.", mark.status, session.title))
    if now_new:
        return Message.text(
            md(
                "✅ Checked in to *{}* at {:%H:%M}.",
                session.title,
                mark.marked_at.astimezone(session.start.tzinfo),
            )
        )
    return Message.text(
        md(
            "You checked in to *{}* at {:%H:%M} already.",
            session.title,
            mark.marked_at.astimezone(session.start.tzinfo),
        )
    )


def check_in_closed(session: Session, opens: datetime) -> Message:
    return Message.text(
        md(
            "⛔ Check-in for *{}* is open from {} until it ends at {:%H:%M}.",
            session.title,
            when(opens),
            session.end,
        )
    )


def roll_message(cohort: Cohort, session: Session, marks: dict[str, Mark]) -> Message:
    """The trainer's roll call for one session: each labeler's mark, with buttons to change it."""
    summary = md("Attendance for *{}* ({}), cohort {}", session.title, when(session.start), cohort.name)
    parts: list[Part] = [Text(summary)]
    for member in cohort.labelers:
        found = marks.get(member.user_id)
        state = (
            md("checked in {:%H:%M}", found.marked_at.astimezone(session.start.tzinfo))
            if found and found.status == "present" and found.marked_by == member.user_id
            else md("{}", found.status if found else "not checked in")
        )
        parts.append(Text(md("{} · {}", user(member.user_id), state)))
        value = f"{cohort.id}|{session.id}|{member.user_id}"
        choices = [s for s in ("present", "absent", "excused") if not found or found.status != s]
        parts.append(Buttons(tuple(Button(MARK_LABELS[s], MARK + s, value) for s in choices)))
    return Message.of(summary, *parts)


def moved_dm(cohort: Cohort, sessions: Sequence[Session]) -> Message:
    summary = md("Training cohort *{}*: {} session(s) moved", cohort.name, len(sessions))
    return Message.of(
        summary,
        Text(summary),
        *sessions_text(sessions),
        ContextLine(
            (
                md(
                    "The calendar file updates the same events: {}",
                    command(f"training calendar {cohort.name}"),
                ),
            )
        ),
        Buttons((Button("Calendar file", CALENDAR, str(cohort.id)),)),
    )


def move_answer(cohort: Cohort, sessions: Sequence[Session], go_live: str, fits: bool) -> Message:
    if not sessions:
        return Message.text(md("Nothing moved: *{}* is already at that time.", cohort.name))
    summary = md(
        "Moved {} session(s) of *{}*; go-live now {}{}",
        len(sessions),
        cohort.name,
        go_live,
        "" if fits else " (after the target)",
    )
    return Message.of(
        summary,
        Text(summary),
        *sessions_text(sessions),
        ContextLine((md("Everyone in the cohort is told once."),)),
    )


def missing_quiz(cohort: Cohort, session: Session, topic: str) -> Message:
    return Message.text(
        md(
            "⚠️ *{}* ({}) is due but there is no quiz `{}` to assign: load it ({}) and assign it with {}.",
            session.title,
            cohort.name,
            topic,
            command("quiz"),
            command(f"quiz assign {topic} to …"),
        )
    )


def listing(rows: Sequence[Listed]) -> Message:
    if not rows:
        return Message.text(md("No active training cohorts. {} creates one.", command("training new")))
    lines = [
        md(
            "*{}* · {} · {} · {} labelers · {:%d %b} → go-live target {:%d %b %Y}",
            r.name,
            r.vendor,
            r.site,
            r.labelers,
            r.start,
            r.target,
        )
        for r in rows
    ]
    summary = md("{} active training cohort(s)", len(rows))
    return Message.of(summary, Text(summary), Text(md("\n").join(lines)))


def calendar_message(cohort: Cohort) -> Message:
    return Message.text(
        md(
            "Calendar file for *{}*: import it into Outlook or Google Calendar; "
            "importing it again after a move updates the same events.",
            cohort.name,
        )
    )


def calendar_by_cli(cohort: Cohort) -> Message:
    """Where the bot cannot send a file (Teams): the command line writes the same calendar."""
    return Message.text(
        md(
            "Teams takes no file from a bot here: `tsqa training calendar {} > {}.ics` writes it "
            "(a QA admin who runs the bot can send it to you).",
            cohort.name,
            cohort.name,
        )
    )


def roster_problems(name: str, problems: Sequence[str]) -> Message:
    summary = md("⛔ Nothing was kept from *{}*: {} problem(s)", name, len(problems))
    shown = [md("• {}", p) for p in problems[:20]]
    if len(problems) > 20:
        shown.append(md("… and {} more", len(problems) - 20))
    return Message.of(summary, Text(summary), Text(md("\n").join(shown)))


def roster_applied(cohort: Cohort, count: int) -> Message:
    return Message.text(
        md(
            "✅ Labeler IDs kept for {} labelers of *{}*: nesting quality reads them from the queue data.",
            count,
            cohort.name,
        )
    )


def imported(name: str, made: Sequence[tuple[str, str, bool, int]]) -> Message:
    """What a cohort file made: each cohort with its labelers and go-live; nothing new when sent again."""
    if not made:
        return Message.text(md("*{}* was imported before: nothing new.", name))
    lines = [
        md(
            "*{}*: {} labelers, go-live {}{}",
            cohort,
            labelers,
            go_live,
            "" if fits else " (after the target)",
        )
        for cohort, go_live, fits, labelers in made
    ]
    summary = md("✅ {} cohort(s) created from *{}*; everyone is welcomed now.", len(made), name)
    return Message.of(summary, Text(summary), Text(md("\n").join(lines)))


def not_posted(cohort: Cohort, where: str, why: str) -> Message:
    return Message.text(
        md(
            "⚠️ I could not post cohort *{}* in {} ({}): invite me there. The cohort is made and its members "
            "are welcomed; {} shows it.",
            cohort.name,
            channel(where),
            why,
            command(f"training status {cohort.name}"),
        )
    )
