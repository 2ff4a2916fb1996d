"""The workspaces and plan folder the new-cohort tests check against: the example files, on a fixed today."""

from datetime import date
from pathlib import Path

import pytest

from bot.workspace import Workspace, load_workspace

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "examples" / "training"
TODAY = date(2026, 11, 30)


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return load_workspace(ROOT / "examples" / "workspace.yml")


@pytest.fixture(scope="module")
def teams() -> Workspace:
    return load_workspace(ROOT / "examples" / "workspace-teams.yml")
