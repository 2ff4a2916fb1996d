"""The appeal window and the review target in the workspace's days, counted by hand on a calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.workspace_appeals import AppealSettings
from handlers.appeals import window

DUBLIN = ZoneInfo("Europe/Dublin")
MANILA = ZoneInfo("Asia/Manila")


def settings(**values: object) -> AppealSettings:
    return AppealSettings(channel="C0APPEAL1", **values)


def test_the_window_closes_at_the_end_of_the_seventh_local_day() -> None:
    audited = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)
    s = settings()
    assert window.closes_on(audited, s, DUBLIN) == date(2026, 12, 1)
    assert window.is_open(audited, datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC), s, DUBLIN)
    assert not window.is_open(audited, datetime(2026, 12, 2, 0, 0, tzinfo=UTC), s, DUBLIN)
    # 23:30 UTC on the 24th is already the 25th in Manila (UTC+8): its window ends a day later there.
    late_evening = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    assert window.closes_on(late_evening, s, MANILA) == date(2026, 12, 2)
    assert window.closes_on(audited, settings(window_days=14), DUBLIN) == date(2026, 12, 8)


def test_the_review_is_due_after_three_working_days() -> None:
    s = settings()
    # Filed Tuesday 24 Nov: Wed 25, Thu 26, Fri 27 → due by the end of Friday.
    assert window.due_on(datetime(2026, 11, 24, 10, tzinfo=UTC), s, DUBLIN) == date(2026, 11, 27)
    # Filed Friday 27 Nov: Mon 30, Tue 1, Wed 2 (the weekend does not count).
    assert window.due_on(datetime(2026, 11, 27, 16, tzinfo=UTC), s, DUBLIN) == date(2026, 12, 2)
    assert window.due_at(datetime(2026, 11, 27, 16, tzinfo=UTC), s, DUBLIN) == datetime(
        2026, 12, 3, tzinfo=DUBLIN
    )
    # Filed on a Saturday: Mon, Tue, Wed.
    assert window.due_on(datetime(2026, 11, 28, 9, tzinfo=UTC), s, DUBLIN) == date(2026, 12, 2)


def test_public_holidays_do_not_count_where_a_country_is_set() -> None:
    # Ireland, as the holidays package lists it: Christmas Day on Friday 25 December 2026 (St Stephen's
    # Day falls on the Saturday). Filed Wed 23 Dec: Thu 24, then Mon 28, Tue 29.
    filed = datetime(2026, 12, 23, 11, tzinfo=UTC)
    assert window.due_on(filed, settings(country="IE"), DUBLIN) == date(2026, 12, 29)
    assert window.due_on(filed, settings(), DUBLIN) == date(2026, 12, 28)  # no country: weekdays only


def test_reminders_fall_on_the_due_day_then_each_working_day_late() -> None:
    s = settings()
    due = date(2026, 11, 27)  # a Friday
    assert window.reminder_at(due, 0, s, DUBLIN) == datetime(2026, 11, 27, 9, tzinfo=DUBLIN)
    assert window.reminder_at(due, 1, s, DUBLIN) == datetime(2026, 11, 30, 9, tzinfo=DUBLIN)
    assert window.reminder_at(due, 2, s, DUBLIN) == datetime(2026, 12, 1, 9, tzinfo=DUBLIN)


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ({"window_days": 0}, "window_days"),
        ({"review_days": 0}, "review_days"),
        ({"country": "XX"}, "is not a country the holidays package knows"),
        ({"weekly_time": "25:00"}, "weekly_time"),
        ({"weekly_day": "someday"}, "weekly_day"),
    ],
)
def test_a_wrong_setting_says_which(values: dict[str, object], said: str) -> None:
    with pytest.raises(ValidationError) as caught:
        settings(**values)
    assert said in str(caught.value)
