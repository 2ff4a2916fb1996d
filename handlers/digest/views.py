"""The digest's messages and form, in the neutral chat model.

Compact on purpose: a QA lead reads it before coffee. Flags are stated plainly, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot.chat.model import (
    Button,
    Buttons,
    ChoiceInput,
    ContextLine,
    Divider,
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
)
from bot.workspace import Workspace
from handlers.escalate.durations import span
from storage.models.escalation import Escalation

BREAKDOWN = "digest:breakdown"
REQUEST_FORM = "digest:request"
OPEN_REQUEST_FORM = "digest:open-request"
ALL_QUEUES = "*"
# Open escalations listed in a digest; the rest are counted, so the message stays one short block.
ESCALATIONS_SHOWN = 5


def pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 3600:
        return f"{value / 3600:.1f} h"
    return f"{value / 60:.0f} min" if value >= 120 else f"{value:.0f} s"


def arrow(change: float | None) -> str:
    if change is None:
        return ""
    symbol = "▲" if change > 0.005 else "▼" if change < -0.005 else "▶"
    return f" {symbol} {change * 100:+.0f}% vs prev day"


FLAG_TEXT = {
    "output": "output below target",
    "sla_adherence": "SLA below target",
    "aht_seconds": "handle time above target",
    "quality_score": "quality below target",
    "change_vs_7d": "output far from its 7-day mean",
}


def _flags(entry: dict[str, Any]) -> str:
    return ", ".join(FLAG_TEXT.get(f, f) for f in entry["flags"])


def _line(entry: dict[str, Any]) -> Markup:
    """One entry in one short paragraph: output first, then the rates. Names come from the
    workspace file and sites from queue data: values, never markup."""
    target = f" / {entry['target']:,} ({pct(entry['output_vs_target'], 0)})" if entry.get("target") else ""
    line = md(
        "*{}*: {:,}{}{}\n",
        entry.get("name") or entry["id"],
        entry["output"],
        target,
        arrow(entry["change_vs_prev_day"]),
    )
    line += md(
        "SLA {} · AHT {} · quality {} ({} audited) · {} labelers",
        pct(entry["sla_adherence"]),
        seconds(entry["aht_seconds"]),
        pct(entry["quality_score"]),
        entry["audited"],
        entry["active_labelers"],
    )
    if entry.get("backlog") is not None:
        line += md(" · backlog {:,}, oldest {}", entry["backlog"], seconds(entry["oldest_age_seconds"]))
    if entry["flags"]:
        line += md("\n⚠️ {}", _flags(entry))
    return line


def overturned_line(digest: dict[str, Any]) -> Markup | None:
    """Said beside the quality figures when appeals changed them, so a moved score is not a mystery."""
    count = digest.get("overturned", 0)
    if not count:
        return None
    verdicts = "QA verdict" if count == 1 else "QA verdicts"
    return md("Quality counts {:,} {} overturned on appeal.", count, verdicts)


def summary_line(digest: dict[str, Any]) -> str:
    overall = digest["overall"]
    flagged = [q for q in digest["queues"] if q["flags"]]
    target = (
        f" of {overall['target']:,} target ({pct(overall['output_vs_target'], 0)})"
        if overall["target"]
        else ""
    )
    tail = (
        f"{len(flagged)} of {len(digest['queues'])} queues need a look"
        if flagged
        else "every queue on target"
    )
    return f"{overall['output']:,} decisions{target}, SLA {pct(overall['sla_adherence'])}; {tail}."


def _escalation(escalation: Escalation, now: datetime) -> Markup:
    """`ESC-12 SEV2 Media not loading (acknowledged), opened 2 h ago, in #channel`: the channel is
    where its message is (a link costs a call per escalation; the channel is free). The owner is not
    mentioned: a daily digest must not ping someone every morning; the escalation's message names them."""
    state = md("acknowledged") if escalation.status == "acknowledged" else md("not acknowledged")
    line = md(
        "• ESC-{} {} {} ({}), opened {}",
        escalation.number,
        escalation.severity,
        escalation.title,
        state,
        f"{span(now - escalation.opened_at)} ago",
    )
    if escalation.channel and escalation.ts:
        line += md(", in {}", channel(escalation.channel))
    return line


def open_escalations(escalations: Sequence[Escalation], now: datetime) -> Text:
    """The digest's "Open escalations" section: the first few (worst first, as given), then a count."""
    lines = [_escalation(e, now) for e in escalations[:ESCALATIONS_SHOWN]]
    more = len(escalations) - ESCALATIONS_SHOWN
    if more > 0:
        lines.append(md("and {} more", more))
    return Text(md("*Open escalations*\n") + md("\n").join(lines))


