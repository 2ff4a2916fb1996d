"""The workspace file's `sites:`: where labelers work, so training lands on the site's working days.

Kept apart from bot/workspace.py (as the escalation settings are) so training's settings grow here.
"""

from __future__ import annotations

import re
from datetime import date, time
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.workspace_ids import SLUG

HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


@cache
def _public_holidays(country: str) -> Any:
    """One calendar per country: the package fills in years as they are asked about."""
    import holidays  # loaded lazily: its country tables are large

    return holidays.country_holidays(country)


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
        import holidays

        if value.upper() not in holidays.list_supported_countries():
            raise ValueError(f"{value!r} is not a country the holidays package knows (use e.g. PT, PH, KE)")
        return value.upper()

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
        return _public_holidays(self.country).get(day)

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday, not a public holiday in the site's country."""
        return day.weekday() < 5 and self.holiday(day) is None
