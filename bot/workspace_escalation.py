"""The workspace file's escalation directory: `platforms` (the tools labelers depend on, with their
R&D on-call tiers), the `escalation:` section (where escalations are posted, how fast people must
react per severity) and the vendors' contacts by role.

Kept apart from bot/workspace.py so the escalation capability's settings grow here, not in the core file.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.workspace_ids import SLUG, ChannelId, PersonRef, TimeOfDay

Severity = Literal["SEV1", "SEV2", "SEV3", "SEV4"]
SEVERITIES: tuple[Severity, ...] = ("SEV1", "SEV2", "SEV3", "SEV4")
# One line each, shown in the form: a reporter picks by what is happening, not by a number.
SEVERITY_MEANINGS: dict[str, str] = {
    "SEV1": "Labelling stopped: a queue or site cannot work, SLAs are burning",
    "SEV2": "Major degradation: output far below normal, no easy workaround",
    "SEV3": "Partial problem with a workaround; output mildly affected",
    "SEV4": "Minor or cosmetic; no effect on output today",
}
# The vendor contact roles an escalation reaches, in the order they are named.
CONTACT_ROLES: dict[str, str] = {
    "operations": "BPO operations",
    "workforce": "workforce management",
    "site_lead": "site lead",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VendorContacts(_Model):
    """A vendor's people by role. A plain list in the file (the older shape) means BPO operations."""

    operations: list[PersonRef] = []
    workforce: list[PersonRef] = []
    site_lead: list[PersonRef] = []

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, data: Any) -> Any:
        return {"operations": data} if isinstance(data, list) else data

    def of(self, role: str) -> list[str]:
        return list(getattr(self, role))

    @property
    def everyone(self) -> list[str]:
        return list(dict.fromkeys([*self.operations, *self.workforce, *self.site_lead]))


class EscalationPlatform(_Model):
    """A platform or tool labelers depend on; tier 1 is paged first, tier 2 when tier 1 is silent."""

    id: str = Field(pattern=SLUG)
    name: str
    rd_oncall: list[PersonRef] = []
    rd_escalation: list[PersonRef] = []


class SeverityTiming(_Model):
    """Minutes to an acknowledgement before tier 1 is pinged again (and as long again before tier 2
    is paged); `null` means the next business day. `update_minutes`: the longest silence an owner may
    keep on an acknowledged escalation before a nudge; `null` means no nudges."""

    ack_minutes: int | None = Field(default=None, gt=0)
    update_minutes: int | None = Field(default=None, gt=0)


DEFAULT_TIMINGS: dict[str, SeverityTiming] = {
    "SEV1": SeverityTiming(ack_minutes=5, update_minutes=30),
    "SEV2": SeverityTiming(ack_minutes=15, update_minutes=60),
    "SEV3": SeverityTiming(ack_minutes=60),
    "SEV4": SeverityTiming(),
}


class EscalationSettings(_Model):
    """`channel` is the default; a queue's own channel wins over its vendor's, which wins over it."""

    channel: ChannelId
    vendor_channels: dict[str, ChannelId] = {}
    queue_channels: dict[str, ChannelId] = {}
    timings: dict[Severity, SeverityTiming] = {}
    business_day_start: TimeOfDay = "09:00"
    holidays_country: str | None = None

    @field_validator("holidays_country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        import holidays  # only when configured: the package loads its country tables lazily

        if value.upper() not in holidays.list_supported_countries():
            raise ValueError(f"{value!r} is not a country the holidays package knows (use e.g. IE, PH)")
        return value.upper()

    def timing(self, severity: str) -> SeverityTiming:
        return self.timings.get(severity) or DEFAULT_TIMINGS[severity]  # type: ignore[index]

    def channel_for(self, queue: str | None, vendor: str | None) -> str:
        if queue and queue in self.queue_channels:
            return self.queue_channels[queue]
        if vendor and vendor in self.vendor_channels:
            return self.vendor_channels[vendor]
        return self.channel
