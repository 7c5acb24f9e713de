"""The raw relation of an input: every cell as text, columns named c0..cN.

Reading all cells as text and converting them ourselves keeps control of dates,
numbers and NULL spellings, and lets an error name the exact column and row. The
layout (delimiter, preamble, Parquet columns) comes from what the sniffer read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cloudoptima.errors import IngestError
from cloudoptima.ingest.detect import Detected
from cloudoptima.ingest.lines import MAX_LINE_BYTES
from cloudoptima.ingest.sniff import Sniffed, sniff
from cloudoptima.storage.sql import quote_ident, quote_literal

_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_COLUMNS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_TOO_LONG = re.compile(r"Maximum line size of \d+ bytes exceeded\. Actual Size:\s*(\d+)")
NULL_STRINGS = ("", "NULL")  # FOCUS-Sample-Data writes the literal NULL


@dataclass(frozen=True)
class Source:
    """SQL text of the raw relation, the header cells and the reference of each."""

    sql: str
    cells: list[str]
    refs: list[str]


def file_list(parts: tuple[Path, ...]) -> str:
    """A DuckDB list literal of file paths (each through the quoting helper)."""
    return "[" + ", ".join(quote_literal(str(p)) for p in parts) + "]"


def source_of(detected: Detected) -> Source:
    """Build the raw relation for a detected CSV or Parquet input."""
    sniffed = _sniffed(detected)
    files = file_list(detected.parts)
    if detected.file_type == "parquet":
        cells = sniffed.parquet_schema.names
        refs = [f"c{i}" for i in range(len(cells))]
        select = ", ".join(
            f"CAST({quote_ident(cell)} AS VARCHAR) AS c{i}" for i, cell in enumerate(cells)
        )
        return Source(
            f"(SELECT {select} FROM read_parquet({files}, union_by_name=true))", cells, refs
        )
    header = sniffed.header
    refs = [f"c{i}" for i in range(len(header.cells))]
    return Source(csv_relation(files, sniffed, dict.fromkeys(refs, "VARCHAR")), header.cells, refs)


def csv_relation(files: str, sniffed: Sniffed, columns: dict[str, str], **options: str) -> str:
    """``read_csv`` of ``files`` laid out like ``sniffed``, with these column types."""
    header = sniffed.header
    types = (
        "{" + ", ".join(f"{quote_literal(n)}: {quote_literal(t)}" for n, t in columns.items()) + "}"
    )
    nulls = "[" + ", ".join(quote_literal(n) for n in NULL_STRINGS) + "]"
    extra = "".join(f", {name}={value}" for name, value in options.items())
    # From the content, not the name: gzip named .csv is gzip, plain text named .gz is not.
    compression = "'gzip'" if sniffed.compression == "gzip" else "'none'"
    return (
        f"read_csv({files}, auto_detect=false, header=true, skip={header.skip_lines}, "
        f"delim={quote_literal(header.delimiter)}, quote='\"', escape='\"', "
        f"columns={types}, nullstr={nulls}, strict_mode=true, compression={compression}, "
        f"max_line_size={MAX_LINE_BYTES}{extra})"
    )


def _sniffed(detected: Detected) -> Sniffed:
    # a Detected built by hand has not been sniffed yet
    return detected.sniffed or sniff(detected.parts[0])


def translate_csv_error(path: Path, exc: duckdb.Error) -> IngestError | None:
    """Turn DuckDB's CSV reader error into a sentence that names the line."""
    text = str(exc)
    line = _CSV_LINE.search(text)
    if not line:
        return None
    columns = _COLUMNS.search(text)
    too_long = _TOO_LONG.search(text)
    if too_long:
        message = (
            f"the line is {int(too_long.group(1)):,} bytes long, more than the "
            f"{MAX_LINE_BYTES:,} a row may hold: the file is damaged or a cell holds far "
            "more than a cost export writes"
        )
    elif columns:
        message = (
            f"expected {columns.group(1)} columns like the header but found {columns.group(2)}: "
            "the row is truncated or uses another delimiter or unbalanced quotes"
        )
    else:
        message = next(
            (sentence for phrase, sentence in _CSV_PROBLEMS if phrase in text.lower()),
            "the row cannot be read as CSV (a damaged row, or a delimiter or quote out of place)",
        )
    return IngestError(path, message, line=int(line.group(1)))


# What DuckDB's reader says (every message also lists its options, 'quote = "' among them,
# so a phrase must be the reader's own words) -> the sentence the user reads.
_CSV_PROBLEMS = (
    ("unterminated quote", "a quoted value is never closed (unbalanced quotes)"),
    ("invalid unicode", "the row is not valid UTF-8 text"),
    ("state machine", "the row cannot be read as CSV: its quotes or line endings are out of place"),
)


def locate_value(
    detected: Detected, column: str, value: str | None, *, strip: bool = False
) -> tuple[int, int | None]:
    """(data row, physical line) of the first cell in ``column`` equal to ``value``.

    ``value`` None looks for the first empty cell; ``strip`` compares cells without
    surrounding spaces. Parquet rows have no line. Only runs after an import failed,
    so a plain streaming scan is fine.
    """
    sniffed = _sniffed(detected)
    index = sniffed.names.index(column)
    if detected.file_type == "parquet":
        return _locate_in_parquet(detected, column, value, strip=strip), None
    for part in detected.parts:
        rows = (sniffed if part == sniffed.path else sniff(part)).csv_rows()
        for row_number, line, cells in rows:
            cell = cells[index] if index < len(cells) else ""
            if _matches(cell.strip() if strip else cell, value):
                return row_number, line
    raise LookupError(column)


def _matches(cell: str | None, value: str | None) -> bool:
    empty = cell is None or cell in NULL_STRINGS
    return (value is None and empty) or (value is not None and cell == value)


def _locate_in_parquet(detected: Detected, column: str, value: str | None, *, strip: bool) -> int:
    cell = f"CAST({quote_ident(column)} AS VARCHAR)"
    cell = f"trim({cell})" if strip else cell
    wanted = f"({cell} IS NULL OR {cell} IN ('', 'NULL'))" if value is None else f"{cell} = $value"
    params = {} if value is None else {"value": value}
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")  # timestamps print as the loader read them
        seen = 0
        for part in detected.parts:
            relation = f"read_parquet({quote_literal(str(part))}, file_row_number=true)"
            sql = f"SELECT min(file_row_number) FROM {relation} WHERE {wanted}"
            found = con.execute(sql, params).fetchone()
            if found and found[0] is not None:
                return seen + int(found[0]) + 1
            total = con.execute(f"SELECT count(*) FROM read_parquet({quote_literal(str(part))})")
            seen += int((total.fetchone() or (0,))[0])
    finally:
        con.close()
    raise LookupError(column)
