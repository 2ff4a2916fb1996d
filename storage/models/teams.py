"""What the Teams adapter must remember to speak first: where each conversation lives, who each person is.

Bot Framework gives a conversation's service URL and a person's Teams ID only in the activities it
sends; proactive posts (scheduled digests, DMs) need them later, on any replica and after a restart.
"""

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class TeamsConversation(Base):
    """A channel, group chat or personal chat the app is in, keyed by its conversation ID (a channel's
    ID has no `;messageid=` suffix)."""

    __tablename__ = "teams_conversations"

    conversation_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # personal, channel, groupChat
    service_url: Mapped[str] = mapped_column(String(512))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    team_id: Mapped[str | None] = mapped_column(String(255))
    team_group_id: Mapped[str | None] = mapped_column(String(64))  # the team's Entra group, for links
    name: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255), index=True)  # personal: the person's AAD ID
    installed: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TeamsPerson(Base):
    """A person by Entra (AAD) object ID, the ID the workspace file uses, with their Teams ID."""

    __tablename__ = "teams_people"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    teams_id: Mapped[str] = mapped_column(String(255))  # 29:…, what Bot Framework calls them
    name: Mapped[str | None] = mapped_column(String(255))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    service_url: Mapped[str | None] = mapped_column(String(512))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
