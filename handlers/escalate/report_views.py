"""The escalation report as a chat message: the totals, then a compact table per platform, vendor and
severity with counts and median/p90 times to acknowledge and to resolve."""

from __future__ import annotations

from datetime import date

from bot.chat.model import ContextLine, Fields, Header, Markup, Message, Part, Text, md
from handlers.escalate.durations import minutes
from handlers.escalate.report import Group, Report

# A Slack section holds 3,000 characters; a table row is ~60, so this many rows always fit.
MAX_ROWS = 30
COLUMNS = ("", "opened", "open", "MTTA med", "p90", "MTTR med", "p90")


def _cells(group: Group) -> tuple[str, ...]:
    return (
        group.key,
        str(group.opened),
        str(group.still_open),
        minutes(group.mtta.median),
        minutes(group.mtta.p90),
        minutes(group.mttr.median),
        minutes(group.mttr.p90),
    )


def table(title: str, groups: tuple[Group, ...]) -> Markup:
    """A monospace table (keys come from data: plain text inside the code block)."""
    shown = groups[:MAX_ROWS]
    rows = [(title, *COLUMNS[1:]), *(_cells(g) for g in shown)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    text = md("```{}```", "\n".join(lines))
    if len(groups) > MAX_ROWS:
        text += md(
            "\n_and {} more: `tsqa escalations report --csv FILE` has them all_", len(groups) - MAX_ROWS
        )
    return text


def report_message(report: Report, since: date) -> Message:
    """The report for a chat: what was opened since `since` and how fast it was handled."""
    o = report.overall
    header = Header(md("Escalations since {}", since.isoformat()))
    if o.opened == 0:
        return Message.of(md("No escalations since {}.", since.isoformat()), header, Text("No escalations."))
    counts = md(
        "*{}* opened · *{}* acknowledged · *{}* resolved · *{}* still open",
        o.opened,
        o.acknowledged,
        o.resolved,
        o.still_open,
    )
    parts: list[Part] = [
        header,
        Text(counts),
        Fields(
            (
                md("*Time to acknowledge*\nmedian {} · p90 {}", minutes(o.mtta.median), minutes(o.mtta.p90)),
                md("*Time to resolve*\nmedian {} · p90 {}", minutes(o.mttr.median), minutes(o.mttr.p90)),
            )
        ),
        Text(table("platform", report.platforms)),
        Text(table("vendor", report.vendors)),
        Text(table("severity", report.severities)),
    ]
    notes = [md("p90: 9 in 10 were faster. MTTR counts resolved escalations only; – means none yet.")]
    if report.oldest_open_minutes is not None:
        notes.append(md("The oldest still open has waited {}.", minutes(report.oldest_open_minutes)))
    parts.append(ContextLine(tuple(notes)))
    summary = md(
        "Escalations since {}: {} opened, median time to acknowledge {}",
        since.isoformat(),
        o.opened,
        minutes(o.mtta.median),
    )
    return Message(summary=summary, parts=tuple(parts))
