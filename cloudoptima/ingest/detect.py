"""Tell what an input is from its content: cost export, inventory or metrics.

The kind, format and version come from the bytes (:mod:`cloudoptima.ingest.sniff` reads
them, the probes of :mod:`cloudoptima.ingest.formats` judge them), never from the file
name: Azure names export files after the export, not after the schema inside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from cloudoptima.errors import IngestError
from cloudoptima.ingest.formats import KINDS, Format, identify, load_builtin_formats
from cloudoptima.ingest.headers import check_duplicates
from cloudoptima.ingest.sniff import CsvHeader, Sniffed, sniff

# --kind accepts these; the cost ones also fix the dataset.
KIND_CHOICES = (
    "focus",
    "actual",
    "amortized",
    "inventory",
    "metrics",
    "reservation-recommendations",
)
_CHOICE_KINDS = {"focus": "cost", "actual": "cost", "amortized": "cost"}


@dataclass(frozen=True)
class Detected:
    """What an input was found to be."""

    path: Path
    kind: str  # one of KINDS
    format: str  # a registered format name, e.g. focus, ea, mca, resource-graph-json
    version: str | None = None
    dataset: str | None = None  # focus | actual | amortized (costs only)
    file_type: str = "csv"  # csv | parquet | json
    parts: tuple[Path, ...] = ()  # the data files (an export run has several)
    header: CsvHeader | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    sniffed: Sniffed | None = None  # the first part, with what was read from it
    choice: str | None = None  # the --kind given, if any


def detect(path: Path, kind: str | None = None) -> Detected:
    """Detect one file or export-run folder; ``kind`` (a KIND_CHOICES value) narrows it."""
    if kind is not None and kind not in KIND_CHOICES:
        raise IngestError(path, f"unknown --kind '{kind}'; use one of {', '.join(KIND_CHOICES)}")
    if path.is_dir():
        from cloudoptima.ingest.manifest import detect_export_run

        return detect_export_run(path, kind)
    return detect_file(sniff(path), kind)


def detect_file(sniffed: Sniffed, kind: str | None = None) -> Detected:
    """Detect a sniffed file with the registered formats."""
    header = sniffed.header if sniffed.file_type == "csv" else None
    if header is not None:
        check_duplicates(sniffed.path, header.cells)
    kinds = (_CHOICE_KINDS.get(kind, kind),) if kind else KINDS
    found = identify(sniffed, kinds)
    if found is None:
        _raise_unrecognised(sniffed)
    fmt, probe = found
    dataset = _dataset(fmt, probe.dataset, kind)
    return Detected(
        sniffed.path,
        fmt.kind,
        fmt.name,
        probe.version,
        dataset,
        sniffed.file_type,
        (sniffed.path,),
        header,
        sniffed=sniffed,
        choice=kind,
    )


def format_of(detected: Detected) -> Format:
    """The registered format of a detected input."""
    return load_builtin_formats()[detected.format]


def _dataset(fmt: Format, found: str | None, kind: str | None) -> str | None:
    if fmt.kind != "cost":
        return None
    if found == "focus":
        return found
    # --kind actual/amortized settles what the rows might not (None: the loader decides)
    return kind if kind in ("actual", "amortized") else found


def _raise_unrecognised(sniffed: Sniffed) -> NoReturn:
    if sniffed.file_type == "json":
        _ = sniffed.documents  # broken JSON: name its line rather than "unrecognised"
        what = "JSON"
    elif sniffed.file_type == "parquet":
        _ = sniffed.parquet_schema
        what = "Parquet"
    else:
        what = f"CSV (header: {', '.join(sniffed.names[:6])}...)"
    raise IngestError(
        sniffed.path,
        f"is {what} but not a cost export (FOCUS, EA, MCA or pay-as-you-go), "
        "an inventory (Resource Graph, az resource/vm/disk list) or a metrics export "
        "(Azure Monitor, AzureMetrics) that cloudoptima recognises",
    )


__all__ = ["KINDS", "KIND_CHOICES", "Detected", "detect", "detect_file", "format_of"]
