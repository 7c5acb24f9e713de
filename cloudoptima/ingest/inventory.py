"""Parse Azure inventory files into rows of the ``resources`` table.

Supported: Resource Graph results (REST pages, ``az graph query`` output, portal CSV),
ARM list responses (``{"value": [...], "nextLink": ...}``) and az CLI ``resource list``,
``vm list [-d]`` and ``disk list`` output. The format is read from the content, never
from the file name. Each format is reduced to a list of resource records and
:func:`cloudoptima.ingest.inventory_fields.resource_row` turns a record into a row.

Examples
--------
>>> fmt = inventory_format(path)  # doctest: +SKIP
>>> parse_inventory(path, fmt).select("resource_id", "type", "power_state")  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from cloudoptima.errors import IngestError
from cloudoptima.ingest.detect import Detected
from cloudoptima.ingest.formats import Format, Probe, register
from cloudoptima.ingest.inventory_fields import JsonObject, RecordError, lookup, resource_row
from cloudoptima.ingest.sniff import Sniffed, sniff
from cloudoptima.ingest.sqltypes import parse_timestamps
from cloudoptima.storage.schema import RESOURCE_COLUMNS
from cloudoptima.storage.sql import quote_ident

if TYPE_CHECKING:
    from cloudoptima.ingest.importer import ImportOptions

__all__ = ["INVENTORY_FORMATS", "inventory_format", "load_inventory", "parse_inventory"]

INVENTORY_FORMATS = (
    "resource-graph-json",
    "resource-graph-csv",
    "az-resource-list",
    "az-vm-list",
    "az-disk-list",
    "arm-list",
)

# SQL types of storage/schema.py -> the Polars dtypes the storage layer expects.
POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.Utf8(),
    "JSON": pl.Utf8(),
    "DOUBLE": pl.Float64(),
    "INTEGER": pl.Int32(),
    "BOOLEAN": pl.Boolean(),
    "TIMESTAMP": pl.Datetime("us"),
}
# The storage layer sets these when it merges a snapshot into the table.
_STORAGE_COLUMNS = frozenset({"first_seen", "last_seen", "_import_id"})

# Keys that only a Resource Graph page has (REST camelCase and az CLI snake_case).
_GRAPH_PAGE_KEYS = frozenset(
    {"count", "totalRecords", "total_records", "$skipToken", "skip_token", "resultTruncated"}
)
# A metrics response also has a "value" list; these keys tell it apart from an ARM list.
_METRICS_RESPONSE_KEYS = frozenset({"timespan", "interval", "cost", "namespace"})
# ARM lists of these types are billing or monitoring data, not resources.
_NOT_INVENTORY_TYPES = (
    "microsoft.insights/metrics",
    "microsoft.consumption/",
    "microsoft.costmanagement/",
    "microsoft.billing/",
    "microsoft.advisor/",
)
# Top-level keys by which az CLI output betrays flattened VM or disk properties.
_AZ_VM_KEYS = frozenset({"hardwareProfile", "storageProfile", "networkProfile", "powerState"})
_AZ_DISK_KEYS = frozenset({"diskSizeGb", "diskState", "diskIopsReadWrite", "creationData"})
_VM_TYPE = "microsoft.compute/virtualmachines"
_DISK_TYPE = "microsoft.compute/disks"

# Portal CSV headers (matched case-insensitively) -> Resource Graph keys.
_CSV_KEYS = {
    key.lower(): key
    for key in (
        *("id", "name", "type", "tenantId", "kind", "location", "resourceGroup"),
        *("subscriptionId", "managedBy", "sku", "plan", "properties", "tags", "identity"),
        *("zones", "extendedLocation"),
    )
}
_CSV_JSON_CELLS = frozenset({"sku", "plan", "properties", "tags", "identity", "zones"})


def polars_schema(columns: dict[str, str], exclude: frozenset[str]) -> dict[str, pl.DataType]:
    """Return the Polars schema of a table of ``storage/schema.py`` minus ``exclude``."""
    return {name: POLARS_TYPES[sql] for name, sql in columns.items() if name not in exclude}


RESOURCE_SCHEMA = polars_schema(RESOURCE_COLUMNS, _STORAGE_COLUMNS)
# Records before their timestamps are parsed in SQL, with the record number.
_RAW_SCHEMA = {**RESOURCE_SCHEMA, "time_created": pl.Utf8(), "_row": pl.Int64()}


def as_sniffed(source: Path | Sniffed) -> Sniffed:
    """A sniffed file from a path, or the one already sniffed."""
    return source if isinstance(source, Sniffed) else sniff(Path(source))


def inventory_format(source: Path | Sniffed) -> str | None:
    """Return the inventory format of a file (one of ``INVENTORY_FORMATS``) or None.

    Detection reads the content only; unreadable or unrecognised files give None.
    """
    try:
        sniffed = as_sniffed(source)
        if sniffed.file_type == "json":
            return sniffed.remember("inventory-json", lambda: _json_format(_document(sniffed)))
        if sniffed.file_type == "csv":
            header = {name.lower() for name in sniffed.names}
            return "resource-graph-csv" if {"id", "type"} <= header else None
    except IngestError:
        return None
    return None


def parse_inventory(source: Path | Sniffed, fmt: str | None = None) -> pl.DataFrame:
    """Parse an inventory file into one row per resource (last occurrence of an id wins).

    Parameters
    ----------
    source
        The file to read, or the file as :func:`cloudoptima.ingest.sniff.sniff` read it.
    fmt
        One of ``INVENTORY_FORMATS``; detected from the content when None.

    Returns
    -------
    polars.DataFrame
        The columns of ``RESOURCE_COLUMNS`` without ``first_seen``, ``last_seen`` and
        ``_import_id``, in that order.

    Raises
    ------
    IngestError
        The file is not inventory, is malformed, or a record lacks an id.
    """
    if fmt is not None and fmt not in INVENTORY_FORMATS:
        raise ValueError(f"unknown inventory format {fmt!r}; expected one of {INVENTORY_FORMATS}")
    sniffed = as_sniffed(source)
    if fmt == "resource-graph-csv" or (fmt is None and sniffed.file_type == "csv"):
        return _rows_frame(sniffed, _csv_records(sniffed), in_csv=True)
    if fmt is None and sniffed.file_type != "json":
        raise IngestError(
            sniffed.path, "not an inventory file: expected JSON or a Resource Graph CSV"
        )
    document = _document(sniffed)
    fmt = fmt or _json_format(document)
    if fmt is None:
        raise IngestError(
            sniffed.path,
            "not an inventory file: expected a Resource Graph result, an ARM list "
            "({'value': [...]}) or az CLI list output",
        )
    records = _json_records(sniffed.path, document, fmt)
    return _rows_frame(sniffed, records, flattened=fmt in ("az-vm-list", "az-disk-list"))


def load_inventory(
    con: duckdb.DuckDBPyConnection, detected: Detected, import_id: int, options: ImportOptions
) -> dict[str, Any]:
    """Upsert a snapshot: known resources keep first_seen and get last_seen = seen_at."""
    seen_at = options.seen_at or datetime.now(UTC).replace(tzinfo=None)
    frame = parse_inventory(detected.sniffed or detected.path, detected.format)
    con.register("_snapshot", frame)
    columns = [c for c in RESOURCE_COLUMNS if c not in _STORAGE_COLUMNS]
    select = ", ".join(f"n.{quote_ident(c)}" for c in columns)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _merged AS
        SELECT {select}, coalesce(o.first_seen, $1) AS first_seen,
               greatest(coalesce(o.last_seen, $1), $1) AS last_seen, $2 AS _import_id
        FROM _snapshot n LEFT JOIN resources o USING (resource_id)""",
        [seen_at, import_id],
    )
    con.unregister("_snapshot")
    con.execute("DELETE FROM resources WHERE resource_id IN (SELECT resource_id FROM _merged)")
    con.execute("INSERT INTO resources BY NAME SELECT * FROM _merged")
    types = frame.get_column("type").n_unique() if frame.height else 0
    return {"rows": frame.height, "message": f"{frame.height} resources of {types} types"}


