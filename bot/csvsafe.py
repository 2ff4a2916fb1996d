"""CSV files the bot writes for people to open in a spreadsheet, made safe against CSV injection.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by
spreadsheet programs; following OWASP, such cells get a leading `'` so they show as text. Done with
Arrow compute over whole columns, so a million-row export costs no Python per row.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

FORMULA_START = r"^[=+\-@\t\r]"


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def neutralise(table: pa.Table) -> pa.Table:
    """The table with every text cell that a spreadsheet would run prefixed with `'`."""
    for index, name in enumerate(table.column_names):
        column = table.column(index)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if not _is_text(column.type):
            continue  # numbers and times cannot hold a formula
        risky = pc.fill_null(pc.match_substring_regex(column, FORMULA_START), False)
        quoted = pc.binary_join_element_wise("'", column, "")
        table = table.set_column(index, name, pc.if_else(risky, quoted, column))
    return table


def write_csv(table: pa.Table, where: str | Path | IO[bytes]) -> None:
    """Write `table` as CSV (with a header) after neutralising it: the one way the bot writes CSV."""
    pacsv.write_csv(neutralise(table), where)
