"""What calibration shows after the reveal and when read: the results in the channel, a message per
item to discuss, the facilitator's private per-participant figures, the list and the trend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo

from bot.chat.model import (
    Button,
    Buttons,
    ContextLine,
    Fields,
    Header,
    Markup,
    Message,
    Part,
    Text,
    command,
    md,
    user,
)
from bot.workspace import Queue
from handlers.calibration.agreement import AgreementReport, ItemAgreement
from handlers.calibration.views import REPOST, figure, item_line, packed, percent, session_id, when
from handlers.policy.model import Hit
from storage.models import CalibrationItem, CalibrationResult, CalibrationSession

# ----- the reveal ----------------------------------------------------------------------------

MIN_RATERS = 2  # fewer: no distribution, statistic or thread in the channel, no figures in the trend
MAX_THREADS = 10  # discussion threads a reveal posts; the other items to discuss are listed only


def votes_line(votes: Mapping[str, int]) -> str:
    return " · ".join(f"{label} {count}" for label, count in votes.items()) or "no votes"


def item_result_line(item: CalibrationItem, stats: ItemAgreement | None) -> Markup:
    votes = stats.votes if stats else {}
    line = md("{}. `{}` · {}", item.position, item.item_id, votes_line(votes))
    if item.reference:
        line += md(" · reference *{}*", item.reference)
    line += md(" · {} agree", percent(stats.agreement if stats and votes else None))
    return line + (md(" ⚠️") if stats and stats.discuss else md(""))


def threads_line(discussed: int) -> str:
    if discussed <= MAX_THREADS:
        return "A thread for each follows."
    more = discussed - MAX_THREADS
    return f"A thread follows for each of the first {MAX_THREADS}, and {more} more are listed here only."


def reveal_message(
    row: CalibrationSession,
    queue: Queue | None,
    items: Sequence[CalibrationItem],
    report: AgreementReport,
    raters: int,
) -> Message:
    """The session's statistics and every item's votes, for the channel. No names: per-person
    figures go to the facilitator alone."""
    by_id = {s.item_id: s for s in report.items}
    alpha_text = figure(report.alpha) if report.alpha is not None else f"not computed: {report.alpha_note}"
    fleiss_text = (
        figure(report.fleiss) if report.fleiss is not None else f"not computed: {report.fleiss_note}"
    )
    threshold = report.threshold
    discuss = [i for i in items if (found := by_id.get(i.item_id)) is not None and found.discuss]
    sid = row.session_id
    name = queue.name if queue else row.queue
    about = Text(md("{} · *{}* · {} items · {} raters", session_id(sid), name, len(items), raters))
    if raters < MIN_RATERS:  # one person's votes would be their whole ballot, shown as "the votes"
        return Message.of(
            md("{} results: {}", session_id(sid), row.title),
            Header(md("Calibration results: {}", row.title)),
            about,
            Text("Fewer than two people rated: nothing to compare."),
        )
    parts: list[Part] = [
        Header(md("Calibration results: {}", row.title)),
        about,
        Fields((md("*Krippendorff's alpha*\n{}", alpha_text), md("*Fleiss' kappa*\n{}", fleiss_text))),
        *packed([item_result_line(i, by_id.get(i.item_id)) for i in items]),
    ]
    if discuss:
        numbers = md(", ").join(md("{}", i.position) for i in discuss)
        parts.append(
            Text(
                md(
                    "⚠️ *To discuss* (agreement under {} or the majority not the reference): items {}. {}",
                    percent(threshold),
                    numbers,
                    threads_line(len(discuss)),
                )
            )
        )
    else:
        parts.append(
            Text(
                md(
                    "Nothing to discuss: every item at {} agreement or more, on its reference.",
                    percent(threshold),
                )
            )
        )
    parts.append(
        ContextLine(("Each participant's accuracy and Cohen's kappa went to the facilitator privately.",))
    )
    return Message(summary=md("{} results: {}", session_id(sid), row.title), parts=tuple(parts))


def repost_button(session: int, attempt: int) -> Button:
    """Tries posting the results once more: the attempt's number keys it, so two clicks post once."""
    return Button("Post the results again", REPOST, value=f"{session}|{attempt}", style="primary")


def results_not_posted(row: CalibrationSession, why: Markup, attempt: int) -> Message:
    """The facilitator's note that the results are not in the channel, with the way to try again."""
    return Message.of(
        md("{}: results not posted", session_id(row.session_id)),
        Text(why),
        ContextLine(("The votes are frozen; the results are kept until they can be posted.",)),
        Buttons((repost_button(row.session_id, attempt),)),
    )