def _document(sniffed: Sniffed) -> Any:
    # JSON lines hold one page per line: read them as an array of pages.
    documents = sniffed.documents
    return documents[0] if len(documents) == 1 else documents


def _rows_frame(
    sniffed: Sniffed, records: list[Any], *, flattened: bool = False, in_csv: bool = False
) -> pl.DataFrame:
    rows: list[JsonObject] = []
    for index, record in enumerate(records, start=1):
        try:
            rows.append({**resource_row(record, flattened=flattened), "_row": index})
        except RecordError as error:
            line = _csv_line(sniffed, index) if in_csv else None
            raise IngestError(
                sniffed.path, str(error), row=index, line=line, column=error.field
            ) from None
    frame, failure = parse_timestamps(pl.DataFrame(rows, schema=_RAW_SCHEMA), ["time_created"])
    if failure is not None:
        index, _, value = failure
        row = int(frame["_row"][index])
        line = _csv_line(sniffed, row) if in_csv else None
        field = "properties.timeCreated"
        message = f"{field} is not an ISO 8601 timestamp: {value!r}"
        raise IngestError(sniffed.path, message, row=row, line=line, column=field)
    # The surviving row of a repeated id takes the position of its last occurrence.
    return frame.unique("resource_id", keep="last", maintain_order=True).drop("_row")


def _csv_line(sniffed: Sniffed, row: int) -> int | None:
    return next((line for number, line, _ in sniffed.csv_rows() if number == row), None)


def _unwrap_example(document: Any) -> Any:
    # azure-rest-api-specs examples wrap the response body: {"parameters", "responses"}.
    body = lookup(document, "responses", "200", "body")
    return body if isinstance(document, dict) and "parameters" in document and body else document


def _pages(document: Any) -> list[Any]:
    document = _unwrap_example(document)
    items = document if isinstance(document, list) else [document]
    return [_unwrap_example(item) for item in items]


