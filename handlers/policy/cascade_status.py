"""Where a cascade stands: per target channel, who is a member now, who acknowledged and who passed
the quiz; what `/policy cascade`, the reminders and the final summary read."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.context import Services
from storage.models import PolicyCascade, PolicyCascadeMember, PolicyCascadeTarget


@dataclass(frozen=True)
class ChannelStatus:
    channel: str
    vendor: str | None
    members: tuple[str, ...]
    acked: tuple[str, ...]
    passed: tuple[str, ...]

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(u for u in self.members if u not in self.acked)


@dataclass(frozen=True)
class Status:
    cascade: PolicyCascade
    channels: tuple[ChannelStatus, ...]

    def acked_people(self) -> set[str]:
        return {u for c in self.channels for u in c.acked}

    def pending_people(self) -> list[str]:
        """Everyone who still owes an acknowledgement, or with a quiz, its pass."""
        quiz = self.cascade.quiz_topic is not None
        due = {
            u for c in self.channels for u in c.members if u not in c.acked or (quiz and u not in c.passed)
        }
        return sorted(due)


async def cascade_row(services: Services, cascade_id: int) -> PolicyCascade | None:
    async with services.db.transaction() as session:
        return await session.get(PolicyCascade, cascade_id)


async def latest_cascade(services: Services, policy_id: str) -> PolicyCascade | None:
    """The cascade of the policy's most recently published version."""
    async with services.db.transaction() as session:
        return await session.scalar(
            select(PolicyCascade)
            .where(PolicyCascade.policy_id == policy_id)
            .order_by(PolicyCascade.published_at.desc(), PolicyCascade.cascade_id.desc())
            .limit(1)
        )


async def status(services: Services, cascade: PolicyCascade) -> Status:
    """Per target channel: who is a member now, who acknowledged, who passed the quiz."""
    async with services.db.transaction() as session:
        targets = (
            await session.scalars(
                select(PolicyCascadeTarget)
                .where(PolicyCascadeTarget.cascade_id == cascade.cascade_id)
                .order_by(
                    PolicyCascadeTarget.vendor.is_(None),
                    PolicyCascadeTarget.vendor,
                    PolicyCascadeTarget.channel,
                )
            )
        ).all()
        members = (
            await session.scalars(
                select(PolicyCascadeMember).where(
                    PolicyCascadeMember.cascade_id == cascade.cascade_id,
                    PolicyCascadeMember.left_at.is_(None),
                )
            )
        ).all()
    by_channel: dict[str, list[PolicyCascadeMember]] = {t.channel: [] for t in targets}
    for m in sorted(members, key=lambda m: m.user_id):
        by_channel.setdefault(m.channel, []).append(m)
    return Status(
        cascade,
        tuple(
            ChannelStatus(
                t.channel,
                t.vendor,
                tuple(m.user_id for m in by_channel[t.channel]),
                tuple(m.user_id for m in by_channel[t.channel] if m.acked_at is not None),
                tuple(m.user_id for m in by_channel[t.channel] if m.passed_at is not None),
            )
            for t in targets
        ),
    )
