"""SQL expressions that convert raw text cells to typed values, or fail loudly.

A bad cell aborts the statement through DuckDB's ``error()`` with a message that
carries the column and the value, so the importer can name them (and then find
the row) instead of silently loading a NULL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import duckdb
import polars as pl

from cloudoptima.storage.schema import MONEY
from cloudoptima.storage.sql import quote_ident, quote_literal

ERROR_TAG = "cloudoptima-invalid"
_SEP = "\u241f"  # a separator that never occurs in a CSV cell

# Formats Azure uses besides ISO 8601 (which a plain cast already understands):
# EA/MCA 'MM/dd/yyyy' (and edited 'M/d/yyyy'), 2-digit years in exchangeRateDate,
# German portal downloads 'dd.MM.yyyy'.
DATE_FORMATS = ("%m/%d/%y", "%m/%d/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M:%S %p", "%d.%m.%Y")

_FAILURE = re.compile(ERROR_TAG + _SEP + "(.*?)" + _SEP + "(.*?)" + _SEP + "(.*)", re.DOTALL)


def _fail(column: str, problem: str, raw: str) -> str:
    prefix = quote_literal(ERROR_TAG + _SEP + column + _SEP + problem + _SEP)
    return f"error({prefix} || {raw})"


def missing_error(column: str) -> str:
    """SQL that fails naming ``column`` as empty where a value is required."""
    return f"error({quote_literal(ERROR_TAG + _SEP + column + _SEP + 'missing' + _SEP)})"


# A number as text: what tells "too large" (1e308 as a DECIMAL) from "not a number" ('$5').
NUMBER_SHAPE = r"\s*[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?\s*"


def as_number(raw: str, column: str, sql_type: str = MONEY) -> str:
    """Raw text -> number of ``sql_type``; non-numeric text is an error, and so is a
    number the type cannot hold (too large, or not finite for DOUBLE)."""
    cast = f"TRY_CAST({raw} AS {sql_type})"
    if sql_type == "DOUBLE":
        # DOUBLE takes 'inf', 'nan' and 1e400 (as inf): sums of them are no figure at all
        cast = f"(CASE WHEN isfinite({cast}) THEN {cast} END)"
    shaped = f"regexp_full_match({raw}, {quote_literal(NUMBER_SHAPE)})"
    failure = (
        f"CASE WHEN {shaped} THEN {_fail(column, 'large', raw)} "
        f"ELSE {_fail(column, 'number', raw)} END"
    )
    return f"CASE WHEN {raw} IS NULL THEN NULL ELSE coalesce({cast}, {failure}) END"


def try_timestamp(raw: str) -> str:
    """The one timestamp parser of every import: text -> naive UTC TIMESTAMP, else NULL.

    Accepts ISO 8601 with or without seconds, fraction, ``Z`` or offset (naive text is
    UTC) and the DATE_FORMATS. Converting an offset to UTC relies on the session time
    zone being UTC, which every ingest connection sets (see :func:`utc_connection`).
    """
    formats = "[" + ", ".join(quote_literal(f) for f in DATE_FORMATS) + "]"
    # Only text shaped like ISO 8601 goes to the cast, which would otherwise read
    # '3/1/21' as the year 21.
    iso = f"CASE WHEN substr({raw}, 5, 1) = '-' THEN TRY_CAST({raw} AS TIMESTAMPTZ)::TIMESTAMP END"
    return f"coalesce({iso}, TRY_STRPTIME({raw}, {formats}))"


def as_timestamp(raw: str, column: str) -> str:
    """Raw text in ISO 8601 or one of DATE_FORMATS -> naive UTC TIMESTAMP; else an error."""
    failure = _fail(column, "date", raw)
    return f"CASE WHEN {raw} IS NULL THEN NULL ELSE coalesce({try_timestamp(raw)}, {failure}) END"


def as_boolean(raw: str, column: str) -> str:
    """Raw text ('True', 'false', '1') -> BOOLEAN."""
    cast = f"TRY_CAST({raw} AS BOOLEAN)"
    return f"CASE WHEN {raw} IS NULL THEN NULL ELSE coalesce({cast}, {_fail(column, 'boolean', raw)}) END"


def as_json_object(raw: str, column: str) -> str:
    """Tags-like text -> JSON object; Azure's brace-less form gets its braces back."""
    braced = (
        f"(CASE WHEN starts_with(ltrim({raw}), '{{') THEN {raw} ELSE '{{' || {raw} || '}}' END)"
    )
    # TRY_CAST validates and keeps the text as delivered: each cell is parsed once.
    general = (
        f"CASE WHEN {raw} IS NULL OR trim({raw}) = '' THEN NULL "
        f"ELSE coalesce(TRY_CAST({braced} AS JSON), {_fail(column, 'json', raw)}) END"
    )
    # Most cells are an object as they come: cast them without trimming copies of every
    # cell (a third of the cost); coalesce runs the general route only for the rest.
    as_delivered = f"CASE WHEN starts_with({raw}, '{{') THEN TRY_CAST({raw} AS JSON) END"
    return f"coalesce({as_delivered}, {general})"


def convert(raw: str, column: str, sql_type: str) -> str:
    """Dispatch on the target type of a workspace column."""
    if sql_type.startswith("DECIMAL") or sql_type == "DOUBLE":
        return as_number(raw, column, sql_type)
    if sql_type == "TIMESTAMP":
        return as_timestamp(raw, column)
    if sql_type == "BOOLEAN":
        return as_boolean(raw, column)
    if sql_type == "JSON":
        return as_json_object(raw, column)
    return raw


def utc_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection whose session time zone is UTC."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def frame_of(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    """The result of a query as a Polars frame (through Arrow, types kept)."""
    con.complete()  # a pending result of an earlier execute() would block the query
    frame = pl.from_arrow(con.sql(sql).to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


def parse_timestamps(
    frame: pl.DataFrame, columns: Sequence[str]
) -> tuple[pl.DataFrame, tuple[int, str, str] | None]:
    """Convert text ``columns`` of ``frame`` with :func:`try_timestamp`.

    Returns the frame with those columns as ``Datetime("us")`` and the first value that
    did not convert, as (row index, column, text), or None.
    """
    con = utc_connection()
    try:
        con.register("_frame", frame)
        select = ", ".join(
            f"{try_timestamp(quote_ident(c))} AS {quote_ident(c)}"
            if c in columns
            else quote_ident(c)
            for c in frame.columns
        )
        typed = frame_of(con, f"SELECT {select} FROM _frame")
    finally:
        con.close()
    for column in columns:
        lost = frame[column].is_not_null() & typed[column].is_null()
        if lost.any():
            index = int(lost.arg_true()[0])
            return typed, (index, column, str(frame[column][index]))
    return typed, None


def parse_failure(message: str) -> tuple[str, str, str] | None:
    """(column, problem, value) from a DuckDB error raised by these expressions."""
    match = _FAILURE.search(message)
    if not match:
        return None
    return match.group(1), match.group(2), match.group(3)
