"""Reading and normalising the header row of CSV exports.

Azure writes the same field under many spellings: PascalCase (EA), camelCase (MCA),
legacy names (PAYG ``PreTaxCost``) and localised portal headers such as
``Abonnement-GUID (SubscriptionGuid)``. Everything is reduced to one lower-case
canonical field name before mapping to FOCUS.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass
from pathlib import Path

from cloudoptima.errors import IngestError

_PARENTHESISED = re.compile(r"^.*\(([^()]+)\)\s*$")
_SNIFF_BYTES = 256 * 1024

# canonical field -> spellings seen in EA, MCA, MPA/CSP and PAYG exports (lower-case)
LEGACY_ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "usagedatetime", "usagedate"),
    "cost": ("costinbillingcurrency", "cost", "pretaxcost"),
    "currency": ("billingcurrencycode", "billingcurrency", "currency"),
    "subscriptionid": ("subscriptionid", "subscriptionguid"),
    "resourcegroup": ("resourcegroup", "resourcegroupname"),
    "resourceid": ("resourceid", "instanceid", "instancename"),
    "quantity": ("quantity", "usagequantity"),
    "productname": ("productname", "product"),
    "invoicesectionname": ("invoicesectionname", "invoicesection", "departmentname"),
    "unitprice": ("unitprice",),
    "effectiveprice": ("effectiveprice", "resourcerate"),
    "resourcelocation": ("resourcelocation", "resourcelocationnormalized", "location"),
}
_ALIAS_TO_CANONICAL = {alias: canon for canon, names in LEGACY_ALIASES.items() for alias in names}


def normalise_name(cell: str) -> str:
    """``'Abonnement-GUID (SubscriptionGuid)'`` -> ``'subscriptionguid'``; BOM and case removed."""
    name = cell.replace("\ufeff", "").strip().strip('"')
    match = _PARENTHESISED.match(name)
    if match:
        name = match.group(1)
    return re.sub(r"\s", "", name).lower()


def canonical_field(cell: str) -> str:
    """The canonical legacy field a header cell stands for."""
    name = normalise_name(cell)
    return _ALIAS_TO_CANONICAL.get(name, name)


@dataclass(frozen=True)
class CsvHeader:
    """The header of a CSV file: raw cells, delimiter and lines skipped before it."""

    cells: list[str]
    delimiter: str
    skip_lines: int
    has_data: bool


def open_text(path: Path) -> io.TextIOWrapper:
    """Open a possibly gzip-compressed text file, dropping a UTF-8 BOM."""
    with path.open("rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    if compressed:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return io.TextIOWrapper(path.open("rb"), encoding="utf-8-sig", newline="")


def read_header(path: Path, *, max_preamble: int = 3) -> CsvHeader:
    """Read the header row, skipping up to ``max_preamble`` preamble lines."""
    try:
        with open_text(path) as handle:
            sample = handle.read(_SNIFF_BYTES)
    except (EOFError, gzip.BadGzipFile) as exc:
        raise IngestError(path, f"is a damaged gzip file ({exc})") from exc
    except (UnicodeDecodeError, OSError) as exc:
        raise IngestError(path, f"is not a readable UTF-8 text file ({exc})") from exc
    if not sample.strip():
        raise IngestError(path, "is empty: there is no header row and no data")
    if "\x00" in sample:
        raise IngestError(path, "is a binary file, not a CSV export")
    lines = sample.splitlines()
    for skip, line in enumerate(lines[: max_preamble + 1]):
        delimiter = _delimiter_of(line)
        cells = next(csv.reader([line], delimiter=delimiter))
        named = sum(1 for c in cells if c.strip())
        if len(cells) >= 3 and named >= 0.8 * len(cells):
            has_data = any(ln.strip() for ln in lines[skip + 1 :])
            return CsvHeader(cells, delimiter, skip, has_data)
    raise IngestError(path, "has no header row that names its columns", line=1)


def _delimiter_of(line: str) -> str:
    counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
    return max(counts, key=lambda d: counts[d]) if max(counts.values()) else ","


def check_duplicates(path: Path, cells: list[str]) -> None:
    """Refuse a header in which two cells name the same field."""
    seen: dict[str, str] = {}
    for cell in cells:
        key = normalise_name(cell)
        if key in seen:
            raise IngestError(
                path,
                f"the header names the same column twice ('{seen[key]}' and '{cell}'), "
                "so it is ambiguous which one holds the data",
                line=1,
                column=cell.strip(),
            )
        seen[key] = cell.strip()
