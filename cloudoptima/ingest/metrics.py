"""Parse Azure Monitor metrics into rows of the ``metrics`` table.

Supported: Azure Monitor ``metrics.list`` responses (REST or ``az monitor metrics list``;
one response, a JSON array of responses, or one response per line) and exports of the
Log Analytics ``AzureMetrics`` table as CSV or Parquet. CSV and Parquet are converted
with Polars expressions, so large exports never loop row by row in Python.

Examples
--------
>>> parse_metrics(path).group_by("metric").agg(pl.col("average").max())  # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from cloudoptima.errors import IngestError
from cloudoptima.ingest.inventory import (
    csv_header,
    csv_record_line,
    malformed_json,
    polars_schema,
    read_text,
    sniff,
)
from cloudoptima.ingest.inventory_fields import RecordError, json_text, lookup, utc_datetime
from cloudoptima.storage.schema import METRIC_COLUMNS

__all__ = ["METRICS_FORMATS", "metrics_format", "parse_metrics"]

METRICS_FORMATS = ("monitor-json", "azure-metrics-csv", "azure-metrics-parquet")

METRIC_SCHEMA = polars_schema(METRIC_COLUMNS, frozenset({"_import_id"}))
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
_METRICS_PATH = "/providers/microsoft.insights/metrics"
# az CLI (older SDKs) prints the interval as a Python timedelta: "0:01:00", "1 day, 0:00:00".
_TIMEDELTA = re.compile(r"^(?:(\d+) days?, )?(\d+):(\d{2}):(\d{2})$")


def metrics_format(path: Path) -> str | None:
    """Return the metrics format of ``path`` (one of ``METRICS_FORMATS``) or None.

    Detection reads the content only; unreadable or unrecognised files give None.
    """
    path = Path(path)
    kind = sniff(path)
    if kind == "json":
        try:
            return "monitor-json" if _responses(_load_documents(path)) else None
        except IngestError:
            return None
    if kind == "parquet":
        try:
            metrics_table = _is_metrics_table(_table_names(path, parquet=True))
        except IngestError:
            return None
        return "azure-metrics-parquet" if metrics_table else None
    if kind == "text":
        return "azure-metrics-csv" if _is_metrics_table(csv_header(path)) else None
    return None


def parse_metrics(path: Path, fmt: str | None = None) -> pl.DataFrame:
    """Parse a metrics file into one row per data point.

    Parameters
    ----------
    path
        The file to read.
    fmt
        One of ``METRICS_FORMATS``; detected from the content when None.

    Returns
    -------
    polars.DataFrame
        The columns of ``METRIC_COLUMNS`` without ``_import_id``, in that order; points
        without any aggregate are left out.

    Raises
    ------
    IngestError
        The file is not a metrics file, misses a required column, or holds a bad
        number or timestamp (with the 1-based data row and line where known).
    """
    path = Path(path)
    if fmt is not None and fmt not in METRICS_FORMATS:
        raise ValueError(f"unknown metrics format {fmt!r}; expected one of {METRICS_FORMATS}")
    fmt = fmt or metrics_format(path) or _guess_format(path)
    if fmt == "monitor-json":
        return _monitor_frame(path, _load_documents(path))
    return _table_frame(path, parquet=fmt == "azure-metrics-parquet")


def _guess_format(path: Path) -> str:
    # Detection failed: pick the parser whose error will explain what is wrong.
    kind = sniff(path)
    if kind == "json":
        _load_documents(path)  # raises with the line of a syntax error
    if kind == "text":
        return "azure-metrics-csv"
    raise IngestError(path, "not a metrics file: expected Azure Monitor JSON or AzureMetrics")


def _is_metrics_table(names: list[str]) -> bool:
    keys = {_header_key(name) for name in names}
    return "metricname" in keys and bool(keys & {"resourceid", _FALLBACK_ID, "timegenerated"})


def _header_key(name: str) -> str:
    return _HEADER_SUFFIX.sub("", name.strip().lstrip("\ufeff").lower())


# --- Azure Monitor JSON -------------------------------------------------------------


def _load_documents(path: Path) -> list[Any]:
    """Load one JSON document, or JSON lines (one response per line)."""
    text = read_text(path)
    try:
        return [json.loads(text)]
    except json.JSONDecodeError as error:
        if error.msg != "Extra data":
            raise malformed_json(path, error) from None
    documents = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                documents.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise malformed_json(path, error, line=number) from None
    return documents


def _unwrap_example(document: Any) -> Any:
    # azure-rest-api-specs examples wrap the response body: {"parameters", "responses"}.
    body = lookup(document, "responses", "200", "body")
    return body if isinstance(document, dict) and "parameters" in document and body else document


def _is_response(document: Any) -> bool:
    values = lookup(document, "value")
    if not isinstance(document, dict) or not isinstance(values, list):
        return False
    if not values:
        return "interval" in document or "timespan" in document
    return all(isinstance(metric, dict) and "timeseries" in metric for metric in values)


def _responses(documents: list[Any]) -> list[dict[str, Any]]:
    """Flatten documents (a response, or an array of them) into a list of responses."""
    responses: list[Any] = []
    for document in documents:
        document = _unwrap_example(document)
        items = document if isinstance(document, list) else [document]
        responses.extend(_unwrap_example(item) for item in items)
    if responses and all(_is_response(response) for response in responses):
        return responses
    return []


def _monitor_frame(path: Path, documents: list[Any]) -> pl.DataFrame:
    responses = _responses(documents)
    if not responses:
        raise IngestError(path, "not an Azure Monitor metrics response: expected {'value': [...]}")
    rows: list[tuple[Any, ...]] = []
    for number, response in enumerate(responses, start=1):
        grain = _iso_grain(response.get("interval"))
        for index, metric in enumerate(response["value"], start=1):
            where = f"response {number}, metric {index}"
            try:
                rows.extend(_metric_rows(metric, grain))
            except RecordError as error:
                raise IngestError(path, f"{where}: {error}", column=error.field) from None
    return pl.DataFrame(rows, schema=METRIC_SCHEMA, orient="row")


def _metric_rows(metric: dict[str, Any], grain: str | None) -> Iterator[tuple[Any, ...]]:
    resource_id = _resource_of(metric.get("id"))
    name = _metric_name(metric.get("name"))
    for series in metric.get("timeseries") or []:
        dimensions = _dimensions(lookup(series, "metadatavalues"))
        for point in lookup(series, "data") or []:
            values = tuple(_aggregate(point, key) for key in AGGREGATES)
            # Intervals without data carry only a timeStamp; they are not measurements.
            if any(value is not None for value in values):
                timestamp = _point_time(point)
                yield (resource_id, name, dimensions, timestamp, grain, metric.get("unit"), *values)


def _metric_name(name: Any) -> str:
    # The name Log Analytics stores as MetricName is name.value ('Percentage CPU'),
    # not the localised display text, so both sources join on the same value.
    if isinstance(name, dict):
        name = name.get("value") or name.get("localizedValue")
    if not isinstance(name, str) or not name:
        raise RecordError("name", "the metric has no name")
    return name


def _resource_of(metric_id: Any) -> str:
    if not isinstance(metric_id, str) or not metric_id:
        raise RecordError("id", "the metric has no id")
    lowered = metric_id.lower()
    cut = lowered.find(_METRICS_PATH)
    if cut <= 0:
        raise RecordError("id", f"the metric id does not contain {_METRICS_PATH}: {metric_id!r}")
    return lowered[:cut]


def _dimensions(values: Any) -> str:
    pairs = {}
    for item in values if isinstance(values, list) else []:
        key = lookup(item, "name", "value") or lookup(item, "name")
        if isinstance(key, str):
            pairs[key] = lookup(item, "value")
    return json_text(pairs)


def _aggregate(point: Any, key: str) -> float | None:
    value = lookup(point, key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(key, f"{key} is not a number: {value!r}")
    return float(value)


def _point_time(point: Any) -> datetime:
    timestamp = utc_datetime(lookup(point, "timeStamp"), "timeStamp")
    if timestamp is None:
        raise RecordError("timeStamp", "a data point has no timeStamp")
    return timestamp


def _iso_grain(interval: Any) -> str | None:
    """Return the grain as an ISO 8601 duration ('PT1M'), converting az's '0:01:00'."""
    if not isinstance(interval, str) or not interval:
        return None
    match = _TIMEDELTA.match(interval.strip())
    if match is None:
        return interval.strip()
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    clock = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    date = f"{days}D" if days else ""
    if not date and not clock:
        return "PT0S"
    return f"P{date}" + (f"T{clock}" if clock else "")


