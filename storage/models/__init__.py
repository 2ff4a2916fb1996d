"""All models, imported here so Alembic sees every table."""

from storage.models.base import Base
from storage.models.core import ProcessedEvent

__all__ = ["Base", "ProcessedEvent"]
