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

import codecs
import csv
import json
from pathlib import Path
from typing import Any

import polars as pl

from cloudoptima.errors import IngestError
from cloudoptima.ingest.inventory_fields import JsonObject, RecordError, lookup, resource_row
from cloudoptima.storage.schema import RESOURCE_COLUMNS

__all__ = ["INVENTORY_FORMATS", "inventory_format", "parse_inventory"]

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


def inventory_format(path: Path) -> str | None:
    """Return the inventory format of ``path`` (one of ``INVENTORY_FORMATS``) or None.

    Detection reads the content only; unreadable or unrecognised files give None.
    """
    path = Path(path)
    kind = sniff(path)
    if kind == "json":
        try:
            return _json_format(read_json(path))
        except IngestError:
            return None
    if kind == "text":
        header = {name.strip().lower() for name in csv_header(path)}
        return "resource-graph-csv" if {"id", "type"} <= header else None
    return None


def parse_inventory(path: Path, fmt: str | None = None) -> pl.DataFrame:
    """Parse an inventory file into one row per resource (last occurrence of an id wins).

    Parameters
    ----------
    path
        The file to read.
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
    path = Path(path)
    if fmt is not None and fmt not in INVENTORY_FORMATS:
        raise ValueError(f"unknown inventory format {fmt!r}; expected one of {INVENTORY_FORMATS}")
    kind = sniff(path)
    if fmt == "resource-graph-csv" or (fmt is None and kind == "text"):
        return _rows_frame(path, _csv_records(path), in_csv=True)
    if fmt is None and kind != "json":
        raise IngestError(path, "not an inventory file: expected JSON or a Resource Graph CSV")
    document = read_json(path)
    fmt = fmt or _json_format(document)
    if fmt is None:
        raise IngestError(
            path,
            "not an inventory file: expected a Resource Graph result, an ARM list "
            "({'value': [...]}) or az CLI list output",
        )
    records = _json_records(path, document, fmt)
    return _rows_frame(path, records, flattened=fmt in ("az-vm-list", "az-disk-list"))


def _rows_frame(
    path: Path, records: list[Any], *, flattened: bool = False, in_csv: bool = False
) -> pl.DataFrame:
    rows: dict[str, JsonObject] = {}
    for index, record in enumerate(records, start=1):
        try:
            row = resource_row(record, flattened=flattened)
        except RecordError as error:
            line = csv_record_line(path, index) if in_csv else None
            raise IngestError(path, str(error), row=index, line=line, column=error.field) from None
        # Re-insert so the surviving row also takes the position of its last occurrence.
        rows.pop(row["resource_id"], None)
        rows[row["resource_id"]] = row
    return pl.DataFrame(list(rows.values()), schema=RESOURCE_SCHEMA)


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


def _csv_records(path: Path) -> list[JsonObject]:
    header = csv_header(path)
    keys = [_CSV_KEYS.get(name.strip().lower(), name.strip()) for name in header]
    written = dict(zip(keys, header, strict=True))
    if len(written) != len(keys):
        raise IngestError(path, "the CSV header names a column twice")
    for required in ("id", "type"):
        if required not in written:
            raise IngestError(path, f"the CSV has no '{required}' column", column=required)
    try:
        frame = pl.read_csv(path, infer_schema=False, new_columns=keys)
    except (pl.exceptions.PolarsError, OSError) as error:
        raise IngestError(path, f"unreadable CSV: {error}") from None
    return [
        _csv_record(path, index, raw, written)
        for index, raw in enumerate(frame.iter_rows(named=True), start=1)
    ]


def _csv_record(path: Path, row: int, raw: JsonObject, written: dict[str, str]) -> JsonObject:
    record: JsonObject = {}
    for key, value in raw.items():
        text = value.strip() if isinstance(value, str) else ""
        # The portal serialises dynamic columns (properties, tags, sku...) as JSON text.
        if key in _CSV_JSON_CELLS and text.startswith(("{", "[")):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                line = csv_record_line(path, row)
                message = f"malformed JSON in the cell: {error.msg}"
                raise IngestError(path, message, row=row, line=line, column=written[key]) from None
        record[key] = value if value != "" else None
    return record


def sniff(path: Path) -> str:
    """Return 'parquet', 'json', 'text' or 'empty' from the first bytes of ``path``."""
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(4096)
    except OSError as error:
        raise IngestError(path, f"cannot read the file: {error.strerror}") from None
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if not text:
        return "empty"
    return "json" if text[:1] in (b"{", b"[") else "text"


def read_text(path: Path) -> str:
    """Return the UTF-8 text of ``path`` without a byte-order mark."""
    try:
        return Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise IngestError(path, f"not UTF-8 text (byte {error.start})") from None


def malformed_json(path: Path, error: json.JSONDecodeError, line: int | None = None) -> IngestError:
    """Return the user error for a JSON syntax error; ``line`` overrides the error's line."""
    where = f"{error.msg} at column {error.colno}"
    return IngestError(path, f"malformed JSON: {where}", line=line or error.lineno)


def read_json(path: Path) -> Any:
    """Load one JSON document, raising ``IngestError`` with the line of a syntax error."""
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as error:
        raise malformed_json(path, error) from None


def csv_header(path: Path) -> list[str]:
    """Return the header cells of a CSV file (BOM removed), or [] when it has none."""
    with Path(path).open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        return next(csv.reader(handle), [])


def csv_record_line(path: Path, row: int) -> int | None:
    """Return the physical line where data row ``row`` (1-based) starts.

    Only called when reporting an error, so a second pass over the file is acceptable;
    it counts quoted line breaks inside cells, which ``row + 1`` would not.
    """
    with Path(path).open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        start, number = reader.line_num + 1, 0
        for cells in reader:
            if cells:  # blank lines are not data rows, for Polars either
                number += 1
                if number == row:
                    return start
            start = reader.line_num + 1
    return None