def discussion_message(
    row: CalibrationSession, item: CalibrationItem, stats: ItemAgreement | None, section: Hit | None
) -> Message:
    """One low-agreement item, a thread of its own for the discussion; it mentions nobody."""
    parts: list[Part] = [
        Text(md("💬 *Discuss item {} of {}*: ", item.position, session_id(row.session_id)) + item_line(item)),
        Text(item_result_line(item, stats)),
    ]
    if section is not None:
        passage = section.passage
        where = md("📖 Policy: *{}* › {}", passage.title, passage.heading)
        if passage.link:
            where += md(" · {}", passage.link)
        parts.append(ContextLine((where,)))
    parts.append(ContextLine(("Reply in this thread to discuss this item.",)))
    return Message(summary=md("Discuss item {}: {}", item.position, item.item_id), parts=tuple(parts))


def private_message(row: CalibrationSession, report: AgreementReport) -> Message:
    """Each participant against the reference: for the facilitator alone, never the channel."""
    lines = []
    for rater in report.raters:
        kappa = (
            figure(rater.kappa) if rater.kappa is not None else f"n/a ({rater.kappa_note or 'no reference'})"
        )
        lines.append(
            md(
                "{}: {} rated · accuracy {} · Cohen's kappa {}",
                user(rater.rater),
                rater.rated,
                percent(rater.accuracy),
                kappa,
            )
        )
    parts: list[Part] = [
        Header(md("{} · per participant (private)", session_id(row.session_id))),
        Text(
            "Against the reference label, over the items that have one. For you alone: use it to coach, "
            "not to rank."
        ),
        *(packed(lines) if lines else [Text("Nobody voted.")]),
    ]
    return Message(summary=md("{}: per participant", session_id(row.session_id)), parts=tuple(parts))


# ----- reading -------------------------------------------------------------------------------


def list_message(
    rows: Sequence[CalibrationSession], finished: Mapping[int, tuple[int, int]], tz: tzinfo
) -> Message:
    if not rows:
        return Message.text(
            md("No calibration sessions open or revealed lately. `{}` makes one.", command("calibrate new"))
        )
    lines = []
    for row in rows:
        done, total = finished.get(row.session_id, (0, 0))
        if row.status == "open":
            state = md("open, reveal {} · {} of {} finished", when(row.due_at, tz), done, total)
        else:
            state = md("revealed {}", when(row.revealed_at or row.due_at, tz))
        lines.append(md("*{}* · {} · {} · ", session_id(row.session_id), row.title, row.queue) + state)
    return Message.of(
        md("{} calibration sessions", len(rows)), Header("Calibration sessions"), *packed(lines)
    )


def _change(now: float | None, before: float | None, points: bool) -> Markup:
    if now is None or before is None:
        return md(" n/a")
    delta = (now - before) * (100 if points else 1)
    return md(" ({:+.0f} pts)", delta) if points else md(" ({:+.2f})", delta)


def trend_message(
    results: Sequence[tuple[CalibrationResult, str]], names: Mapping[str, str], tz: tzinfo, scope: str
) -> Message:
    """Per vendor and queue, each session's alpha and mean accuracy, oldest to newest, with the change."""
    if not results:
        return Message.text(md("No revealed calibration sessions{} yet.", f" for {scope}" if scope else ""))
    groups: dict[tuple[str, str], list[tuple[CalibrationResult, str]]] = {}
    for result, title in results:
        groups.setdefault((result.vendor, result.queue), []).append((result, title))
    parts: list[Part] = [Header("Calibration trend" + (f": {scope}" if scope else ""))]
    for (vendor, queue), rows in groups.items():
        lines = [md("*{} · {}*", names.get(vendor, vendor), names.get(queue, queue))]
        before: CalibrationResult | None = None
        for result, title in rows:
            line = md(
                "{} {} · {} · alpha {}",
                session_id(result.session_id),
                f"{result.revealed_at.astimezone(tz):%d %b}",
                title,
                figure(result.alpha),
            )
            if before is not None:
                line += _change(result.alpha, before.alpha, points=False)
            line += md(" · accuracy {}", percent(result.mean_accuracy))
            if before is not None:
                line += _change(result.mean_accuracy, before.mean_accuracy, points=True)
            lines.append(line)
            before = result
        if len(rows) > 1:
            first, last = rows[0][0], rows[-1][0]
            lines.append(
                md("_Since the first:_ alpha")
                + _change(last.alpha, first.alpha, False)
                + md(", accuracy")
                + _change(last.mean_accuracy, first.mean_accuracy, True)
            )
        parts += packed(lines)
    parts.append(
        ContextLine(
            ("Alpha: Krippendorff's, nominal. Accuracy: the mean over participants, against the reference.",)
        )
    )
    return Message(summary="Calibration trend", parts=tuple(parts))
