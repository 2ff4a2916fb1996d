"""`tsqa quiz import` and `export`: per-question outcomes with lines, nothing stored from a bad file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import bot.cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "quiz"


def tsqa(tmp_path: Path, *args: str):  # noqa: ANN201
    return CliRunner().invoke(
        bot.cli.app, ["quiz", *args], env={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/q.db"}
    )


def test_import_reports_each_question_then_a_reimport_changes_nothing(tmp_path: Path) -> None:
    first = tsqa(tmp_path, "import", str(EXAMPLES / "hate-speech-basics.gift"), "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert report["imported"] == len(report["questions"]) > 0 and report["skipped"] == 0
    assert all(q["line"] > 0 for q in report["questions"])
    again = json.loads(tsqa(tmp_path, "import", str(EXAMPLES / "hate-speech-basics.gift"), "--json").output)
    assert again["imported"] == 0 and again["skipped"] == report["imported"]
    assert {q["reason"] for q in again["questions"]} == {"unchanged since the last import"}


def test_an_edited_question_is_a_new_version_and_export_prints_what_is_stored(tmp_path: Path) -> None:
    source = (EXAMPLES / "spam-basics.yml").read_text()
    bank = tmp_path / "spam.yml"
    bank.write_text(source)
    assert tsqa(tmp_path, "import", str(bank)).exit_code == 0
    bank.write_text(source.replace("How do you label it?", "Which label fits?", 1))
    edited = json.loads(tsqa(tmp_path, "import", str(bank), "--json").output)
    assert edited["updated"] == 1 and [
        q["version"] for q in edited["questions"] if q["status"] == "updated"
    ] == [2]
    exported = json.loads(tsqa(tmp_path, "export", "--topic", "spam-basics", "--json").output)
    assert exported["topic"] == "spam-basics" and any(
        "Which label fits?" in q["text"] for q in exported["questions"]
    )


def test_a_file_that_cannot_be_parsed_stores_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gift"
    broken.write_text("::q1:: What is spam? {=Repeated links ~A news link\n")
    result = tsqa(tmp_path, "import", str(broken), "--json")
    assert result.exit_code == 1
    problems = json.loads(result.output)["problems"]
    assert problems and "line 1" in problems[0]
    missing = tsqa(tmp_path, "export", "--topic", "default")
    assert missing.exit_code == 1