# --- AzureMetrics CSV / Parquet -----------------------------------------------------


def _table_names(path: Path, *, parquet: bool) -> list[str]:
    if not parquet:
        return csv_header(path)
    try:
        return list(pl.read_parquet_schema(path))
    except (pl.exceptions.PolarsError, OSError) as error:
        raise IngestError(path, f"unreadable Parquet file: {error}") from None


def _read_table(path: Path, columns: list[str], *, parquet: bool) -> pl.DataFrame:
    """Read only the columns we use; CSV cells stay text so bad values can be reported."""
    try:
        if parquet:
            return pl.read_parquet(path, columns=columns)
        return pl.read_csv(path, infer_schema=False, columns=columns)
    except (pl.exceptions.PolarsError, OSError) as error:
        kind = "Parquet file" if parquet else "CSV"
        raise IngestError(path, f"unreadable {kind}: {error}") from None


def _table_columns(path: Path, names: list[str]) -> dict[str, str]:
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
            raise IngestError(path, f"the required column {written} is missing", column=written)
    if not any(name in found for name in AGGREGATES):
        needed = "Total, Count, Maximum, Minimum or Average"
        raise IngestError(path, f"no aggregate column: expected at least one of {needed}")
    return found


def _table_frame(path: Path, *, parquet: bool) -> pl.DataFrame:
    found = _table_columns(path, _table_names(path, parquet=parquet))
    frame = _read_table(path, list(dict.fromkeys(found.values())), parquet=parquet)
    frame = frame.select([pl.col(name).alias(column) for column, name in found.items()])
    frame = frame.with_row_index("_row", offset=1)
    typed = frame.select("_row", *(_typed(frame, column) for column in METRIC_SCHEMA))
    _check_values(path, frame, typed, found, in_csv=not parquet)
    has_value = pl.any_horizontal(pl.col(name).is_not_null() for name in AGGREGATES)
    return typed.filter(has_value).drop("_row")


