"""All models, imported here so Alembic sees every table."""

from storage.models.base import Base
from storage.models.core import ProcessedEvent
from storage.models.digest import (
    BacklogSnapshot,
    DailyErrorPair,
    DailyLabelerOutput,
    Decision,
    DigestPost,
    IngestedFile,
)
from storage.models.local import LocalWorkspaceFile, LocalWorkspaceSnapshot

__all__ = [
    "BacklogSnapshot",
    "Base",
    "DailyErrorPair",
    "DailyLabelerOutput",
    "Decision",
    "DigestPost",
    "IngestedFile",
    "LocalWorkspaceFile",
    "LocalWorkspaceSnapshot",
    "ProcessedEvent",
]
