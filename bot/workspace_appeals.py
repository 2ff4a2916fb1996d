"""The workspace file's `appeals:` section: where appeals are reviewed, how long a labeler has to
appeal, the review-time target, who may review, and which chat user each QA auditor is.

Kept apart from bot/workspace.py (as the training and sampling settings are). Without the section
appeals are off: `/quality mine` still lists a labeler's audited disagreements, without the button.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.workspace_ids import ChannelId, PersonRef, TimeOfDay
from bot.workspace_training import WEEKDAYS, Weekday, check_country, public_holiday


class AppealSettings(BaseModel):
    """The `appeals:` section; only the review channel must be given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: ChannelId  # the review queue: one thread per appeal
    window_days: int = Field(default=7, ge=1, le=90)  # days after the audit an appeal is taken
    review_days: int = Field(default=3, ge=1, le=30)  # the review-time target, in working days
    # Who may decide an appeal; empty: the admins (QA leads) and the trainers.
    reviewers: list[PersonRef] = []
    # The `qa_auditor` names of the queue data → the chat user (or group) each is, so an auditor is
    # refused as the reviewer of their own verdict.
    auditors: dict[str, PersonRef] = {}
    country: str | None = None  # public holidays that are not working days for the review target
    weekly_day: Weekday = "mon"  # the weekly DM of a labeler's appealable disagreements
    weekly_time: TimeOfDay = "10:00"

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return None if value is None else check_country(value)

    @property
    def weekday(self) -> int:
        return WEEKDAYS.index(self.weekly_day)

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday, and not a public holiday where `country` is set."""
        return day.weekday() < 5 and (self.country is None or public_holiday(self.country, day) is None)

    def working_days_after(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (a Friday's 3rd is the next Wednesday)."""
        while count > 0:
            day += timedelta(days=1)
            count -= self.is_working_day(day)
        return day
