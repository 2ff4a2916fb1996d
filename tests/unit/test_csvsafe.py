"""CSV files the bot writes do not run formulas when opened in a spreadsheet (OWASP CSV injection)."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa

from bot.csvsafe import neutralise, write_csv


def test_cells_a_spreadsheet_would_run_are_prefixed() -> None:
    cells = ["=1+1", "+41", "-2+3", "@SUM(A1)", "\tx", "\rx", "ok", "a=b", "", None]
    table = pa.table(
        {
            "text": cells,
            "count": [-4, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            "label": pa.array(cells).dictionary_encode(),
        }
    )
    safe = neutralise(table)
    expected = ["'=1+1", "'+41", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "ok", "a=b", "", None]
    assert safe["text"].to_pylist() == expected
    assert safe["label"].to_pylist() == expected
    assert safe["count"].to_pylist() == table["count"].to_pylist()  # a number holds no formula


def test_written_csv_reads_back_as_text() -> None:
    buffer = io.BytesIO()
    write_csv(pa.table({"item_id": ['=HYPERLINK("http://example.test")', "it-1"]}), buffer)
    read = pd.read_csv(io.BytesIO(buffer.getvalue()))
    assert read["item_id"].tolist() == ['\'=HYPERLINK("http://example.test")', "it-1"]
