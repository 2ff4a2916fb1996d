"""Tables of the local browser workspace (`tsqa run --local`): its state survives a restart."""

from datetime import datetime

from sqlalchemy import DateTime, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class LocalWorkspaceSnapshot(Base):
    """The local workspace's conversations, people and views as one JSON document, rewritten on change."""

    __tablename__ = "local_workspace_snapshots"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LocalWorkspaceFile(Base):
    """An uploaded file's bytes, written once, so the snapshot stays small when charts pile up."""

    __tablename__ = "local_workspace_files"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
