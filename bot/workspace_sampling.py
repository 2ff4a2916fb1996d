"""The workspace file's `sampling:` section: each queue's audit plan (ISO 2859-1 AQL, inspection level,
the inspection it starts on), and where and when the daily audit draw posts.

Kept apart from bot/workspace.py (as the training and escalation settings are) so sampling's settings
grow here. Plans are checked against the tables in handlers/sampling/iso2859.py when the file loads,
so a wrong AQL is said at startup, not on the first draw.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.workspace_ids import ChannelId, TimeOfDay

Inspection = Literal["normal", "tightened", "reduced"]


class QueuePlan(BaseModel):
    """One queue's plan: the AQL (percent nonconforming), the inspection level, the starting inspection."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    aql: float = 1.0
    level: str = "II"
    start: Inspection = "normal"

    @field_validator("aql", mode="before")
    @classmethod
    def _aql(cls, value: object) -> float:
        # Imported here: handlers/__init__.py imports bot.routing, which imports bot.workspace (this file's
        # reader), so a module-level import would be circular.
        from handlers.sampling.iso2859 import AQLS, SamplingError, aql_index

        try:
            return AQLS[aql_index(value)]  # type: ignore[arg-type]
        except SamplingError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, value: object) -> str:
        from handlers.sampling.iso2859 import SamplingError, check_level

        try:
            return check_level(str(value))
        except SamplingError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class SamplingSettings(BaseModel):
    """The workspace file's `sampling:` section; every key has a default, so the section is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: ChannelId | None = None  # the daily draw's channel; None: the first ingest channel
    # A vendor's samples in its own channel, so one vendor's auditors never see another's items.
    vendor_channels: dict[str, ChannelId] = {}
    time: TimeOfDay = "06:00"  # the daily draw, in the workspace timezone
    seed: int = 2859  # the draw is reproducible from (seed, queue, day, labeler)
    per_labeler_min: int = Field(default=2, ge=0)
    nesting_min: int = Field(default=5, ge=0)
    reduced_allowed: bool = False
    default: QueuePlan = QueuePlan()  # for queues not listed under `queues`
    queues: dict[str, QueuePlan] = {}

    @model_validator(mode="after")
    def _reduced(self) -> SamplingSettings:
        """Reduced inspection is opt-in: a plan may start there only when the section allows it."""
        if self.reduced_allowed:
            return self
        starting = [q for q, plan in self.queues.items() if plan.start == "reduced"]
        starting += ["default"] if self.default.start == "reduced" else []
        if starting:
            verb = "starts" if len(starting) == 1 else "start"
            raise ValueError(
                f"{', '.join(starting)} {verb} on reduced inspection, but reduced_allowed is false; "
                "set reduced_allowed: true or start on normal"
            )
        return self

    def plan_for(self, queue_id: str) -> QueuePlan:
        """The queue's own plan, or the default one."""
        return self.queues.get(queue_id, self.default)

    def draw_channel(self, ingest_channels: list[str], vendor: str | None = None) -> str | None:
        """Where the daily draw posts: the vendor's own channel, else `channel`, else the first ingest
        channel, else nowhere."""
        if vendor is not None and vendor in self.vendor_channels:
            return self.vendor_channels[vendor]
        return self.channel or (ingest_channels[0] if ingest_channels else None)
