"""The escalation report: MTTA/MTTR medians and p90s against an independent computation and a worked
example, the groups, the CSV's formula safety, the chart, the chat message and the one DB read."""

from __future__ import annotations

import csv
import io
import random
import re
import statistics
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from PIL import Image as PILImage

from bot.chat.model import Header, Text
from handlers.escalate import durations
from handlers.escalate.report import (
    CSV_COLUMNS,
    NO_VENDOR,
    Group,
    escalations_since,
    report_chart,
    report_csv,
    summarise,
)
from handlers.escalate.report_views import report_message
from storage.engine import Database
from storage.models.escalation import Escalation
from tests.escalation_rows import escalation

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PLATFORMS = ("labelling-tool", "media-service", "routing")
VENDORS = ("northwind", "bluebird", None)
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")


def esc(number: int, *, opened: datetime = T0, status: str | None = None, **fields: Any) -> Escalation:  # noqa: ANN401
    """An escalation acknowledged `ack` and resolved `resolve` minutes after it was opened."""
    if status is not None:
        fields["status"] = status
    return escalation(number, opened=opened, **fields)


# ----- the numbers -----


def test_a_worked_example_by_hand() -> None:
    """Acknowledged after 2, 4, 10, 30 minutes and one never: median (4+10)/2 = 7; p90 at rank
    0.9·(4−1) = 2.7 → 10 + 0.7·(30−10) = 24. Resolved after 60, 120, 600 minutes (two still open):
    median 120; p90 at rank 0.9·(3−1) = 1.8 → 120 + 0.8·(600−120) = 504."""
    rows = [
        esc(1, ack=2, resolve=60),
        esc(2, ack=4, resolve=120),
        esc(3, ack=10, resolve=600),
        esc(4, ack=30),
        esc(5, opened=NOW - timedelta(hours=3)),
    ]
    report = summarise(rows, NOW)
    o = report.overall
    assert (o.opened, o.acknowledged, o.resolved, o.still_open) == (5, 4, 3, 2)
    assert (o.mtta.median, o.mtta.p90) == (7, 24)
    assert (o.mttr.median, o.mttr.p90) == (120, 504)
    # The oldest still open is ESC-4, opened at T0, not ESC-5.
    assert report.oldest_open_minutes == (NOW - T0).total_seconds() / 60
    assert [g.key for g in report.platforms] == ["labelling-tool"]
    assert report.platforms == (replace(o, key="labelling-tool"),)


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    return values[0] if len(values) == 1 else statistics.quantiles(values, n=10, method="inclusive")[8]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _generated(count: int, seed: int) -> list[Escalation]:
    pick = random.Random(seed)
    rows = []
    for number in range(1, count + 1):
        ack = pick.uniform(0.5, 900) if pick.random() < 0.8 else None
        resolve = (ack or 0) + pick.uniform(5, 4000) if pick.random() < 0.6 else None
        rows.append(
            esc(
                number,
                opened=T0 + timedelta(minutes=pick.uniform(0, 20000)),
                ack=ack,
                resolve=resolve,
                platform=pick.choice(PLATFORMS),
                vendor=pick.choice(VENDORS),
                severity=pick.choice(SEVERITIES[:3]),  # no SEV4 at all: an empty group
            )
        )
    return rows


def _expected(rows: list[Escalation]) -> tuple[float | None, ...]:
    mtta = [
        (r.first_acknowledged_at - r.opened_at).total_seconds() / 60 for r in rows if r.first_acknowledged_at
    ]
    mttr = [(r.resolved_at - r.opened_at).total_seconds() / 60 for r in rows if r.resolved_at]
    acked = sum(r.first_acknowledged_at is not None for r in rows)
    return (len(rows), acked, len(mttr), _median(mtta), _p90(mtta), _median(mttr), _p90(mttr))


def _got(group: Group) -> tuple[float | None, ...]:
    return (
        group.opened,
        group.acknowledged,
        group.resolved,
        *group.mtta.__dict__.values(),
        *group.mttr.__dict__.values(),
    )


def _close(got: tuple[float | None, ...], expected: tuple[float | None, ...]) -> bool:
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        if (a is None) != (b is None) or (a is not None and abs(a - b) > 0.006):
            return False
    return True


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_medians_and_p90s_match_an_independent_computation(seed: int) -> None:
    rows = _generated(240, seed)
    report = summarise(rows, NOW)
    assert _close(_got(report.overall), _expected(rows))
    for attribute, groups in (
        ("platform", report.platforms),
        ("vendor", report.vendors),
        ("severity", report.severities),
    ):
        keys = [g.key for g in groups]
        for group in groups:
            wanted = [r for r in rows if (getattr(r, attribute) or NO_VENDOR) == group.key]
            assert _close(_got(group), _expected(wanted)), (attribute, group.key)
            assert group.still_open == group.opened - group.resolved
        assert sum(g.opened for g in groups) == len(rows)
        if attribute == "vendor":
            assert keys == ["bluebird", "northwind", NO_VENDOR]
        if attribute == "platform":
            assert keys == sorted(PLATFORMS)
    sev4 = report.severities[3]
    assert (sev4.key, sev4.opened, sev4.mtta.median, sev4.mttr.p90) == ("SEV4", 0, None, None)