def digest_message(
    digest: dict[str, Any],
    *,
    title: str | Markup = "Queue digest",
    in_channel: bool = True,
    scope: list[str] | None = None,
    escalations: Sequence[Escalation] = (),
    now: datetime | None = None,
) -> Message:
    """`scope`: the queues asked for, None for all (the Breakdown button carries it back).
    `title` is markup: a plain str is taken as text. `escalations`: those still open on the
    digest's queues, listed as of `now`."""
    day = digest["date"]
    parts: list[Part] = [Header(md("{} · {}", title, day)), Text(summary_line(digest)), Divider()]
    parts += [Text(_line(q)) for q in digest["queues"]]
    overturned = overturned_line(digest)
    if overturned is not None:
        parts.append(ContextLine((overturned,)))
    if escalations:
        if now is None:
            raise ValueError("open escalations are listed as of a time: pass now")
        parts.append(open_escalations(escalations, now))
    errors = digest["overall"]["top_errors"]
    if errors:
        # Labels come straight from the decision files.
        pairs = md(", ").join(md("{} → {} ({})", e["decision"], e["qa_decision"], e["count"]) for e in errors)
        parts.append(ContextLine((md("Most frequent QA disagreements (labeler → QA): {}", pairs),)))
    where = (
        md("Chart in the thread.")
        if in_channel
        else md("`{}` puts it in the channel with its chart.", command("digest post"))
    )
    parts.append(ContextLine((md("Day boundaries in {}. ", digest["timezone"]) + where,)))
    parts.append(
        Buttons((Button("Breakdown by vendor and site", BREAKDOWN, value=_button_value(digest, scope)),))
    )
    return Message(summary=md("{} for {}: {}", title, day, summary_line(digest)), parts=tuple(parts))


def _button_value(digest: dict[str, Any], scope: list[str] | None) -> str:
    """Day, timezone and scope; "*" for all queues keeps the value short however many there are."""
    queues = ALL_QUEUES if scope is None else ",".join(scope)
    return f"{digest['date']}|{digest['timezone']}|{queues}"


def parse_button_value(value: str) -> tuple[date, str, list[str] | None]:
    day, tz, queues = value.split("|", 2)
    return date.fromisoformat(day), tz, None if queues == ALL_QUEUES else [q for q in queues.split(",") if q]


def breakdown_message(digest: dict[str, Any]) -> Message:
    parts: list[Part] = [Header(f"Breakdown · {digest['date']}")]
    for title, key in (("Vendors", "vendors"), ("Sites", "sites")):
        parts.append(Text(f"*{title}*"))
        parts += [Text(_line(entry)) for entry in digest[key]]
    return Message(summary=md("Breakdown by vendor and site for {}", digest["date"]), parts=tuple(parts))


def no_data(day: date, scope: str, latest: date | None = None) -> Message:
    """`latest`: the newest day with data within what this person may see, as a hint."""
    text = md(
        "No queue data for {} on {}. Load it with `tsqa ingest decisions FILE` "
        "or upload the CSV into an ingest channel.",
        scope,
        day,
    )
    if latest:
        text += md("\nThe latest day with data is {}: try `{}`.", latest, command(f"digest {latest}"))
    return Message.text(text)


def request_form(workspace: Workspace, default_day: date, visible: list[str] | None = None) -> Form:
    """`visible`: the queues this person may see, None for all; the submission is checked again."""
    queues = [q for q in workspace.queues if visible is None or q.id in visible]
    everything = "All queues" if visible is None else "All my queues"
    options = (Option(everything, ALL_QUEUES),) + tuple(Option(q.name, q.id) for q in queues)
    return Form(
        form_id=REQUEST_FORM,
        title="Request a digest",
        submit="Show digest",
        intro=(Text("See any day's figures for one queue or all of them. Only you will see the answer."),),
        inputs=(
            ChoiceInput("queue", "Queue", options, initial=ALL_QUEUES),
            TextInput(
                "day",
                "Day",
                initial=default_day.isoformat(),
                placeholder="YYYY-MM-DD",
                hint="e.g. 2026-11-23",
            ),
        ),
    )


def home_section(latest: date | None) -> list[Part]:
    text = md("Latest queue data: *{}*.", latest) if latest else md("No queue data loaded yet.")
    return [
        Text(md("*Queue digest*\n{}", text)),
        Buttons((Button("Request a digest", OPEN_REQUEST_FORM, style="primary", opens_form=True),)),
    ]
