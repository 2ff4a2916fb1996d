"""`tsqa calibration agreement FILE`: the statistics as text or JSON, exit 1 with every problem of an
invalid file by line, exit 2 on usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from click.testing import Result
from typer.testing import CliRunner

from handlers.calibration import cli

SESSION = """item_id,rater,label,reference
i1,ana,keep,keep
i1,ben,keep,keep
i1,cy,remove,keep
i2,ana,remove,
i2,ben,remove,
i2,cy,remove,
i3,ana,age_restrict,remove
i3,ben,keep,remove
i3,cy,age_restrict,remove
"""

# Krippendorff (2011), section C (see test_calibration_agreement.py): alpha = 0.743.
KRIPPENDORFF_C = {
    "A": "1 2 3 3 2 1 4 1 2 . . .",
    "B": "1 2 3 3 2 2 4 1 2 5 . 3",
    "C": ". 3 3 3 2 3 4 2 2 5 1 .",
    "D": "1 2 3 3 2 4 4 1 2 5 1 .",
}


def tsqa(tmp_path: Path, content: str | bytes, *args: str) -> Result:
    """`tsqa calibration agreement` on `content` written to a file; the command needs no database."""
    app = typer.Typer()
    cli.register(app)
    path = tmp_path / "ratings.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return CliRunner().invoke(app, ["calibration", "agreement", str(path), *args], env={"COLUMNS": "200"})


def test_json_matches_the_published_example(tmp_path: Path) -> None:
    rows = [
        f"u{unit},{observer},{value}"
        for observer, values in KRIPPENDORFF_C.items()
        for unit, value in enumerate(values.split(), start=1)
        if value != "."
    ]
    result = tsqa(tmp_path, "item_id,rater,label\n" + "\n".join(rows) + "\n", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert data["alpha"] == pytest.approx(0.743, abs=5e-4)
    assert data["fleiss"] is None
    assert data["fleiss_note"].startswith("items have 1 to 4 ratings")
    assert [r["rater"] for r in data["raters"]] == ["A", "B", "C", "D"]
    assert all(r["accuracy"] is None for r in data["raters"])  # no reference column


def test_text_report(tmp_path: Path) -> None:
    result = tsqa(tmp_path, SESSION)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "3 items, 3 raters, 9 ratings",
        "Fleiss' kappa: 0.308",
        "Krippendorff's alpha (nominal): 0.385",
        "  ana: 3 rated, accuracy 50%, Cohen's kappa 0.333",
        "  ben: 3 rated, accuracy 50%, Cohen's kappa 0.000",
        "  cy: 3 rated, accuracy 0%, Cohen's kappa -0.333",
        "To discuss: 2 (below 70% on the mode or off the reference)",
        "  i1: keep 2, remove 1 (67% on keep, reference keep)",
        "  i3: age_restrict 2, keep 1 (67% on age_restrict, reference remove)",
    ]


def test_the_threshold_moves_the_discussion_list(tmp_path: Path) -> None:
    lenient = json.loads(tsqa(tmp_path, SESSION, "--json", "--threshold", "0.6").stdout)
    assert lenient["threshold"] == 0.6
    assert lenient["discussion"] == ["i3"]  # two thirds is enough; i3's mode is still not the reference
    assert json.loads(tsqa(tmp_path, SESSION, "--json").stdout)["discussion"] == ["i1", "i3"]


def test_labels_that_are_numbers_stay_text(tmp_path: Path) -> None:
    content = "item_id,rater,label\n7,a,01\n7,b,1\n7,c,1\n8,a,2\n8,b,2.0\n8,c,2\n"
    data = json.loads(tsqa(tmp_path, content, "--json").stdout)
    assert [item["item_id"] for item in data["items"]] == ["7", "8"]
    assert [item["votes"] for item in data["items"]] == [{"1": 2, "01": 1}, {"2": 2, "2.0": 1}]


def test_a_spreadsheet_export_with_bom_and_blank_lines(tmp_path: Path) -> None:
    content = "\ufeffItem_ID,Rater,Label,Reference\r\ni1,ana,keep,keep\r\n\r\ni1,ben,keep,keep\r\n".encode()
    result = tsqa(tmp_path, content, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["items"][0]["votes"] == {"keep": 2}
    assert [r["accuracy"] for r in data["raters"]] == [1.0, 1.0]


def test_a_reference_that_differs_within_an_item_names_its_lines(tmp_path: Path) -> None:
    content = SESSION.replace("i3,ben,keep,remove", "i3,ben,keep,keep").replace(
        "i2,cy,remove,", "i2,cy,remove,keep"
    )
    result = tsqa(tmp_path, content)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert (
        "item i2: the reference differs between rows (none on lines 5, 6; 'keep' on line 7)" in result.stderr
    )
    assert (
        "item i3: the reference differs between rows ('remove' on lines 8, 10; 'keep' on line 9)"
        in result.stderr
    )


def test_every_problem_is_reported_by_line(tmp_path: Path) -> None:
    content = (
        'item_id,rater,label\ni1,ana,keep\ni1,ben,\ni1,cy\ni1,ana,remove\n"i2\nstill i2",ana,keep\n,,keep\n'
    )
    result = tsqa(tmp_path, content, "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "ok": False,
        "file": str(tmp_path / "ratings.csv"),
        "problems": [
            "line 3: label empty",
            "line 4: 2 fields, expected 3",
            "line 5: ana already rated item i1 on line 2",
            "line 8: item_id and rater empty",
        ],
    }


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (
            "item_id,rater,verdict",
            "line 1: the header should be item_id,rater,label and optionally reference "
            "(missing label; unknown 'verdict')",
        ),
        ("item_id,rater,label,label", "(label twice)"),
        ("", "(missing item_id, rater, label)"),
    ],
)
def test_a_wrong_header_is_refused(tmp_path: Path, header: str, problem: str) -> None:
    result = tsqa(tmp_path, f"{header}\ni1,ana,keep\n")
    assert result.exit_code == 1
    assert problem in result.stderr


def test_a_file_with_no_ratings_or_not_utf8(tmp_path: Path) -> None:
    empty = tsqa(tmp_path, "item_id,rater,label\n")
    assert empty.exit_code == 1
    assert "no ratings" in empty.stderr
    latin1 = tsqa(tmp_path, "item_id,rater,label\ni1,zoë,keep\n".encode("latin-1"))
    assert latin1.exit_code == 1
    assert "not UTF-8" in latin1.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert tsqa(tmp_path, SESSION, "--threshold", "1.5").exit_code == 2
    assert tsqa(tmp_path, SESSION, "--threshold", "most").exit_code == 2
    app = typer.Typer()
    cli.register(app)
    missing = CliRunner().invoke(app, ["calibration", "agreement", str(tmp_path / "absent.csv")])
    assert missing.exit_code == 2


def test_an_unclosed_quote_or_a_huge_field_is_a_problem_with_its_line(tmp_path: Path) -> None:
    unclosed = tsqa(tmp_path, 'item_id,rater,label\ni1,ana,keep\ni1,ben,"keep\ni1,cy,remove\n')
    assert unclosed.exit_code == 1, unclosed.output
    assert "line 3: cannot be read as CSV" in unclosed.stderr
    huge = tsqa(tmp_path, "item_id,rater,label\ni1,ana,keep\ni1,ben," + "k" * 140_000 + "\n", "--json")
    assert huge.exit_code == 1, huge.output
    data = json.loads(huge.stdout)
    assert data["ok"] is False and data["problems"][0].startswith("line 3: cannot be read as CSV")
