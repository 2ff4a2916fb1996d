"""Fixtures the end-to-end scenarios share."""

from __future__ import annotations

import pytest

from tests.e2e.harness import EXAMPLE_NOW, load_examples


@pytest.fixture
async def loaded_url(workspace, database_url) -> str:
    """`database_url` with three weeks of example data ending on EXAMPLE_NOW's previous day."""
    await load_examples(database_url, workspace, EXAMPLE_NOW.date())
    return database_url
