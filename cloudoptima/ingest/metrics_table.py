"""Exports of the Log Analytics ``AzureMetrics`` table (CSV or Parquet), converted in SQL.

Cells are read as text by DuckDB and typed with the expressions of :mod:`.sqltypes`, so
a large export never loops row by row in Python and timestamps go through the same
parser as cost exports. A bad cell stops the conversion; the error names its column,
row and (for CSV) line.
"""

from __future__ import annotations

import re

import duckdb
import polars as pl

from cloudoptima.errors import IngestError
from cloudoptima.ingest.detect import Detected
from cloudoptima.ingest.source import locate_value, source_of, translate_csv_error
from cloudoptima.ingest.sqltypes import (
    as_number,
    as_timestamp,
    frame_of,
    missing_error,
    parse_failure,
    utc_connection,
)

AGGREGATES = ("average", "maximum", "minimum", "total", "count")

# AzureMetrics columns (lower-cased) -> our column; Appendix A of azure-data-formats.md.
_TABLE_COLUMNS = {
    "resourceid": "resource_id",
    "metricname": "metric",
    "dimensions": "dimensions",  # only in AzureMetricsV2
    "timegenerated": "timestamp",
    "timegrain": "grain",
    "unitname": "unit",
    **{name: name for name in AGGREGATES},
}
# Log Analytics also stores a lower-cased copy; use it when ResourceId was not exported.
_FALLBACK_ID = "_resourceid"
_REQUIRED = {"resource_id": "ResourceId", "metric": "MetricName", "timestamp": "TimeGenerated"}
# The portal's CSV export appends the time zone to datetime headers: "TimeGenerated [UTC]".
_HEADER_SUFFIX = re.compile(r"\s*\[utc\]$")
_TEXT_COLUMNS = ("resource_id", "metric", "dimensions", "grain", "unit")


def is_metrics_table(names: list[str]) -> bool:
    """Whether these column names are those of an AzureMetrics export."""
    keys = {_header_key(name) for name in names}
    return "metricname" in keys and bool(keys & {"resourceid", _FALLBACK_ID, "timegenerated"})


def _header_key(name: str) -> str:
    return _HEADER_SUFFIX.sub("", name.strip().lstrip("\ufeff").lower())


def table_columns(path: object, names: list[str]) -> dict[str, str]:
    """Map our column names to the file's columns; raise if a required one is missing."""
    found: dict[str, str] = {}
    for name in names:
        key = _header_key(name)
        if key in _TABLE_COLUMNS:
            found.setdefault(_TABLE_COLUMNS[key], name)
        elif key == _FALLBACK_ID:
            found.setdefault("_fallback_id", name)
    fallback = found.pop("_fallback_id", None)
    if "resource_id" not in found and fallback is not None:
        found["resource_id"] = fallback
    for column, written in _REQUIRED.items():
        if column not in found:
            raise IngestError(
                str(path), f"the required column {written} is missing", column=written
            )
    if not any(name in found for name in AGGREGATES):
        needed = "Total, Count, Maximum, Minimum or Average"
        raise IngestError(str(path), f"no aggregate column: expected at least one of {needed}")
    return found


def table_frame(detected: Detected, con: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """The metric points of an AzureMetrics export, typed; points without values dropped."""
    src = source_of(detected)
    found = table_columns(detected.path, src.cells)
    refs = {column: src.refs[src.cells.index(name)] for column, name in found.items()}
    exprs = {column: _expr(column, refs.get(column), found.get(column)) for column in _COLUMNS}
    select = ", ".join(f"{expr} AS {column}" for column, expr in exprs.items())
    has_value = " OR ".join(f"{name} IS NOT NULL" for name in AGGREGATES)
    sql = f"SELECT * FROM (SELECT {select} FROM {src.sql}) WHERE {has_value}"
    own = con is None
    con = con or utc_connection()
    try:
        return frame_of(con, sql)
    except duckdb.Error as exc:
        raise _explain(detected, exc) from exc
    finally:
        if own:
            con.close()


_COLUMNS = ("resource_id", "metric", "dimensions", "timestamp", "grain", "unit", *AGGREGATES)


def _expr(column: str, ref: str | None, written: str | None) -> str:
    """Typed SQL for one metrics column from its raw text cell."""
    if ref is None or written is None:
        return "'{}'" if column == "dimensions" else _null(column)
    text = f"nullif(trim({ref}), '')"
    if column in _REQUIRED:
        text = f"coalesce({text}, {missing_error(written)})"
    if column == "timestamp":
        return as_timestamp(text, written)
    if column in AGGREGATES:
        return as_number(text, written, "DOUBLE")
    if column == "resource_id":
        return f"lower({text})"
    if column == "dimensions":
        return f"CASE WHEN {text} IS NULL OR {text} = '[]' THEN '{{}}' ELSE {text} END"
    return text


def _null(column: str) -> str:
    sql_type = (
        "DOUBLE" if column in AGGREGATES else "TIMESTAMP" if column == "timestamp" else "VARCHAR"
    )
    return f"CAST(NULL AS {sql_type})"


_PROBLEMS = {
    "number": "{written} is not a number: {value!r}",
    "large": "{written} is too large a number: {value!r}",
    "date": "{written} is not an ISO 8601 timestamp: {value!r}",
    "missing": "{written} is empty",
}


def _explain(detected: Detected, exc: duckdb.Error) -> IngestError:
    failure = parse_failure(str(exc))
    if failure is None:
        csv_error = translate_csv_error(detected.path, exc)
        return csv_error or IngestError(
            detected.path, f"could not be read: {str(exc).splitlines()[0]}"
        )
    written, problem, value = failure
    message = _PROBLEMS[problem].format(written=written, value=value)
    try:
        row, line = locate_value(
            detected, written, None if problem == "missing" else value, strip=True
        )
    except LookupError:
        row, line = None, None
    return IngestError(detected.path, message, row=row, line=line, column=written)