def test_a_reopened_escalation_is_not_counted_as_resolved() -> None:
    rows = [esc(1, ack=5, resolve=50), esc(2, ack=5, resolve=20, status="acknowledged")]
    report = summarise(rows, NOW)
    assert (report.overall.resolved, report.overall.still_open) == (1, 1)
    assert (report.overall.mttr.median, report.overall.mttr.p90) == (50, 50)


def test_nothing_acknowledged_or_resolved_gives_none() -> None:
    report = summarise([esc(1), esc(2, platform="routing")], NOW)
    assert report.overall.mtta.median is None and report.overall.mttr.p90 is None
    assert all(g.mtta.p90 is None for g in report.platforms)
    empty = summarise([], NOW)
    assert (empty.overall.opened, empty.platforms, empty.oldest_open_minutes) == (0, (), None)


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [
        (None, "–"),
        (0.2, "12 s"),
        (4, "4 min"),
        (59.4, "59 min"),
        (60, "1 h"),
        (125, "2 h 5 min"),
        (24 * 60 + 185, "1 d 3 h"),
        (48 * 60, "2 d"),
    ],
)
def test_durations_read_as_people_say_them(minutes: float | None, shown: str) -> None:
    assert durations.minutes(minutes) == shown


# ----- the CSV and the chart -----


def test_the_csv_has_a_line_per_escalation_and_no_formulas() -> None:
    rows = [
        esc(7, ack=4.5, resolve=125, cause="=cmd|' /C calc'!A0"),
        esc(8, vendor=None, title='=HYPERLINK("http://example.test","click")'),
        esc(9, ack=3, title="+1 more tool down"),
    ]
    lines = list(csv.DictReader(io.StringIO(report_csv(rows).decode())))
    assert list(lines[0]) == list(CSV_COLUMNS)
    assert [line["escalation"] for line in lines] == ["ESC-7", "ESC-8", "ESC-9"]
    first = lines[0]
    assert (first["minutes_to_ack"], first["minutes_to_resolve"]) == ("4.5", "125")
    assert first["opened_at"] == T0.isoformat()
    assert first["cause"] == "'=cmd|' /C calc'!A0"
    assert lines[1]["title"] == '\'=HYPERLINK("http://example.test","click")'
    assert (lines[1]["vendor"], lines[1]["minutes_to_ack"], lines[1]["status"]) == ("", "", "open")
    assert lines[2]["title"] == "'+1 more tool down"


def test_the_chart_is_a_png_with_a_row_per_platform() -> None:
    small = report_chart(summarise([esc(1, ack=3, resolve=40)], NOW))
    rows = [esc(n, ack=n, platform=p) for n, p in enumerate(PLATFORMS, 1)]
    large = report_chart(summarise(rows, NOW))
    for png in (small, large):
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
    heights = [PILImage.open(io.BytesIO(png)).size[1] for png in (small, large)]
    assert heights[1] > heights[0]
    assert report_chart(summarise([], NOW)).startswith(b"\x89PNG")


# ----- the chat message -----


def test_the_message_tables_each_group_with_its_times() -> None:
    rows = [
        esc(1, ack=4, resolve=125),
        esc(2, ack=30, platform="media-service", vendor="bluebird", severity="SEV1"),
        esc(3, vendor="<!channel>"),  # a vendor id from data stays text
    ]
    message = report_message(summarise(rows, NOW), date(2026, 11, 1))
    assert isinstance(message.parts[0], Header)
    texts = [p.markdown.plain for p in message.parts if isinstance(p, Text)]
    assert texts[0] == "*3* opened · *2* acknowledged · *1* resolved · *2* still open"
    table = [re.split(r"\s{2,}", line.strip()) for line in texts[1].strip("`").splitlines()]
    assert table == [
        ["platform", "opened", "open", "MTTA med", "p90", "MTTR med", "p90"],
        ["labelling-tool", "2", "1", "4 min", "4 min", "2 h 5 min", "2 h 5 min"],
        ["media-service", "1", "1", "30 min", "30 min", "–", "–"],
    ]
    vendor_table = message.parts[4].markdown
    assert any(kind == "text" and "<!channel>" in text for kind, text in vendor_table.pieces)
    assert all("<!channel>" not in text for kind, text in vendor_table.pieces if kind != "text")
    assert "SEV4" in texts[3] and "Escalations since 2026-11-01" in message.summary.plain


def test_an_empty_period_says_so() -> None:
    message = report_message(summarise([], NOW), date(2026, 11, 1))
    assert message.summary.plain == "No escalations since 2026-11-01."


# ----- the read -----


async def test_escalations_since_reads_from_a_time_and_for_vendors(db: Database) -> None:
    rows = [
        esc(1, opened=T0 - timedelta(minutes=1)),
        esc(2, opened=T0, vendor="bluebird"),
        esc(3, opened=T0 + timedelta(days=2), ack=3),
        esc(4, opened=T0 + timedelta(days=1), vendor=None),
    ]
    async with db.transaction() as session:
        session.add_all(rows)
    found = await escalations_since(db, T0)
    assert [r.number for r in found] == [2, 4, 3]
    assert found[2].first_acknowledged_at == T0 + timedelta(days=2, minutes=3)
    assert [r.number for r in await escalations_since(db, T0, {"northwind"})] == [3]
    assert [r.number for r in await escalations_since(db, T0, {"northwind", "bluebird"})] == [2, 3]
    assert await escalations_since(db, T0, set()) == []
