"""When escalation reminders fall due: minutes per severity, or the next business day with weekends
and the configured country's public holidays skipped (checked against a calendar by hand)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.workspace_escalation import EscalationSettings, SeverityTiming
from handlers.escalate import timing

TZ = "Europe/Dublin"


def config(**changes: object) -> EscalationSettings:
    return EscalationSettings.model_validate({"channel": "C0ESCAL01", **changes})


def test_minutes_per_severity_by_default_and_as_configured() -> None:
    start = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    defaults = config()
    assert timing.ack_due(defaults, "SEV1", start, 1, TZ) == datetime(2026, 11, 24, 10, 5, tzinfo=UTC)
    assert timing.ack_due(defaults, "SEV1", start, 2, TZ) == datetime(2026, 11, 24, 10, 10, tzinfo=UTC)
    assert timing.ack_due(defaults, "SEV2", start, 1, TZ) == datetime(2026, 11, 24, 10, 15, tzinfo=UTC)
    assert timing.ack_due(defaults, "SEV3", start, 2, TZ) == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert timing.update_due(defaults, "SEV2", start) == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    assert timing.update_due(defaults, "SEV3", start) is None
    tuned = config(timings={"SEV1": {"ack_minutes": 2, "update_minutes": 10}})
    assert tuned.timing("SEV1") == SeverityTiming(ack_minutes=2, update_minutes=10)
    assert timing.ack_due(tuned, "SEV1", start, 2, TZ) == datetime(2026, 11, 24, 10, 4, tzinfo=UTC)
    assert timing.ack_due(tuned, "SEV2", start, 1, TZ) == datetime(2026, 11, 24, 10, 15, tzinfo=UTC)


def test_sev4_waits_for_the_next_business_day() -> None:
    # Friday 27 Nov 2026 16:00 Dublin (UTC+0 in winter): Monday 30 Nov 09:00, then Tuesday 09:00.
    friday = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    assert timing.ack_due(config(), "SEV4", friday, 1, TZ) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert timing.ack_due(config(), "SEV4", friday, 2, TZ) == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    # Raised before the day starts, it still waits for the next day: Tuesday 07:30 -> Wednesday 09:00.
    early = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    assert timing.ack_due(config(), "SEV4", early, 1, TZ) == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_public_holidays_of_the_configured_country_are_skipped() -> None:
    # Ireland, Christmas 2026: Fri 25 Dec is Christmas Day, St Stephen's Day falls on Sat 26 (the
    # holidays package, like Irish law, moves no public holiday off a weekend). Wednesday 23 Dec 17:00
    # -> Thursday 24 Dec 09:00 -> Monday 28 Dec 09:00.
    irish = config(holidays_country="ie")
    evening = datetime(2026, 12, 23, 17, 0, tzinfo=UTC)
    assert timing.ack_due(irish, "SEV4", evening, 1, TZ) == datetime(2026, 12, 24, 9, 0, tzinfo=UTC)
    assert timing.ack_due(irish, "SEV4", evening, 2, TZ) == datetime(2026, 12, 28, 9, 0, tzinfo=UTC)
    # Easter Monday 2027 (29 Mar) is an Irish public holiday, and summer time starts on Sunday 28 Mar:
    # Thursday 25 Mar 10:00 -> Friday 26 Mar 09:00 (UTC+0) -> Tuesday 30 Mar 09:00 (UTC+1, 08:00 UTC).
    thursday = datetime(2027, 3, 25, 10, 0, tzinfo=UTC)
    assert timing.ack_due(irish, "SEV4", thursday, 1, TZ) == datetime(2027, 3, 26, 9, 0, tzinfo=UTC)
    assert timing.ack_due(irish, "SEV4", thursday, 2, TZ) == datetime(2027, 3, 30, 8, 0, tzinfo=UTC)
    # Without a country only weekends are skipped: Friday 25 Dec counts.
    assert timing.ack_due(config(), "SEV4", evening, 2, TZ) == datetime(2026, 12, 25, 9, 0, tzinfo=UTC)


def test_business_hours_start_in_the_workspace_timezone() -> None:
    # Manila is UTC+8: Sunday 29 Nov 2026 20:00 UTC is Monday 04:00 there, so the next business day is
    # Tuesday, and 08:30 in Manila is 00:30 UTC (in Dublin it would still be Sunday: Monday 09:00).
    late = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
    due = timing.ack_due(config(business_day_start="08:30"), "SEV4", late, 1, "Asia/Manila")
    assert due == datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    assert timing.ack_due(config(), "SEV4", late, 1, TZ) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_an_unknown_country_is_refused_with_what_to_write() -> None:
    try:
        config(holidays_country="XX")
    except ValueError as exc:
        assert "not a country the holidays package knows" in str(exc)
    else:
        raise AssertionError("an unknown country was accepted")
