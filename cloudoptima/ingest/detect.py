"""Tell what an input is from its content: cost export, inventory or metrics.

The kind and version come from the bytes, never from the file name: Azure names
export files after the export, not after the schema inside.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from cloudoptima.errors import IngestError
from cloudoptima.ingest import inventory, metrics
from cloudoptima.ingest.headers import (
    CsvHeader,
    check_duplicates,
    normalise_name,
    open_text,
    read_header,
)

KINDS = ("cost", "inventory", "metrics", "reservation-recommendations")
# --kind accepts these; the cost ones also fix the dataset.
KIND_CHOICES = (
    "focus",
    "actual",
    "amortized",
    "inventory",
    "metrics",
    "reservation-recommendations",
)

# Names only FOCUS uses; a header with two of them is FOCUS (possibly a broken one).
_FOCUS_ONLY = {
    "billedcost",
    "effectivecost",
    "listcost",
    "contractedcost",
    "chargeperiodstart",
    "chargeperiodend",
    "billingperiodstart",
    "billingperiodend",
    "chargecategory",
    "providername",
    "subaccountid",
    "servicecategory",
}
_FOCUS_11 = {"servicesubcategory", "skumeter", "capacityreservationid", "skupricedetails"}
_FOCUS_12 = {"billingaccounttype", "subaccounttype", "invoiceid", "pricingcurrency"}
_RESERVATION_RECS = {"recommendedquantity", "netsavings", "instanceflexibilitygroup"}


@dataclass(frozen=True)
class Detected:
    """What an input was found to be."""

    path: Path
    kind: str  # one of KINDS
    format: str  # e.g. focus, ea, mca, payg, resource-graph-json, azure-metrics-csv
    version: str | None = None
    dataset: str | None = None  # focus | actual | amortized (costs only)
    file_type: str = "csv"  # csv | parquet | json
    parts: tuple[Path, ...] = ()  # the data files (an export run has several)
    header: CsvHeader | None = None
    manifest: dict[str, Any] = field(default_factory=dict)


def file_type_of(path: Path) -> str:
    """``parquet``, ``json`` or ``csv`` (plain or gzip) from the first bytes."""
    with path.open("rb") as handle:
        head = handle.read(64)
    if head.startswith(b"PAR1"):
        return "parquet"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        return "json"
    return "csv"


def detect(path: Path, kind: str | None = None) -> Detected:
    """Detect one file or export-run folder; ``kind`` (a KIND_CHOICES value) overrides."""
    if kind is not None and kind not in KIND_CHOICES:
        raise IngestError(path, f"unknown --kind '{kind}'; use one of {', '.join(KIND_CHOICES)}")
    if path.is_dir():
        from cloudoptima.ingest.manifest import detect_export_run

        return detect_export_run(path, kind)
    if not path.exists():
        raise IngestError(path, "does not exist")
    if path.stat().st_size == 0:
        raise IngestError(path, "is empty: there is no header row and no data")
    file_type = file_type_of(path)
    if file_type == "json":
        return _detect_json(path, kind)
    if file_type == "parquet":
        return _detect_parquet(path, kind)
    return _detect_csv(path, kind)


def _detect_json(path: Path, kind: str | None) -> Detected:
    if kind in (None, "metrics") and (fmt := metrics.metrics_format(path)):
        return Detected(path, "metrics", fmt, file_type="json", parts=(path,))
    if kind in (None, "inventory") and (fmt := inventory.inventory_format(path)):
        return Detected(path, "inventory", fmt, file_type="json", parts=(path,))
    _check_json_syntax(path)
    return _raise_unrecognised(path, "JSON")


def _check_json_syntax(path: Path) -> None:
    """Name the line and column of broken JSON rather than calling it unrecognised."""
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(path, f"is not valid JSON: {exc.msg}", line=exc.lineno) from exc


def _detect_parquet(path: Path, kind: str | None) -> Detected:
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise IngestError(path, f"is not a readable Parquet file ({exc})") from exc
    fields = {normalise_name(n) for n in names}
    if kind in (None, "metrics") and (fmt := metrics.metrics_format(path)):
        return Detected(path, "metrics", fmt, file_type="parquet", parts=(path,))
    cost = _cost_format(fields, kind)
    if cost:
        name, version, dataset = cost
        return Detected(path, "cost", name, version, dataset, "parquet", (path,))
    return _raise_unrecognised(path, "Parquet")


def _detect_csv(path: Path, kind: str | None) -> Detected:
    header = read_header(path)
    check_duplicates(path, header.cells)
    fields = {normalise_name(c) for c in header.cells}
    if kind in (None, "reservation-recommendations") and fields >= _RESERVATION_RECS:
        return Detected(
            path,
            "reservation-recommendations",
            "ea-reservation-recommendations",
            parts=(path,),
            header=header,
        )
    cost = _cost_format(fields, kind)
    if cost and kind not in ("inventory", "metrics"):
        name, version, dataset = cost
        if version == "1.0" and any(normalise_name(c).startswith("x_") for c in header.cells):
            version = _microsoft_focus_10_revision(path, header)
        return Detected(path, "cost", name, version, dataset, "csv", (path,), header)
    if kind in (None, "metrics") and (fmt := metrics.metrics_format(path)):
        return Detected(path, "metrics", fmt, parts=(path,), header=header)
    if kind in (None, "inventory") and (fmt := inventory.inventory_format(path)):
        return Detected(path, "inventory", fmt, parts=(path,), header=header)
    return _raise_unrecognised(path, f"CSV (header: {', '.join(header.cells[:6])}...)")


def _cost_format(fields: set[str], kind: str | None) -> tuple[str, str | None, str | None] | None:
    """(format, version, dataset) of a cost export with these header fields, if it is one."""
    if len(fields & _FOCUS_ONLY) >= 2:
        return "focus", _focus_version(fields), "focus"
    from cloudoptima.ingest.azure_exports import legacy_format

    fmt = legacy_format(fields)
    if fmt is None:
        return None
    # None: decided from the rows when loading (unused-commitment rows mean amortized)
    dataset = kind if kind in ("actual", "amortized") else None
    return fmt[0], fmt[1], dataset


def _microsoft_focus_10_revision(path: Path, header: CsvHeader) -> str:
    """Microsoft's FocusCost 1.0 and 1.0r2 differ only in dates: 1.0r2 adds seconds."""
    names = [normalise_name(c) for c in header.cells]
    if "chargeperiodstart" not in names:
        return "1.0"
    with open_text(path) as handle:
        rows = csv.reader(handle, delimiter=header.delimiter)
        for _ in range(header.skip_lines + 1):
            next(rows, None)
        first = next(rows, None)
    index = names.index("chargeperiodstart")
    value = first[index] if first and index < len(first) else ""
    return "1.0" if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ", value) else "1.0r2"


def _focus_version(fields: set[str]) -> str:
    if fields & _FOCUS_12:
        return "1.2"
    if fields & _FOCUS_11:
        return "1.1"
    if {"x_chargeid", "usagequantity"} & fields:
        return "1.0-preview"
    return "1.0"


def _raise_unrecognised(path: Path, what: str) -> NoReturn:
    raise IngestError(
        path,
        f"is {what} but not a cost export (FOCUS, EA, MCA or pay-as-you-go), "
        "an inventory (Resource Graph, az resource/vm/disk list) or a metrics export "
        "(Azure Monitor, AzureMetrics) that cloudoptima recognises",
    )
