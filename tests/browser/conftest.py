"""Browser fixtures: headless Debian Chromium through Playwright, the real local workspace, screenshots.

Reusable by every browser scenario: `local_workspace` (the server; `restart()`, `url()`, `call()`),
`page` (a fresh browser page), `shot(name)` (a numbered screenshot per test) and `ui` (the page driven
as a person). Without /usr/bin/chromium the tests skip, unless TSQA_REQUIRE_BROWSER=1 (CI) fails them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.browser.harness import LocalWorkspaceServer, WorkspacePage

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
WORKSPACE_FILE = ROOT / "examples" / "workspace.yml"
REQUIRE_BROWSER = os.environ.get("TSQA_REQUIRE_BROWSER") == "1"


def _require_chromium() -> None:
    if os.access(CHROMIUM, os.X_OK):
        return
    reason = f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    if REQUIRE_BROWSER:
        pytest.fail(reason + " and TSQA_REQUIRE_BROWSER=1")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator[object]:  # noqa: ANN001 - a Playwright Browser
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []

    def console(message) -> None:  # noqa: ANN001 - a Playwright ConsoleMessage
        # A poll while the server restarts or stops is refused; the page shows "Reconnecting" for that.
        if message.type == "error" and "ERR_CONNECTION_REFUSED" not in message.text:
            errors.append(message.text)

    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", console)
    yield page
    context.close()
    assert errors == [], f"the page logged errors: {errors}"


@pytest.fixture
def shot(page, request: pytest.FixtureRequest) -> Callable[[str], Path]:  # noqa: ANN001
    """`shot("after-help")` saves test-artifacts/browser/<test>/NN-after-help.png and returns the path."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    count = 0

    def take(name: str) -> Path:
        nonlocal count
        count += 1
        safe = re.sub(r"[^\w.-]+", "_", name)
        path = folder / f"{count:02d}-{safe}.png"
        page.screenshot(path=str(path))
        return path

    return take


@pytest.fixture
def workspace_router() -> Callable[[], object] | None:
    """Override in a test module to add a scripted capability beside the real ones."""
    return None


@pytest.fixture
def local_workspace(tmp_path: Path, workspace_router) -> Iterator[LocalWorkspaceServer]:  # noqa: ANN001
    """A fresh local workspace on its own SQLite file, with the example workspace's people and channels."""
    _require_chromium()
    server = LocalWorkspaceServer(
        f"sqlite+aiosqlite:///{tmp_path / 'local.db'}", WORKSPACE_FILE, router_factory=workspace_router
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ui(page, local_workspace: LocalWorkspaceServer, shot) -> WorkspacePage:  # noqa: ANN001
    return WorkspacePage(page, local_workspace, shot)
