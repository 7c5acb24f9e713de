"""Parse Azure Monitor metrics into rows of the ``metrics`` table.

Supported: Azure Monitor ``metrics.list`` responses (REST or ``az monitor metrics list``;
one response, a JSON array of responses, or one response per line) and exports of the
Log Analytics ``AzureMetrics`` table as CSV or Parquet (:mod:`.metrics_table`, in SQL).
Timestamps of both go through the one SQL parser, :func:`.sqltypes.try_timestamp`.

Examples
--------
>>> parse_metrics(path).group_by("metric").agg(pl.col("average").max())  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from cloudoptima.errors import IngestError
from cloudoptima.ingest.detect import Detected
from cloudoptima.ingest.formats import Format, Probe, register
from cloudoptima.ingest.inventory import as_sniffed, polars_schema
from cloudoptima.ingest.inventory_fields import RecordError, json_text, lookup, timestamp_text
from cloudoptima.ingest.metrics_table import AGGREGATES, is_metrics_table, table_frame
from cloudoptima.ingest.sniff import Sniffed
from cloudoptima.ingest.sqltypes import parse_timestamps
from cloudoptima.storage.schema import METRIC_COLUMNS
from cloudoptima.storage.sql import quote_ident

if TYPE_CHECKING:
    from cloudoptima.ingest.importer import ImportOptions

__all__ = ["METRICS_FORMATS", "load_metrics", "metrics_format", "parse_metrics"]

METRICS_FORMATS = ("monitor-json", "azure-metrics-csv", "azure-metrics-parquet")

METRIC_SCHEMA = polars_schema(METRIC_COLUMNS, frozenset({"_import_id"}))
# Points before their timestamps are parsed in SQL.
_RAW_SCHEMA = {**METRIC_SCHEMA, "timestamp": pl.Utf8()}
_METRICS_PATH = "/providers/microsoft.insights/metrics"
# az CLI (older SDKs) prints the interval as a Python timedelta: "0:01:00", "1 day, 0:00:00".
_TIMEDELTA = re.compile(r"^(?:(\d+) days?, )?(\d+):(\d{2}):(\d{2})$")


def metrics_format(source: Path | Sniffed) -> str | None:
    """Return the metrics format of a file (one of ``METRICS_FORMATS``) or None.

    Detection reads the content only; unreadable or unrecognised files give None.
    """
    try:
        sniffed = as_sniffed(source)
        if sniffed.file_type == "json":
            found = sniffed.remember("monitor-json", lambda: bool(_responses(sniffed.documents)))
            return "monitor-json" if found else None
        if is_metrics_table(sniffed.names):
            return f"azure-metrics-{sniffed.file_type}"
    except IngestError:
        return None
    return None


def parse_metrics(
    source: Path | Sniffed, fmt: str | None = None, con: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """Parse a metrics file into one row per data point.

    Parameters
    ----------
    source
        The file to read, or the file as :func:`cloudoptima.ingest.sniff.sniff` read it.
    fmt
        One of ``METRICS_FORMATS``; detected from the content when None.
    con
        The DuckDB connection to convert AzureMetrics tables on (default: a new one).

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
    if fmt is not None and fmt not in METRICS_FORMATS:
        raise ValueError(f"unknown metrics format {fmt!r}; expected one of {METRICS_FORMATS}")
    sniffed = as_sniffed(source)
    fmt = fmt or metrics_format(sniffed) or _guess_format(sniffed)
    if fmt == "monitor-json":
        return _monitor_frame(sniffed.path, sniffed.documents)
    parts = (sniffed.path,)
    detected = Detected(sniffed.path, "metrics", fmt, file_type=sniffed.file_type, parts=parts)
    return table_frame(replace(detected, sniffed=sniffed), con)


def load_metrics(
    con: duckdb.DuckDBPyConnection, detected: Detected, import_id: int, options: ImportOptions
) -> dict[str, Any]:
    """Insert metric points; a point already stored for the same key is replaced."""
    frame = parse_metrics(detected.sniffed or detected.path, detected.format, con)
    frame = frame.with_columns(pl.lit(import_id, dtype=pl.Int32).alias("_import_id"))
    con.register("_points", frame)
    key = ("resource_id", "metric", "dimensions", "grain", "timestamp")
    match = " AND ".join(f"m.{quote_ident(k)} IS NOT DISTINCT FROM p.{quote_ident(k)}" for k in key)
    con.execute(f"DELETE FROM metrics m USING _points p WHERE {match}")
    names = ", ".join(quote_ident(c) for c in METRIC_COLUMNS)
    con.execute(f"INSERT INTO metrics ({names}) SELECT {names} FROM _points")
    con.unregister("_points")
    series = frame.select("resource_id", "metric").n_unique() if frame.height else 0
    return {"rows": frame.height, "message": f"{frame.height} metric points in {series} series"}


def _guess_format(sniffed: Sniffed) -> str:
    # Detection failed: pick the parser whose error will explain what is wrong.
    if sniffed.file_type == "json":
        _ = sniffed.documents  # raises with the line of a syntax error
    if sniffed.file_type == "csv":
        return "azure-metrics-csv"
    raise IngestError(
        sniffed.path, "not a metrics file: expected Azure Monitor JSON or AzureMetrics"
    )


# --- Azure Monitor JSON -------------------------------------------------------------


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
    places: list[str] = []
    for number, response in enumerate(responses, start=1):
        grain = _iso_grain(response.get("interval"))
        for index, metric in enumerate(response["value"], start=1):
            where = f"response {number}, metric {index}"
            try:
                points = list(_metric_rows(metric, grain))
            except RecordError as error:
                raise IngestError(path, f"{where}: {error}", column=error.field) from None
            rows.extend(points)
            places.extend([where] * len(points))
    raw = pl.DataFrame(rows, schema=_RAW_SCHEMA, orient="row")
    frame, failure = parse_timestamps(raw, ["timestamp"])
    if failure is not None:
        index, _, value = failure
        message = f"{places[index]}: timeStamp is not an ISO 8601 timestamp: {value!r}"
        raise IngestError(path, message, column="timeStamp")
    return frame


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


def _point_time(point: Any) -> str:
    timestamp = timestamp_text(lookup(point, "timeStamp"), "timeStamp")
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


# --- the catalogue ------------------------------------------------------------------


def _probe(fmt: str) -> Callable[[Sniffed], Probe | None]:
    def probe(sniffed: Sniffed) -> Probe | None:
        return Probe() if metrics_format(sniffed) == fmt else None

    return probe


for _fmt, _type in zip(METRICS_FORMATS, ("json", "csv", "parquet"), strict=True):
    register(Format(_fmt, "metrics", (_type,), _probe(_fmt), load_metrics))