def _is_graph_page(page: Any) -> bool:
    if not isinstance(page, dict) or not _GRAPH_PAGE_KEYS & page.keys():
        return False
    data = page.get("data")
    return isinstance(data, list) or (isinstance(data, dict) and "rows" in data)


def _is_arm_page(page: Any) -> bool:
    return (
        isinstance(page, dict)
        and isinstance(page.get("value"), list)
        and not _METRICS_RESPONSE_KEYS & page.keys()
    )


def _looks_like_resources(items: list[Any]) -> bool:
    if not items or not all(isinstance(item, dict) for item in items):
        return False
    types = [str(item.get("type") or "").lower() for item in items]
    if any(t.startswith(_NOT_INVENTORY_TYPES) for t in types):
        return False
    return any(isinstance(item.get("id"), str) and t for item, t in zip(items, types, strict=True))


def _json_format(document: Any) -> str | None:
    pages = _pages(document)
    if pages and all(_is_graph_page(page) for page in pages):
        return "resource-graph-json"
    if pages and all(_is_arm_page(page) for page in pages):
        # An empty ARM list could be anything (usage details, advisories...): not ours.
        values = [item for page in pages for item in page["value"]]
        return "arm-list" if _looks_like_resources(values) else None
    resources = _unwrap_example(document)
    if isinstance(resources, list) and _looks_like_resources(resources):
        return _az_format(resources)
    return None


def _az_format(items: list[JsonObject]) -> str:
    types = {str(item.get("type") or "").lower() for item in items}
    if types == {_VM_TYPE} and any(_AZ_VM_KEYS & item.keys() for item in items):
        return "az-vm-list"
    if types == {_DISK_TYPE} and any(_AZ_DISK_KEYS & item.keys() for item in items):
        return "az-disk-list"
    return "az-resource-list"


def _json_records(path: Path, document: Any, fmt: str) -> list[Any]:
    pages = _pages(document)
    if fmt == "resource-graph-json" and all(_is_graph_page(page) for page in pages):
        return [record for page in pages for record in _graph_records(path, page["data"])]
    if fmt == "arm-list" and all(_is_arm_page(page) for page in pages):
        return [record for page in pages for record in page["value"]]
    resources = _unwrap_example(document)
    if fmt.startswith("az-") and isinstance(resources, list):
        return resources
    raise IngestError(path, f"the JSON does not have the shape of {fmt}")


def _graph_records(path: Path, data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    # resultFormat "table": {"columns": [{"name", "type"}], "rows": [[...], ...]}
    names = [lookup(column, "name") for column in data.get("columns") or []]
    records = []
    for index, row in enumerate(data["rows"], start=1):
        if not isinstance(row, list) or len(row) != len(names):
            message = f"table row has {len(row) if isinstance(row, list) else 'no'} cells"
            raise IngestError(path, f"{message}, expected {len(names)}", row=index)
        records.append(dict(zip(names, row, strict=True)))
    return records


def _csv_records(sniffed: Sniffed) -> list[JsonObject]:
    header = sniffed.names
    keys = [_CSV_KEYS.get(name.lower(), name) for name in header]
    written = dict(zip(keys, header, strict=True))
    if len(written) != len(keys):
        raise IngestError(sniffed.path, "the CSV header names a column twice")
    for required in ("id", "type"):
        if required not in written:
            raise IngestError(sniffed.path, f"the CSV has no '{required}' column", column=required)
    layout = sniffed.header
    try:
        frame = pl.read_csv(
            sniffed.path,
            infer_schema=False,
            new_columns=keys,
            separator=layout.delimiter,
            skip_rows=layout.skip_lines,
        )
    except (pl.exceptions.PolarsError, OSError) as error:
        raise IngestError(sniffed.path, f"unreadable CSV: {error}") from None
    return [
        _csv_record(sniffed, index, raw, written)
        for index, raw in enumerate(frame.iter_rows(named=True), start=1)
    ]


def _csv_record(sniffed: Sniffed, row: int, raw: JsonObject, written: dict[str, str]) -> JsonObject:
    record: JsonObject = {}
    for key, value in raw.items():
        text = value.strip() if isinstance(value, str) else ""
        # The portal serialises dynamic columns (properties, tags, sku...) as JSON text.
        if key in _CSV_JSON_CELLS and text.startswith(("{", "[")):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                line = _csv_line(sniffed, row)
                message = f"malformed JSON in the cell: {error.msg}"
                raise IngestError(
                    sniffed.path, message, row=row, line=line, column=written[key]
                ) from None
        record[key] = value if value != "" else None
    return record


def _probe(fmt: str) -> Callable[[Sniffed], Probe | None]:
    def probe(sniffed: Sniffed) -> Probe | None:
        return Probe() if inventory_format(sniffed) == fmt else None

    return probe


for _fmt in INVENTORY_FORMATS:
    _types = ("csv",) if _fmt == "resource-graph-csv" else ("json",)
    register(Format(_fmt, "inventory", _types, _probe(_fmt), load_inventory))
