"""What `/appeals report` shows: the appeals report in the neutral chat model, compact and neutral.
Figures come from handlers/appeals/report.py; `figures` is shared with the CLI's text output."""

from __future__ import annotations

from collections.abc import Sequence

from bot.chat.model import ContextLine, Header, Markup, Message, Part, Text, md
from bot.workspace import Workspace
from handlers.appeals.report import AppealGroup, AppealReport, Rate

NOTHING = "—"
LINES_SHOWN = 10  # per section; the rest are counted
# Slack's section text holds 3,000 characters; room is left for the title and the "… more" line.
SECTION_CHARS = 2_850
FOOTNOTE = (
    "Appeal rate: appeals per audited disagreement; overturn rate: overturned per decided appeal; "
    "95% Wilson intervals. An auditor is a calibration candidate from 10 decided appeals, when the "
    "whole interval lies above the other auditors' pooled overturn rate. "
    "`tsqa appeals report --json` has every figure."
)


def percent(rate: Rate) -> str:
    """`37.5% (13.7–69.4%)`, or — when there is nothing to divide."""
    if rate.value is None:
        return NOTHING
    return f"{rate.value:.1%} ({rate.low:.1%}–{rate.high:.1%})"


def figures(group: AppealGroup) -> str:
    """One group's figures as plain text: the same words in chat and in the terminal."""
    hours = group.median_hours_to_decide
    median = NOTHING if hours is None else f"{hours:.1f} h"
    appeals = f"{group.appeals:,} appeal{'' if group.appeals == 1 else 's'}"
    return (
        f"{appeals} of {group.appealable:,} appealable, rate {percent(group.appeal_rate)}"
        f" · {group.decided:,} decided, overturned {percent(group.overturn_rate)}"
        f" · {group.open:,} open · median {median} to decide"
    )


def rates_note(report: AppealReport) -> str:
    return (
        f"Raw decisions before {report.rates_from:%d %b} have expired: appeal rates count from then on; "
        "the other figures cover every appeal. "
    )


def vendor_name(key: str, ws: Workspace) -> str:
    vendor = ws.vendor(key)
    return vendor.name if vendor else key


def queue_name(key: str, ws: Workspace) -> str:
    queue = ws.queue(key)
    return queue.name if queue else key


def auditor_name(key: str, ws: Workspace) -> str:
    """The person the appeals section maps the auditor to, by name (never a mention: no pings), with
    the queue data's name; the queue data's name alone where the file does not know them."""
    ref = ws.appeals.auditors.get(key) if ws.appeals else None
    person = next((p for p in ws.people if p.id == ref), None) if ref else None
    return f"{person.name} ({key})" if person else key


def _escaped_length(line: Markup) -> int:
    """An upper bound of the line's length once a platform escapes it (`&` becomes `&amp;`)."""
    text = line.plain
    return len(text) + 4 * sum(text.count(c) for c in "&<>")


def _lines(title: str, lines: Sequence[Markup]) -> Text:
    """A section of at most LINES_SHOWN lines within SECTION_CHARS, the rest counted."""
    shown: list[Markup] = []
    size = len(title)
    for line in lines[:LINES_SHOWN]:
        size += _escaped_length(line) + 1
        if size > SECTION_CHARS:
            break
        shown.append(line)
    if len(lines) > len(shown):
        shown.append(md("… and {:,} more in `tsqa appeals report --json`", len(lines) - len(shown)))
    return Text(md("*{}*\n{}", title, md("\n").join(shown)))


def _line(name: str, group: AppealGroup) -> Markup:
    return md("• *{}*: {}", name, figures(group))


def _auditor_line(group: AppealGroup, ws: Workspace) -> Markup:
    line = _line(auditor_name(group.key, ws), group)
    if group.flagged:
        line += md("\n   ⚠️ calibration candidate: {}", group.reason or "")
    return line


def _title(report: AppealReport, ws: Workspace) -> str:
    scope = ", ".join(vendor_name(v, ws) for v in report.vendors) if report.vendors is not None else ""
    period = f"{report.since:%d %b} – {report.until:%d %b %Y}"
    return f"Appeals · {scope} · {period}" if scope else f"Appeals · {period}"


def report_message(report: AppealReport, ws: Workspace) -> Message:
    """The overall line, then vendors, queues and auditors (calibration candidates first)."""
    parts: list[Part] = [Header(_title(report, ws)[:150])]
    overall = report.overall
    if overall.appealable == 0 and overall.appeals == 0:
        parts.append(Text("No audited disagreements and no appeals on decisions completed in this period."))
    else:
        parts.append(Text(_line("Overall", overall)))
        sections = (
            ("Vendors", [_line(vendor_name(g.key, ws), g) for g in report.by_vendor]),
            ("Queues", [_line(queue_name(g.key, ws), g) for g in report.by_queue]),
            ("Auditors", [_auditor_line(g, ws) for g in report.by_auditor]),
        )
        parts += [_lines(title, lines) for title, lines in sections if lines]
        if report.by_auditor and not report.flagged:
            parts.append(Text("No auditor's overturn rate stands clearly above the others'."))
    period_note = md("Decisions completed on local days in {}. ", report.timezone)
    if report.rates_from is not None:
        period_note += md(rates_note(report))
    parts.append(ContextLine((period_note + md(FOOTNOTE),)))
    summary = md(
        "Appeals {} – {}: {:,} appeals, {:,} overturned, {:,} open",
        f"{report.since:%d %b}",
        f"{report.until:%d %b}",
        overall.appeals,
        overall.overturned,
        overall.open,
    )
    return Message(summary=summary, parts=tuple(parts))
