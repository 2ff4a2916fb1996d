"""`tsqa policy load` and `list`: a line per file, exit 1 on an invalid file, the workspace's folder by
default, and what is in effect beside what is coming."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import bot.cli

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = (ROOT / "examples" / "workspace.yml").read_text()


def policy(version: str, effective: str, note: str = "Label as spam.") -> str:
    return (
        f"---\nid: spam\ntitle: Spam\nversion: {version}\neffective: {effective}\nowners: [U0QALEAD1]\n---\n"
        f"# Spam\n## Repeated posts\n{note}\n"
    )


def tsqa(tmp_path: Path, *args: str, workspace: str = WORKSPACE):  # noqa: ANN201
    """The CLI on a database and a workspace file of its own in `tmp_path` (policy dir: policies)."""
    (tmp_path / "workspace.yml").write_text(workspace)
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/p.db",
        "TSQA_WORKSPACE": str(tmp_path / "workspace.yml"),
    }
    return CliRunner().invoke(bot.cli.app, ["policy", *args], env=env)


def test_load_reports_each_file_then_a_reload_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "spam.md").write_text(policy("1", "2020-01-01"))
    first = tsqa(tmp_path, "load")  # the workspace's policy.dir, beside the workspace file
    assert first.exit_code == 0, first.output
    assert first.output.split() == ["loaded", "spam.md", "spam", "version", "1"]
    again = tsqa(tmp_path, "load", "--json")
    assert json.loads(again.output)["files"] == [
        {"file": "spam.md", "status": "unchanged", "policy_id": "spam", "version": "1"}
    ]


def test_an_invalid_file_is_reported_with_its_line_and_exits_1(tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "spam.md").write_text(policy("1", "2020-01-01"))
    (folder / "typo.md").write_text(
        policy("1", "2020-01-01").replace("spam", "typo").replace("owners", "owner")
    )
    result = tsqa(tmp_path, "load", str(folder))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("loaded    spam.md")
    assert lines[1].startswith("invalid   typo.md  line 6: unknown field 'owner'")
    listed = json.loads(tsqa(tmp_path, "list", "--json").output)["policies"]
    assert [p["id"] for p in listed] == ["spam"]


def test_list_shows_the_version_in_effect_and_the_one_coming(tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "spam.md").write_text(policy("1", "2020-01-01"))
    (folder / "spam-next.md").write_text(policy("2", "2999-01-01", "Label as spam and warn."))
    (folder / "ncii.md").write_text(policy("1", "2998-06-01").replace("id: spam", "id: ncii"))
    assert tsqa(tmp_path, "load").exit_code == 0
    result = tsqa(tmp_path, "list")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "ncii  Spam: not in effect yet; version 1 coming on 2998-06-01",
        "spam  Spam: version 1 since 2020-01-01; version 2 coming on 2999-01-01",
    ]


def test_load_without_a_folder_says_what_to_do(tmp_path: Path) -> None:
    no_section = WORKSPACE[: WORKSPACE.index("\npolicy:")] + "\n"
    missing = tsqa(tmp_path, "load", workspace=no_section)
    assert missing.exit_code == 2 and "has no policy: section" in missing.output
    absent = tsqa(tmp_path, "load")  # policy.dir names a folder that does not exist here
    assert absent.exit_code == 2 and "is not a folder" in absent.output
    (tmp_path / "policies").mkdir()
    empty = tsqa(tmp_path, "load")
    assert empty.exit_code == 1 and "No policy files" in empty.output
    assert "No policies loaded yet" in tsqa(tmp_path, "list").output


def test_the_example_library_loads_from_the_example_workspace(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/p.db",
        "TSQA_WORKSPACE": str(ROOT / "examples/workspace.yml"),
    }
    result = CliRunner().invoke(bot.cli.app, ["policy", "load", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] and {f["status"] for f in report["files"]} <= {"loaded", "updated"}
    assert any(f["status"] == "updated" for f in report["files"])  # one policy ships two versions
