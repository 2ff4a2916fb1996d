"""Persistence: one async engine and session per process, models per capability, Alembic migrations."""
