"""The appeals report against counts made by hand from the rows the test inserts: appeal and overturn
rates with Wilson intervals from the closed formula, the median time to decide, local-day bounds, the
calibration flag (never on three appeals) and a vendor lead's scope. SQLite and PostgreSQL."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, insert

from bot.chat.model import USER
from bot.slack.render import blocks
from bot.workspace import Workspace
from bot.workspace_appeals import AppealSettings
from handlers.appeals.report import AppealGroup, AppealReport, Rate, appeal_report, as_json
from handlers.appeals.report_views import report_message
from storage.engine import Database
from storage.models.appeals import Appeal
from storage.models.digest import Decision

# Tokyo has no DST and is 9 hours ahead: local days 2 to 8 Nov are UTC 1 Nov 15:00 to 8 Nov 15:00.
TOKYO = "Asia/Tokyo"
SINCE, UNTIL = date(2026, 11, 2), date(2026, 11, 8)
TODAY = date(2026, 11, 30)  # the raw decisions (kept 35 days) cover the whole period
Z = 1.959963984540054  # the 97.5% normal quantile


@dataclass(frozen=True)
class Row:
    """One inserted decision; `appeal` = (status, hours from filing to decision or None) or None."""

    at: datetime  # UTC
    queue: str
    vendor: str
    decision: str | None
    qa: str | None
    auditor: str | None
    appeal: tuple[str, float | None] | None = None
    in_period: bool = True


def wilson_closed(k: int, n: int) -> tuple[float, float]:
    p = k / n
    denominator = 1 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / denominator
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / denominator
    return centre - half, centre + half


def _disagreements(
    queue: str, vendor: str, auditor: str | None, count: int, appeals: list[tuple[str, float | None]]
) -> list[Row]:
    """`count` audited disagreements at 10:00 UTC (19:00 in Tokyo) spread over the period; the first
    len(appeals) of them appealed."""
    rows = []
    for index in range(count):
        at = datetime(2026, 11, 2 + index % 7, 10, index, tzinfo=UTC)
        appeal = appeals[index] if index < len(appeals) else None
        rows.append(Row(at, queue, vendor, "allow", "remove", auditor, appeal))
    return rows


def _rows() -> list[Row]:
    overturned, upheld = "overturned", "upheld"
    rows = [
        # qa-01 on hate-en: 10 of 12 overturned, a calibration candidate.
        *_disagreements("hate-en", "northwind", "qa-01", 15,
                        [(overturned, 2.0 + i * 3) for i in range(10)] + [(upheld, 30.0), (upheld, 5.5)]),
        # qa-02 on spam-pt: 2 overturned, 18 upheld, 2 open.
        *_disagreements("spam-pt", "northwind", "qa-02", 25,
                        [(overturned, 12.0), (overturned, 1.0)] + [(upheld, 4.0 + i) for i in range(18)]
                        + [("open", None), ("open", None)]),
        # qa-03 on graphic-img: 3 of 3 overturned: too few to say anything.
        *_disagreements("graphic-img", "bluebird", "qa-03", 5, [(overturned, h) for h in (1.0, 8.0, 50.0)]),
        *_disagreements("graphic-img", "bluebird", "qa-04", 4, [(upheld, 6.0)]),
        *_disagreements("graphic-img", "bluebird", "qa-02", 2, [(overturned, 9.0)]),
        # A vendor and queue the workspace file does not know, audited by nobody named.
        *_disagreements("misc-xx", "farpoint", None, 2, [("open", None)]),
        *_disagreements("misc-xx", "farpoint", "", 1, []),
    ]  # fmt: skip
    first_minute = datetime(2026, 11, 1, 15, 30, tzinfo=UTC)  # 2 Nov 00:30 in Tokyo
    rows += [
        # Without the labeler's label there is nothing to appeal: not appealable, though QA has one.
        Row(first_minute, "hate-en", "northwind", None, "age_restrict", "qa-01"),
        Row(first_minute + timedelta(seconds=30), "hate-en", "northwind", "", "age_restrict", "qa-01"),
        Row(first_minute + timedelta(minutes=1), "hate-en", "northwind", "remove", "remove", "qa-01"),
        Row(first_minute + timedelta(minutes=2), "hate-en", "northwind", "remove", None, None),
        Row(first_minute + timedelta(minutes=3), "hate-en", "northwind", "remove", "", None),
        # Just outside, on either side: their appeals are not this period's.
        Row(datetime(2026, 11, 1, 14, 30, tzinfo=UTC), "hate-en", "northwind", "allow", "remove", "qa-01",
            (overturned, 1.0), in_period=False),
        Row(datetime(2026, 11, 8, 15, 30, tzinfo=UTC), "spam-pt", "northwind", "allow", "remove", "qa-02",
            (upheld, 1.0), in_period=False),
    ]  # fmt: skip
    return rows


async def _insert(db: Database, rows: list[Row]) -> None:
    decisions, appeals = [], []
    for index, row in enumerate(rows):
        completed_us = int(row.at.timestamp() * 1_000_000)
        item = f"item-{index:03d}"
        decisions.append(
            dict(completed_us=completed_us, queue=row.queue, item_id=item,
                 enqueued_us=completed_us - 60_000_000, labeler_id=f"lab-{index % 5:03d}",
                 vendor=row.vendor, site="lisbon", handle_seconds=30.0,
                 decision=row.decision, qa_decision=row.qa, qa_auditor=row.auditor,
                 audited_us=completed_us + 3_600_000_000)
        )  # fmt: skip
        if row.appeal is None:
            continue
        status, hours = row.appeal
        filed = row.at + timedelta(days=1, minutes=index)
        appeals.append(
            dict(completed_us=completed_us, queue=row.queue, item_id=item, labeler_id=f"lab-{index % 5:03d}",
                 vendor=row.vendor, site="lisbon", decision=row.decision, qa_decision=row.qa or "",
                 qa_auditor=row.auditor, audited_at=row.at + timedelta(hours=1), user_id="U0LABEL01",
                 reason="the policy allows it", policy_section="2.1", filed_at=filed,
                 due_at=filed + timedelta(days=3), status=status,
                 decided_at=None if hours is None else filed + timedelta(hours=hours),
                 final_label="allow" if status == "overturned" else None)
        )  # fmt: skip
    async with db.transaction() as session:
        await session.execute(insert(Decision), decisions)
        await session.execute(insert(Appeal), appeals)


def _expected(rows: list[Row], key: str) -> dict[str, dict]:
    """Counts per group key, by hand: appealable, appeals per status, hours to decide."""
    out: dict[str, dict] = {}
    for row in rows:
        appealable = bool(row.qa) and bool(row.decision) and row.decision != row.qa
        if not row.in_period or not (appealable or row.appeal):
            continue
        keys = {"vendor": row.vendor, "queue": row.queue, "auditor": row.auditor or "unknown", "all": "all"}
        name = keys[key]
        group = out.setdefault(name, {"appealable": 0, "open": 0, "upheld": 0, "overturned": 0, "hours": []})
        group["appealable"] += appealable
        if row.appeal is not None:
            group[row.appeal[0]] += 1
            if row.appeal[1] is not None:
                group["hours"].append(row.appeal[1])
    return out


def _check(group: AppealGroup, want: dict) -> None:
    appeals = want["open"] + want["upheld"] + want["overturned"]
    decided = want["upheld"] + want["overturned"]
    assert (group.appealable, group.appeals, group.open, group.upheld, group.overturned) == (
        want["appealable"], appeals, want["open"], want["upheld"], want["overturned"],
    ), group.key  # fmt: skip
    rate = group.appeal_rate
    assert rate.value == pytest.approx(appeals / want["appealable"])
    assert (rate.low, rate.high) == pytest.approx(wilson_closed(appeals, want["appealable"]))
    if decided:
        assert group.overturn_rate.value == pytest.approx(want["overturned"] / decided)
        low_high = (group.overturn_rate.low, group.overturn_rate.high)
        assert low_high == pytest.approx(wilson_closed(want["overturned"], decided))
        assert group.median_hours_to_decide == pytest.approx(statistics.median(want["hours"]))
    else:
        assert group.overturn_rate.value is None and group.overturn_rate.low is None
        assert group.median_hours_to_decide is None


@pytest.fixture
def tokyo(workspace: Workspace) -> Workspace:
    return workspace.model_copy(update={"timezone": TOKYO})


async def test_every_figure_against_counts_by_hand(db: Database, tokyo: Workspace) -> None:
    rows = _rows()
    await _insert(db, rows)
    report = await appeal_report(db, tokyo, SINCE, UNTIL, today=TODAY)
    _check(report.overall, _expected(rows, "all")["all"])
    for level, groups in (("vendor", report.by_vendor), ("queue", report.by_queue),
                          ("auditor", report.by_auditor)):  # fmt: skip
        want = _expected(rows, level)
        assert {g.key for g in groups} == set(want)
        for group in groups:
            _check(group, want[group.key])
    # The hand counts themselves, for the overall line: 15+25+5+4+2+2+1 disagreements, not the unlabelled.
    assert (report.overall.appealable, report.overall.appeals) == (54, 40)
    assert next(g for g in report.by_queue if g.key == "hate-en").appealable == 15
    assert {"farpoint", "misc-xx", "unknown"} <= {g.key for g in (*report.by_vendor, *report.by_queue,
                                                                   *report.by_auditor)}  # fmt: skip


async def test_an_auditor_clearly_overturned_more_is_flagged_but_not_on_three_appeals(
    db: Database, tokyo: Workspace
) -> None:
    await _insert(db, _rows())
    report = await appeal_report(db, tokyo, SINCE, UNTIL, today=TODAY)
    auditors = {g.key: g for g in report.by_auditor}
    # qa-01: 10 of 12; everyone else pooled: qa-02 3/21, qa-03 3/3, qa-04 0/1 = 6 of 25.
    low, _ = wilson_closed(10, 12)
    assert low > 6 / 25
    assert [g.key for g in report.flagged] == ["qa-01"]
    assert report.by_auditor[0].key == "qa-01"  # candidates first
    assert "10 of 12" in (auditors["qa-01"].reason or "") and "6 of 25" in (auditors["qa-01"].reason or "")
    # 3 of 3 overturned: its interval's lower end (44%) even clears the others' 13 of 34, but 3 is not 10.
    assert auditors["qa-03"].overturn_rate.value == 1.0
    assert wilson_closed(3, 3)[0] > 13 / 34
    assert not auditors["qa-03"].flagged and not auditors["qa-02"].flagged


async def test_a_vendor_leads_scope_hides_the_other_vendor_and_its_auditors(
    db: Database, tokyo: Workspace
) -> None:
    rows = _rows()
    await _insert(db, rows)
    report = await appeal_report(db, tokyo, SINCE, UNTIL, vendors=frozenset({"northwind"}), today=TODAY)
    mine = [row for row in rows if row.vendor == "northwind"]
    _check(report.overall, _expected(mine, "all")["all"])
    assert [g.key for g in report.by_vendor] == ["northwind"]
    assert {g.key for g in report.by_queue} == {"hate-en", "spam-pt"}
    auditors = {g.key: g for g in report.by_auditor}
    assert set(auditors) == {"qa-01", "qa-02"}  # qa-03, qa-04 audit bluebird only
    for key, want in _expected(mine, "auditor").items():
        _check(auditors[key], want)
    assert auditors["qa-02"].overturned == 2  # its bluebird overturn is not counted
    assert [g.key for g in report.flagged] == ["qa-01"]
    assert as_json(report)["vendors"] == ["northwind"]


async def test_an_empty_period_divides_nothing(db: Database, tokyo: Workspace) -> None:
    report = await appeal_report(db, tokyo, date(2026, 10, 28), date(2026, 10, 31), today=TODAY)
    assert report.overall.appeals == report.overall.appealable == 0
    assert report.overall.appeal_rate.value is None and report.overall.median_hours_to_decide is None
    assert report.by_auditor == () and report.flagged == ()
    data = as_json(report)
    assert data["overall"]["appeal_rate"] == {"count": 0, "of": 0, "value": None, "low": None, "high": None}
    assert data["rates_from"] is None
    assert "No audited disagreements" in report_message(report, tokyo).parts[1].markdown  # type: ignore[union-attr]


def test_the_message_keeps_within_slacks_limits(tokyo: Workspace) -> None:
    """Many auditors: each section capped and the rest counted; candidates first with their reason."""

    def group(key: str, flagged: bool = False) -> AppealGroup:
        return AppealGroup("auditor", key, 40, 12, 0, 2, 10, Rate.of(12, 40), Rate.of(10, 12), 3.5,
                           flagged, "10 of 12 overturned" if flagged else None)  # fmt: skip

    auditors = (group("qa-99", True), *(group(f"qa-{i:02d}") for i in range(60)))
    report = AppealReport(SINCE, UNTIL, TOKYO, None, group("all"), (group("northwind"),), (group("hate-en"),),
                          auditors)  # fmt: skip
    message = report_message(report, tokyo)
    assert len(message.parts) <= 50
    texts = [p.markdown.plain for p in message.parts if hasattr(p, "markdown")]  # type: ignore[union-attr]
    assert all(len(t) <= 3000 for t in texts)
    section = next(t for t in texts if t.startswith("*Auditors*"))
    assert section.index("qa-99") < section.index("qa-00")
    assert "calibration candidate: 10 of 12 overturned" in section
    assert "… and 51 more" in section
    assert "30.0% (" in texts[1] and "83.3% (" in texts[1]
    rendered = blocks(message.parts)  # as Slack gets it, escaping included
    assert len(rendered) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in rendered if b["type"] == "section")


def test_long_names_full_of_escapes_stay_within_a_section(tokyo: Workspace) -> None:
    queues = tuple(
        AppealGroup("queue", f"q{i}<&>" * 20, 5, 2, 0, 1, 1, Rate.of(2, 5), Rate.of(1, 2), 1.0)
        for i in range(10)
    )
    report = AppealReport(SINCE, UNTIL, TOKYO, None, queues[0], (), queues, ())
    rendered = blocks(report_message(report, tokyo).parts)
    section = next(
        b["text"]["text"] for b in rendered if b["type"] == "section" and "Queues" in b["text"]["text"]
    )
    assert len(section) <= 3000 and "more in `tsqa appeals report --json`" in section


def test_auditors_are_named_from_the_appeals_section_without_a_mention(tokyo: Workspace) -> None:
    named = tokyo.model_copy(
        update={"appeals": AppealSettings(channel="C0QAREV01", auditors={"qa-01": "U0QALEAD1"})}
    )
    groups = tuple(
        AppealGroup("auditor", key, 5, 2, 0, 1, 1, Rate.of(2, 5), Rate.of(1, 2), 1.0)
        for key in ("qa-01", "qa-02")
    )
    report = AppealReport(SINCE, UNTIL, TOKYO, ("northwind",), groups[0], (), (), groups)
    message = report_message(report, named)
    section = next(p.markdown for p in message.parts if getattr(p, "markdown", None) and
                   readable_start(p.markdown) == "*Auditors*")  # fmt: skip
    assert "Quinn Lead (qa-01)" in section.plain and "• *qa-02*" in section.plain
    assert all(kind != USER for kind, _ in section.pieces)
    assert "No auditor's overturn rate stands clearly above" in " ".join(
        p.markdown for p in message.parts if isinstance(getattr(p, "markdown", None), str)
    )
    assert message.parts[0].text.startswith("Appeals · Northwind Review Services ·")  # type: ignore[union-attr]


def readable_start(markdown: object) -> str:
    text = markdown if isinstance(markdown, str) else markdown.plain  # type: ignore[attr-defined]
    return text.split("\n", 1)[0]


async def test_appeals_outlive_expired_decisions_out_of_the_appeal_rate_only(
    db: Database, tokyo: Workspace
) -> None:
    """35 days before 10 Dec is 5 Nov: the raw decisions of 2–4 Nov are gone (deleted here as retention
    does), their appeals stay. The appeal rate counts 5–8 Nov on both sides; the rest every appeal."""
    rows = _rows()
    await _insert(db, rows)
    kept_from = datetime(2026, 11, 4, 15, tzinfo=UTC)  # 5 Nov 00:00 in Tokyo
    async with db.transaction() as session:
        await session.execute(
            delete(Decision).where(Decision.completed_us < kept_from.timestamp() * 1_000_000)
        )
    report = await appeal_report(db, tokyo, SINCE, UNTIL, today=date(2026, 12, 10))
    assert report.rates_from == date(2026, 11, 5)
    kept = [row for row in rows if row.at >= kept_from]
    every = _expected(rows, "all")["all"]
    rate_side = _expected(kept, "all")["all"]
    appeals = rate_side["open"] + rate_side["upheld"] + rate_side["overturned"]
    overall = report.overall
    assert overall.appealable == rate_side["appealable"] < 54
    assert (overall.appeal_rate.count, overall.appeal_rate.total) == (appeals, rate_side["appealable"])
    assert (overall.appeal_rate.low, overall.appeal_rate.high) == pytest.approx(
        wilson_closed(appeals, rate_side["appealable"])
    )
    assert (overall.appeals, overall.overturned, overall.upheld) == (40, every["overturned"], every["upheld"])
    assert overall.median_hours_to_decide == pytest.approx(statistics.median(every["hours"]))
    assert as_json(report)["rates_from"] == "2026-11-05"
    note = report_message(report, tokyo).parts[-1].items[0].plain  # type: ignore[union-attr]
    assert "Raw decisions before 05 Nov have expired" in note
