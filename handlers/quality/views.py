"""What `/quality` shows: the error analysis of a queue, vendor, site or everything, and what to do
next. Neutral chat model; figures come from handlers/quality/analysis.py, never computed here."""

from __future__ import annotations

from collections.abc import Sequence

from bot.chat.model import Button, Buttons, ContextLine, Header, Markup, Message, Part, Text, md
from bot.workspace import Workspace
from handlers.quality.recommend import Recommendation
from handlers.quality.report import Group, QualityReport, Standout

CALIBRATE = "quality-calibrate"  # value: queue|decision|qa_decision
REFRESHER = "quality-refresher"  # value: topic|vendor
ASK_OWNER = "quality-ask-owner"  # value: queue|decision|qa_decision|policy_id
GROUPS_SHOWN = 8
LABELERS_SHOWN = 8
WEEKS_SHOWN = 6
# Said the same on every platform: Slack threads the files under the report; a Teams personal chat
# has no threads and takes no CSV from a bot, so there the charts and the export's command follow it.
FOOTNOTE = (
    "Intervals are 95% Wilson intervals. The charts and the export of the audited errors come right "
    "after this report; `tsqa quality report --json` has every figure."
)
REFERENCES = {
    "other vendors": "at the other vendors",
    "same labels": "on the other queues with the same labels",
}
LEVELS = (("queue", "Queues"), ("vendor", "Vendors"), ("site", "Sites"))


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _interval(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f" ({low:.1%}–{high:.1%})"


def _label(value: str) -> str:
    return value.replace("_", " ")


def scope_label(report: QualityReport, ws: Workspace) -> str:
    scope = report.scope
    if scope.kind == "queue":
        queue = ws.queue(scope.id or "")
        return queue.name if queue else scope.id or ""
    if scope.kind == "vendor":
        vendor = ws.vendor(scope.id or "")
        return vendor.name if vendor else scope.id or ""
    return f"site {scope.id}" if scope.kind == "site" else "all queues"


def _group_line(group: Group) -> Markup:
    flag = " ⚠️ below target" if group.below_target else ""
    target = f" · target {group.target:.0%}" if group.target is not None else ""
    name = "Overall" if group.level == "overall" else group.key
    return md("• *{}*: {}{} of {:,} audited{}{}", name, pct(group.quality),
              _interval(group.low, group.high), group.audited, target, flag)  # fmt: skip


def _overall(group: Group | None) -> Part:
    if group is None or group.audited == 0:
        return Text("No audited decisions in this period.")
    lines = [_group_line(group)]
    if group.errors:
        unranked = md(", {} unranked", pct(group.unranked_share)) if group.unranked else md("")
        lines.append(md("Errors: {} over-enforcement, {} under-enforcement{}", pct(group.over_share),
                        pct(group.under_share), unranked))  # fmt: skip
    for pair in group.top_errors:
        lines.append(md("• labeler *{}*, QA *{}*: {:,} ({} of errors, {})", _label(pair.decision),
                        _label(pair.qa_decision), pair.count, pct(pair.share), pair.direction))  # fmt: skip
    if group.weeks:
        weeks = [
            md("{} {}{}", w.iso_week, pct(w.quality), " (partial)" if w.partial else "")
            for w in group.weeks[-WEEKS_SHOWN:]
        ]
        lines.append(md("Weekly: {}", md(" · ").join(weeks)))
    return Text(md("\n").join(lines))


def _levels(report: QualityReport) -> list[Part]:
    parts: list[Part] = []
    for level, title in LEVELS:
        groups = [g for g in report.groups if g.level == level]
        if len(groups) < 2 and report.scope.kind == level:
            continue  # the scope itself: the overall line says it
        if groups:
            shown = [_group_line(g) for g in groups[:GROUPS_SHOWN]]
            more = (
                [md("… and {} more in the CSV and JSON", len(groups) - GROUPS_SHOWN)]
                if len(groups) > GROUPS_SHOWN
                else []
            )
            parts.append(Text(md("*{}*\n{}", title, md("\n").join([*shown, *more]))))
    return parts


def _labelers(report: QualityReport) -> Part:
    flagged = [lab for lab in report.labelers if lab.flagged]
    if not flagged:
        return Text("*Labelers at risk*\nNone: no labeler's quality interval lies clearly below its target.")
    lines = [
        md("• {} ({}, {}): {}{} of {:,} audited, target {:.0%}", lab.labeler_id, lab.queue, lab.vendor,
           pct(1 - lab.error_rate), _interval(lab.quality_low, lab.quality_high), lab.audited, lab.target)
        for lab in flagged[:LABELERS_SHOWN]
    ]  # fmt: skip
    if len(flagged) > LABELERS_SHOWN:
        lines.append(md("… and {} more in the JSON", len(flagged) - LABELERS_SHOWN))
    return Text(md("*Labelers at risk* (the whole interval below target)\n{}", md("\n").join(lines)))


# With one vendor pooled, the reference's rate is that vendor's own: vendor leads see it only from two.
MIN_VENDORS_SHOWN_TO_LEADS = 2
WITHOUT_FIGURE = {
    "other vendors": "stands out against the other vendors",
    "same labels": "stands out against the other vendors' queues with the same labels",
}


def _against(s: Standout, for_vendor_lead: bool) -> Markup:
    """The reference's rate, unless a vendor lead would read one other vendor's own figure in it."""
    if for_vendor_lead and s.reference_vendors < MIN_VENDORS_SHOWN_TO_LEADS:
        return md(
            "; {} ({}, {:,} errors).", WITHOUT_FIGURE.get(s.reference, s.reference), s.direction, s.errors
        )
    reference = REFERENCES.get(s.reference, s.reference)
    return md(" against {} {} ({}, {:,} errors).", pct(s.reference_rate), reference, s.direction, s.errors)


def _recommendation(number: int, rec: Recommendation, ws: Workspace, for_vendor_lead: bool) -> list[Part]:
    s = rec.standout
    vendor = ws.vendor(s.vendor)
    queue = ws.queue(s.queue)
    text = md(
        "*{}.* {} on {}: labeler *{}* where QA said *{}* in {} of audits{}{}",
        number, vendor.name if vendor else s.vendor, queue.name if queue else s.queue, _label(s.decision),
        _label(s.qa_decision), pct(s.rate), _interval(s.low, s.high), _against(s, for_vendor_lead),
    )  # fmt: skip
    if rec.section is not None:
        text += md("\nPolicy: {} › {}", rec.section.title, rec.section.heading)
        if rec.section.link:
            text += md(" ({})", rec.section.link)
    if rec.auditors_disagree:
        text += md("\nQA auditors disagree among themselves on this queue (calibration alpha {:.2f}).",
                   rec.auditors_alpha)  # fmt: skip
    pair = f"{s.queue}|{s.decision}|{s.qa_decision}"
    actions = [Button("Calibrate on these items", CALIBRATE, value=pair, opens_form=True)]
    if rec.quiz_topic:
        actions.append(Button(f"Assign refresher quiz {rec.quiz_topic}"[:75], REFRESHER,
                              value=f"{rec.quiz_topic}|{s.vendor}"))  # fmt: skip
    if rec.auditors_disagree and rec.section is not None:
        actions.append(Button("Ask the policy owner", ASK_OWNER, value=f"{pair}|{rec.section.policy_id}"))
    return [Text(text), Buttons(tuple(actions))]


def quality_message(
    report: QualityReport, ws: Workspace, recs: Sequence[Recommendation], *, for_vendor_lead: bool = False
) -> Message:
    """The report: overall with its interval, the groups, the labelers at risk, then what to do.
    `for_vendor_lead`: a reference pooling one other vendor is named without its figure."""
    title = f"Quality · {scope_label(report, ws)} · {report.since:%d %b} – {report.until:%d %b %Y}"
    parts: list[Part] = [Header(title[:150])]
    note = report.kept_note(ws.ingest.retention_days)
    if note is not None and report.clamped_from is not None:
        asked = report.clamped_from.isoformat()
        parts.append(ContextLine((md("{} (asked from {}).", note.capitalize(), asked),)))
    parts += [_overall(report.overall), *_levels(report), _labelers(report)]
    if recs:
        parts.append(Text("*What to do next*"))
        for number, rec in enumerate(recs, 1):
            parts += _recommendation(number, rec, ws, for_vendor_lead)
    elif report.overall is not None and report.overall.audited:
        parts.append(Text("*What to do next*\nNo vendor–queue error pair stands out against the others."))
    parts.append(ContextLine((FOOTNOTE,)))
    overall = report.overall
    summary = md("Quality {}: {}", scope_label(report, ws), pct(overall.quality if overall else None))
    return Message(summary=summary, parts=tuple(parts))
