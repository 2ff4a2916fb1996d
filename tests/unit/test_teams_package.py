"""The Teams app package: three files, a manifest whose menu follows the router, icons Teams accepts."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from bot.cli import app
from bot.teams.package import (
    DESCRIPTION_MAX,
    MAX_COMMANDS,
    TITLE_MAX,
    PackageError,
    build_package,
    manifest,
)
from handlers import collect

APP_ID = "0c1d2e3f-4a5b-4c6d-8e7f-00000000a1b2"


def _registered() -> list[tuple[str, str]]:
    return [(spec.name, spec.summary) for spec in collect().commands.values()]


def _zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _lists(made: dict) -> dict[str, list[dict[str, str]]]:
    (bot,) = made["bots"]
    lists = bot["commandLists"]
    assert len(lists) <= 3
    return {scope: entry["commands"] for entry in lists for scope in entry["scopes"]}


def test_the_zip_holds_manifest_and_icons_at_its_root() -> None:
    files = _zip(build_package(APP_ID, _registered(), app_version="0.1.0", host="tsqa.example.org"))
    assert sorted(files) == ["color.png", "manifest.json", "outline.png"]
    made = json.loads(files["manifest.json"])
    assert made["manifestVersion"] == "1.17" and "/v1.17/" in made["$schema"]
    assert made["id"] == made["bots"][0]["botId"] == APP_ID
    assert made["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert made["validDomains"] == ["tsqa.example.org"]
    assert made["developer"]["websiteUrl"].startswith("https://tsqa.example.org")


def test_every_registered_command_is_in_the_menu_of_each_scope() -> None:
    registered = _registered()
    assert registered  # the capabilities register commands: an empty router would prove nothing
    made = manifest(APP_ID, registered, app_version="0.1.0")
    (bot,) = made["bots"]
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    assert bot["supportsFiles"] is True and bot["isNotificationOnly"] is False
    lists = _lists(made)
    assert {"personal", "team"} <= set(lists)
    for commands in lists.values():
        titles = [c["title"] for c in commands]
        assert titles == [name for name, _ in registered] + ["help"]
        summaries = {name: summary for name, summary in registered}
        assert all(c["description"] == summaries[c["title"]] for c in commands if c["title"] != "help")
    assert made["validDomains"] == []


def test_teams_limits_are_respected() -> None:
    many = [(f"command-number-{i:02d}-with-a-rather-long-name", "why " * 60) for i in range(14)]
    for commands in _lists(manifest(APP_ID, many, app_version="0.1.0")).values():
        assert len(commands) == MAX_COMMANDS and commands[-1]["title"] == "help"
        assert all(len(c["title"]) <= TITLE_MAX for c in commands)
        assert all(len(c["description"]) <= DESCRIPTION_MAX for c in commands)
        assert commands[0]["description"].endswith("…")


def test_icons_are_pngs_of_the_right_size_and_the_outline_is_white_on_transparent() -> None:
    files = _zip(build_package(APP_ID, _registered(), app_version="0.1.0"))
    color = Image.open(io.BytesIO(files["color.png"]))
    outline = Image.open(io.BytesIO(files["outline.png"]))
    assert (color.format, color.size) == ("PNG", (192, 192))
    assert (outline.format, outline.size) == ("PNG", (32, 32))
    counts = {pixel: n for n, pixel in outline.convert("RGBA").getcolors(32 * 32)}
    drawn = {pixel: n for pixel, n in counts.items() if pixel[3]}
    assert set(drawn) == {(255, 255, 255, 255)}  # white, fully opaque where drawn
    assert 0 < drawn[(255, 255, 255, 255)] < 32 * 32 // 2  # a glyph, not a filled square
    assert len(color.convert("RGB").getcolors(192 * 192)) > 2  # a glyph on a background


@pytest.mark.parametrize("missing", [None, "", "  "])
def test_a_missing_app_id_is_refused_with_where_to_find_it(missing: str | None) -> None:
    with pytest.raises(PackageError, match="pass --app-id or set TEAMS_APP_ID"):
        build_package(missing, _registered(), app_version="0.1.0")


def test_bad_app_id_and_host_are_refused() -> None:
    with pytest.raises(PackageError, match="not a GUID"):
        manifest("tsqa-bot", _registered(), app_version="0.1.0")
    with pytest.raises(PackageError, match="not a host name"):
        manifest(APP_ID, _registered(), app_version="0.1.0", host="two words")
    pasted = manifest(APP_ID.upper(), [], app_version="0.1.0", host="https://TSQA.example.org/api/messages")
    assert pasted["id"] == APP_ID and pasted["validDomains"] == ["tsqa.example.org"]


def test_the_cli_writes_the_package_or_says_what_is_missing(tmp_path: Path) -> None:
    out = tmp_path / "pkg.zip"
    runner = CliRunner()
    env = {"TEAMS_APP_ID": ""}
    refused = runner.invoke(app, ["teams", "package", "--out", str(out)], env=env)
    assert refused.exit_code == 2 and "TEAMS_APP_ID" in refused.output and not out.exists()
    made = runner.invoke(app, ["teams", "package", "--out", str(out), "--app-id", APP_ID], env=env)
    assert made.exit_code == 0, made.output
    assert json.loads(_zip(out.read_bytes())["manifest.json"])["id"] == APP_ID


def test_router_shortcuts_are_message_actions_that_fetch_their_dialog() -> None:
    shortcuts = [
        ("escalate_message", "Escalate this message", "Open an escalation pre-filled from this message")
    ]
    made = manifest(APP_ID, _registered(), app_version="0.1.0", shortcuts=shortcuts)
    assert made["composeExtensions"] == [
        {
            "botId": APP_ID,
            "commands": [
                {
                    "id": "escalate_message",
                    "type": "action",
                    "title": "Escalate this message",
                    "description": "Open an escalation pre-filled from this message",
                    "context": ["message"],
                    "fetchTask": True,
                }
            ],
        }
    ]
    long = [(f"shortcut_{i}", "a label far longer than a Teams title may be", "") for i in range(12)]
    (extension,) = manifest(APP_ID, [], app_version="0.1.0", shortcuts=long)["composeExtensions"]
    assert len(extension["commands"]) == MAX_COMMANDS
    assert all(len(c["title"]) <= TITLE_MAX and c["description"] for c in extension["commands"])
    assert "composeExtensions" not in manifest(APP_ID, [], app_version="0.1.0")
    with pytest.raises(PackageError, match="over Teams' 64 characters"):
        manifest(APP_ID, [], app_version="0.1.0", shortcuts=[("x" * 65, "Too long", "")])
