"""The raw relation of an input: every cell as text, columns named c0..cN.

Reading all cells as text and converting them ourselves keeps control of dates,
numbers and NULL spellings, and lets an error name the exact column and row.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cloudoptima.errors import IngestError
from cloudoptima.ingest.detect import Detected
from cloudoptima.ingest.headers import open_text
from cloudoptima.storage.sql import quote_ident, quote_literal

_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_COLUMNS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


@dataclass(frozen=True)
class Source:
    """SQL text of the raw relation, the header cells and the reference of each."""

    sql: str
    cells: list[str]
    refs: list[str]


def source_of(detected: Detected, con: duckdb.DuckDBPyConnection) -> Source:
    """Build the raw relation for a detected CSV or Parquet input."""
    files = "[" + ", ".join(quote_literal(str(p)) for p in detected.parts) + "]"
    if detected.file_type == "parquet":
        cells = _parquet_columns(detected, con)
        refs = [f"c{i}" for i in range(len(cells))]
        select = ", ".join(
            f"CAST({quote_ident(cell)} AS VARCHAR) AS c{i}" for i, cell in enumerate(cells)
        )
        return Source(
            f"(SELECT {select} FROM read_parquet({files}, union_by_name=true))", cells, refs
        )
    assert detected.header is not None
    header = detected.header
    refs = [f"c{i}" for i in range(len(header.cells))]
    columns = "{" + ", ".join(f"'{r}': 'VARCHAR'" for r in refs) + "}"
    sql = (
        f"read_csv({files}, auto_detect=false, header=true, skip={header.skip_lines}, "
        f"delim={quote_literal(header.delimiter)}, quote='\"', escape='\"', "
        f"columns={columns}, nullstr=['', 'NULL'], strict_mode=true)"
    )
    return Source(sql, header.cells, refs)


def _parquet_columns(detected: Detected, con: duckdb.DuckDBPyConnection) -> list[str]:
    first = quote_literal(str(detected.parts[0]))
    rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({first})").fetchall()
    return [str(r[0]) for r in rows]


def translate_csv_error(path: Path, exc: duckdb.Error) -> IngestError | None:
    """Turn DuckDB's CSV reader error into a sentence that names the line."""
    text = str(exc)
    line = _CSV_LINE.search(text)
    if not line:
        return None
    columns = _COLUMNS.search(text)
    if columns:
        message = (
            f"expected {columns.group(1)} columns like the header but found {columns.group(2)}: "
            "the row is truncated or uses another delimiter or unbalanced quotes"
        )
    elif "quote" in text.lower():
        message = "a quoted value is never closed (unbalanced quotes)"
    else:
        message = "the row cannot be read as CSV: " + text.splitlines()[0]
    return IngestError(path, message, line=int(line.group(1)))


def locate_value(detected: Detected, column: str, value: str | None) -> tuple[int, int | None]:
    """(data row, physical line) of the first cell in ``column`` equal to ``value``.

    ``value`` None looks for the first empty cell. Only runs after an import failed,
    so a plain streaming scan is fine.
    """
    header = detected.header
    if header is None:
        raise LookupError(column)
    index = [c.replace("\ufeff", "").strip() for c in header.cells].index(column)
    for part in detected.parts:
        with open_text(part) as handle:
            for _ in range(header.skip_lines):
                handle.readline()
            reader = csv.reader(handle, delimiter=header.delimiter)
            next(reader, None)
            for row_number, row in enumerate(reader, start=1):
                cell = row[index] if index < len(row) else ""
                empty = cell == "" or cell == "NULL"
                if (value is None and empty) or (value is not None and cell == value):
                    return row_number, reader.line_num + header.skip_lines
    raise LookupError(column)
