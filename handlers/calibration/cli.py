"""`tsqa calibration agreement FILE [--json] [--threshold 0.7]`: a session's agreement statistics from a
CSV, so they can be checked and reused outside chat.

The CSV has `item_id,rater,label` and an optional `reference` (the same on every row of an item). A file
with problems computes nothing: every problem is printed with its line, exit 1.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from handlers.calibration.agreement import DEFAULT_THRESHOLD, AgreementReport, Rating, session_statistics

err = Console(stderr=True, soft_wrap=True)

REQUIRED = ("item_id", "rater", "label")
OPTIONAL = ("reference",)


@dataclass
class RatingsFile:
    """What a ratings CSV holds, or every reason it cannot be used."""

    ratings: list[Rating] = field(default_factory=list)
    references: dict[str, str | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def read_ratings(data: bytes) -> RatingsFile:
    """Parse a ratings CSV; labels stay text ("01" is not "1")."""
    out = RatingsFile()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        out.problems.append(f"byte {exc.start}: not UTF-8 text; save the file as CSV UTF-8")
        return out
    # strict: an unclosed quote is an error, not the rest of the file swallowed into one field.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except csv.Error as exc:
        out.problems.append(_unreadable(1, exc))
        return out
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in REQUIRED + OPTIONAL]
    twice = sorted({name for name in header if header.count(name) > 1})
    if missing or unknown or twice:
        wrong = [f"missing {', '.join(missing)}"] if missing else []
        wrong += [f"unknown {', '.join(repr(name) for name in unknown)}"] if unknown else []
        wrong += [f"{', '.join(twice)} twice"] if twice else []
        expected = "item_id,rater,label and optionally reference"
        out.problems.append(f"line 1: the header should be {expected} ({'; '.join(wrong)})")
        return out
    column = {name: header.index(name) for name in header}
    voted: dict[tuple[str, str], int] = {}
    reference_lines: dict[str, dict[str, list[int]]] = {}
    for line, row in _rows(reader, out.problems):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            out.problems.append(f"line {line}: {len(row)} fields, expected {len(header)}")
            continue
        values = {name: row[index].strip() for name, index in column.items()}
        empty = [name for name in REQUIRED if not values[name]]
        if empty:
            out.problems.append(f"line {line}: {' and '.join(empty)} empty")
            continue
        item_id, rater, label = (values[name] for name in REQUIRED)
        first = voted.setdefault((item_id, rater), line)
        if first != line:
            out.problems.append(f"line {line}: {rater} already rated item {item_id} on line {first}")
            continue
        out.ratings.append((item_id, rater, label))
        if "reference" in values:
            reference_lines.setdefault(item_id, {}).setdefault(values["reference"], []).append(line)
    for item_id, by_value in reference_lines.items():
        if len(by_value) > 1:
            seen = "; ".join(
                f"{value!r} on {_lines(lines)}" if value else f"none on {_lines(lines)}"
                for value, lines in by_value.items()
            )
            out.problems.append(f"item {item_id}: the reference differs between rows ({seen})")
        else:
            out.references[item_id] = next(iter(by_value)) or None
    if not out.ratings and not out.problems:
        out.problems.append("no ratings: add rows of item_id,rater,label under the header")
    return out


def _rows(reader: Any, problems: list[str]) -> Iterator[tuple[int, list[str]]]:  # noqa: ANN401 - csv's reader
    """Each row with the line it ends on; a row the csv module cannot read (an unclosed quote, a field
    over its 128 KB limit) becomes a problem with the line it starts on, and reading stops there."""
    read = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(_unreadable(read + 1, exc))
            return
        read = reader.line_num
        yield read, row


def _unreadable(line: int, exc: csv.Error) -> str:
    return f"line {line}: cannot be read as CSV ({exc}); is a quote left open, or a field over 128 KB?"


def _lines(lines: list[int]) -> str:
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(map(str, lines))


def agreement_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV: item_id,rater,label[,reference]")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON only.")] = False,
    threshold: Annotated[
        float,
        typer.Option(
            "--threshold", min=0.0, max=1.0, help="Discuss items whose share on the mode is below this"
        ),
    ] = DEFAULT_THRESHOLD,
) -> None:
    """Fleiss' kappa, Krippendorff's alpha, each rater against the reference, and the items to discuss."""
    parsed = read_ratings(file.read_bytes())
    if parsed.problems:
        if as_json:
            print(
                json.dumps({"ok": False, "file": str(file), "problems": parsed.problems}, ensure_ascii=False)
            )
        else:
            err.print(f"{file}: not computed:", markup=False, highlight=False)
            for problem in parsed.problems:
                err.print(f"  - {problem}", markup=False, highlight=False)
        raise typer.Exit(1)
    report = session_statistics(parsed.ratings, parsed.references, threshold=threshold)
    if as_json:
        print(json.dumps({"ok": True, "file": str(file), **report.as_dict()}, ensure_ascii=False))
        return
    _print(report, len(parsed.ratings))


def _number(value: float | None, note: str) -> str:
    return f"{value:.3f}" if value is not None else f"n/a ({note})"


def _print(report: AgreementReport, ratings: int) -> None:
    print(f"{len(report.items)} items, {len(report.raters)} raters, {ratings} ratings")
    print(f"Fleiss' kappa: {_number(report.fleiss, report.fleiss_note)}")
    print(f"Krippendorff's alpha (nominal): {_number(report.alpha, report.alpha_note)}")
    for rater in report.raters:
        accuracy = "no item with a reference" if rater.accuracy is None else f"accuracy {rater.accuracy:.0%}"
        kappa = "" if rater.accuracy is None else f", Cohen's kappa {_number(rater.kappa, rater.kappa_note)}"
        print(f"  {rater.rater}: {rater.rated} rated, {accuracy}{kappa}")
    below = f"below {report.threshold:.0%} on the mode or off the reference"
    print(f"To discuss: {len(report.discussion)} ({below})")
    for item in report.discussion:
        votes = ", ".join(f"{label} {count}" for label, count in item.votes.items())
        reference = f", reference {item.reference}" if item.reference is not None else ""
        print(f"  {item.item_id}: {votes} ({item.agreement:.0%} on {item.modal[0]}{reference})")


def register(app: typer.Typer) -> None:
    calibration_app = typer.Typer(no_args_is_help=True, help="Calibration sessions: agreement statistics.")
    calibration_app.command("agreement")(agreement_command)
    app.add_typer(calibration_app, name="calibration")