def _typed(frame: pl.DataFrame, column: str) -> pl.Expr:
    if column not in frame.columns:
        default = "{}" if column == "dimensions" else None
        return pl.lit(default, dtype=METRIC_SCHEMA[column]).alias(column)
    dtype = frame.schema[column]
    if column == "timestamp":
        return _timestamp_expr(column, dtype)
    if METRIC_SCHEMA[column] == pl.Float64:
        text = pl.col(column).str.strip_chars() if dtype == pl.Utf8 else pl.col(column)
        return text.cast(pl.Float64, strict=False).alias(column)
    text = pl.col(column).cast(pl.Utf8).str.strip_chars()
    if column == "resource_id":
        text = text.str.to_lowercase()
    if column == "dimensions":
        text = pl.when(text.is_in(["", "[]"]) | text.is_null()).then(pl.lit("{}")).otherwise(text)
    return pl.when(text != "").then(text).alias(column)


def _timestamp_expr(column: str, dtype: pl.DataType) -> pl.Expr:
    """TimeGenerated -> naive UTC Datetime(us); text must be ISO 8601 (Z, offset or none)."""
    col = pl.col(column)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            col = col.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return col.cast(pl.Datetime("us")).alias(column)
    if dtype == pl.Date:
        return col.cast(pl.Datetime("us")).alias(column)
    text = col.cast(pl.Utf8).str.strip_chars().str.replace(r"^(\d{4}-\d{2}-\d{2}) ", "${1}T")
    # Timestamps without a zone are UTC, as Log Analytics writes them.
    zoned = pl.when(text.str.contains(r"(Z|[+-]\d{2}:?\d{2})$")).then(text).otherwise(text + "Z")
    return (
        zoned.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", time_zone="UTC", strict=False)
        .dt.replace_time_zone(None)
        .cast(pl.Datetime("us"))
        .alias(column)
    )


def _check_values(
    path: Path, raw: pl.DataFrame, typed: pl.DataFrame, found: dict[str, str], *, in_csv: bool
) -> None:
    """Raise for the first value that is missing where required or failed to convert."""
    for column in ("resource_id", "metric", "timestamp", *AGGREGATES):
        if column not in raw.columns:
            continue
        present = raw[column].cast(pl.Utf8).str.strip_chars().fill_null("") != ""
        lost = typed[column].is_null()
        bad = lost & present if column in AGGREGATES else lost
        if bad.any():
            index = int(bad.arg_true()[0])
            row = int(raw["_row"][index])
            _raise_bad_value(path, column, raw[column][index], row, found[column], in_csv=in_csv)


def _raise_bad_value(
    path: Path, column: str, value: Any, row: int, written: str, *, in_csv: bool
) -> None:
    if value is None or str(value).strip() == "":
        problem = "is empty"
    elif column == "timestamp":
        problem = f"is not an ISO 8601 timestamp: {value!r}"
    else:
        problem = f"is not a number: {value!r}"
    line = csv_record_line(path, row) if in_csv else None
    raise IngestError(path, f"{written} {problem}", row=row, line=line, column=written)
