"""The workspace file's `sites:` (where labelers work, so training lands on the site's working days)
and `training:` (where plan templates live, reminders, check-in, the weekly summary).

Kept apart from bot/workspace.py (as the escalation settings are) so training's settings grow here.
"""

from __future__ import annotations

import re
from datetime import date, time
from functools import cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.workspace_ids import SLUG, TimeOfDay

HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


@cache
def _public_holidays(country: str) -> Any:
    """One calendar per country: the package fills in years as they are asked about."""
    import holidays  # loaded lazily: its country tables are large

    return holidays.country_holidays(country)


def check_country(value: str) -> str:
    """An ISO country code the holidays package knows, upper-cased; ValueError says what is allowed."""
    import holidays

    if value.upper() not in holidays.list_supported_countries():
        raise ValueError(f"{value!r} is not a country the holidays package knows (use e.g. PT, PH, KE)")
    return value.upper()


def public_holiday(country: str, day: date) -> str | None:
    """The public holiday's name on `day` in `country` (an ISO code the holidays package knows), or None."""
    return _public_holidays(country).get(day)


class Site(BaseModel):
    """A vendor site: its IANA timezone, its country (for public holidays) and its working hours."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=SLUG)
    timezone: str
    country: str
    hours: str = "09:00-17:00"

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r} (use an IANA name such as Europe/Lisbon)") from None
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        return check_country(value)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        match = HOURS.match(value.replace(" ", ""))
        if not match:
            raise ValueError(f'{value!r} is not working hours like "09:00-17:30"')
        opens, closes = match.group(1, 2), match.group(3, 4)
        if opens >= closes:
            raise ValueError(f"working hours {value!r} must close after they open")
        return value.replace(" ", "")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def opens(self) -> time:
        return time.fromisoformat(self.hours.split("-")[0])

    @property
    def closes(self) -> time:
        return time.fromisoformat(self.hours.split("-")[1])

    @property
    def day_minutes(self) -> int:
        """The length of a working day here, in minutes."""
        return (self.closes.hour - self.opens.hour) * 60 + self.closes.minute - self.opens.minute

    def holiday(self, day: date) -> str | None:
        """The public holiday's name on `day` in this site's country, or None."""
        return public_holiday(self.country, day)

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday, not a public holiday in the site's country."""
        return day.weekday() < 5 and self.holiday(day) is None


def beside(workspace_file: str | Path, folder: str) -> Path:
    """`folder` as written when absolute, else beside the workspace file, so the file and the folders
    it names move together (the policy library, the training plans)."""
    path = Path(folder)
    return path if path.is_absolute() else Path(workspace_file).parent / path


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

MAX_REMINDERS = 5
MAX_REMINDER_MINUTES = 14 * 24 * 60  # two weeks ahead: a reminder further out is not a reminder


class TrainingSettings(BaseModel):
    """The workspace file's `training:` section; every key has a default, so the section is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plans: str = "training"  # folder of plan YAML files, relative to the workspace file
    reminders: list[int] = [1440, 15]  # minutes before each session a reminder DM goes out
    check_in_early: int = Field(default=15, ge=0, le=240)  # minutes before the start Check in works
    min_audits: int = Field(default=20, ge=1)  # fewer audits in nesting: "not enough audits yet"
    summary_day: Weekday = "mon"  # the weekly summary, in the workspace timezone
    summary_time: TimeOfDay = "09:00"

    @field_validator("plans")
    @classmethod
    def _plans_given(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("plans must name a folder of training plan files, e.g. training")
        return value

    @field_validator("reminders")
    @classmethod
    def _reminders(cls, minutes: list[int]) -> list[int]:
        """Sorted earliest-first (largest lead first), so the first reminder is the first to go out."""
        if bad := [m for m in minutes if not 0 < m <= MAX_REMINDER_MINUTES]:
            raise ValueError(
                f"reminders are minutes before a session, from 1 to {MAX_REMINDER_MINUTES} "
                f"(two weeks), not {', '.join(str(m) for m in bad)}"
            )
        if repeated := sorted({m for m in minutes if minutes.count(m) > 1}):
            raise ValueError(
                f"reminders must be distinct: {', '.join(str(m) for m in repeated)} appear more than once"
            )
        if len(minutes) > MAX_REMINDERS:
            raise ValueError(f"give at most {MAX_REMINDERS} reminders (there are {len(minutes)})")
        return sorted(minutes, reverse=True)

    @property
    def summary_weekday(self) -> int:
        """The summary's day as `date.weekday()` counts it (Monday 0)."""
        return WEEKDAYS.index(self.summary_day)

    @property
    def summary_at(self) -> time:
        return time.fromisoformat(self.summary_time)

    def folder(self, workspace_file: str | Path) -> Path:
        """The plans folder: `plans` as written when absolute, else beside the workspace file."""
        return beside(workspace_file, self.plans)
