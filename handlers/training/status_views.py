"""`/training status` and the weekly summary, drawn from the figures `summary.gather` makes (the same
dict `tsqa training report --json` prints), so chat and the command line never disagree."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

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
from handlers.training.cohort import Cohort
from handlers.training.views import CALENDAR

AT_RISK_SHOWN = 15
LABELERS_SHOWN = 30


def _day(text: str) -> str:
    return f"{date.fromisoformat(text):%a %d %b %Y}"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def go_live_line(figures: Mapping[str, Any]) -> Markup:
    late = figures["days_late"]
    if late:
        return md(
            "⚠️ Projected go-live *{}*, {} working day{} after the target {}",
            _day(figures["projected_go_live"]),
            late,
            "" if late == 1 else "s",
            _day(figures["target"]),
        )
    waiting = figures["labelers"] - figures["ready"]
    if waiting and figures["as_of"] >= figures["projected_go_live"]:  # ISO days compare as text
        return md(
            "⚠️ Go-live pending: the sessions are over and {} of {} labelers are not ready yet; target {}",
            waiting,
            figures["labelers"],
            _day(figures["target"]),
        )
    return md(
        "✅ Projected go-live *{}*, target {}", _day(figures["projected_go_live"]), _day(figures["target"])
    )


def nesting_line(row: Mapping[str, Any]) -> Markup:
    """Quality with its interval and audited count; too few audits is said, not judged."""
    nest = row.get("nesting")
    if not nest:
        return md("")
    verdict = nest["verdict"]
    if nest["quality"] is None or verdict in ("not enough audits yet", "not started", "no labeler id"):
        return md(" · nesting: {} ({} audited)", verdict, nest["audited"])
    return md(
        " · nesting {} (95% CI {}–{}, {} audited, target {}): {}",
        percent(nest["quality"]),
        percent(nest["low"]),
        percent(nest["high"]),
        nest["audited"],
        percent(nest["target"]),
        verdict,
    )


def _at_risk(figures: Mapping[str, Any]) -> list[Part]:
    rows = figures["at_risk"]
    if not rows:
        return [Text(md("Nobody is at risk."))]
    lines = [
        md("{}: {}", user(r["user"]), md("; ").join(md("{}", why["detail"]) for why in r["reasons"]))
        for r in rows[:AT_RISK_SHOWN]
    ]
    if len(rows) > AT_RISK_SHOWN:
        lines.append(
            md(
                "… and {} more: `tsqa training report {} --json` lists them all",
                len(rows) - AT_RISK_SHOWN,
                figures["cohort"],
            )
        )
    return [Text(md("*At risk ({})*", len(rows))), Text(md("\n").join(lines))]


def _labelers(figures: Mapping[str, Any]) -> list[Part]:
    lines = []
    for row in figures["labelers_detail"][:LABELERS_SHOWN]:
        state = (
            md("✅ ready {}", _day(row["ready_on"]))
            if row["ready"]
            else md("{}/{} done", row["done"], row["required"])
        )
        lines.append(md("{} · {}{}", user(row["user"]), state, nesting_line(row)))
    return [Text(md("\n").join(lines))] if lines else []


def _fields(figures: Mapping[str, Any]) -> Fields:
    return Fields(
        (
            md("*Ready*\n{} of {}", figures["ready"], figures["labelers"]),
            md("*At risk*\n{}", len(figures["at_risk"])),
            md("*Vendor · site*\n{} · {}", figures["vendor"], figures["site"]),
            md("*Queues*\n{}", ", ".join(figures["queues"])),
        )
    )


def status_message(figures: Mapping[str, Any], cohort_id: int) -> Message:
    summary = md(
        "Cohort *{}*: {} of {} labelers ready", figures["cohort"], figures["ready"], figures["labelers"]
    )
    parts: list[Part] = [
        Header(f"Training cohort {figures['cohort']}"),
        Text(summary),
        _fields(figures),
        Text(go_live_line(figures)),
        *_at_risk(figures),
        *_labelers(figures),
        ContextLine(
            (md("As of {} · {}", _day(figures["as_of"]), command(f"training calendar {figures['cohort']}")),)
        ),
        Buttons((Button("Calendar file", CALENDAR, str(cohort_id)),)),
    ]
    return Message.of(summary, *parts)


def summary_message(figures: Mapping[str, Any], cohort_id: int) -> Message:
    """The weekly summary: the status's headline figures and who is at risk; the chart follows it."""
    summary = md(
        "Weekly training summary, *{}*: {} of {} ready",
        figures["cohort"],
        figures["ready"],
        figures["labelers"],
    )
    parts: list[Part] = [
        Text(summary),
        _fields(figures),
        Text(go_live_line(figures)),
        *_at_risk(figures),
        ContextLine((md("Details: {}", command(f"training status {figures['cohort']}")),)),
    ]
    return Message.of(summary, *parts)


def site_missing(cohort: Cohort) -> Message:
    return Message.text(
        md(
            "⛔ Site `{}` of *{}* is no longer in the workspace file: an admin adds it back.",
            cohort.site,
            cohort.name,
        )
    )
