"""FOCUS exports (generic and Microsoft's FocusCost, 1.0-preview to 1.2) to workspace rows."""

from __future__ import annotations

import re
from collections.abc import Collection

from cloudoptima.ingest.formats import Probe
from cloudoptima.ingest.headers import normalise_name
from cloudoptima.ingest.sniff import Sniffed
from cloudoptima.ingest.sqltypes import convert
from cloudoptima.storage.schema import COST_COLUMNS, INTERNAL_COST_COLUMNS

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
_MINUTES_ONLY = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ")

# Microsoft renamed these between dataset versions; rows are stored under the 1.2 name.
RENAMED = {
    "x_skumetername": "SkuMeter",
    "x_invoiceid": "InvoiceId",
    "x_pricingcurrency": "PricingCurrency",
    "x_skudetails": "SkuPriceDetails",
    "usagequantity": "ConsumedQuantity",
    "usageunit": "ConsumedUnit",
    "region": "RegionName",
    "x_ondemandcost": "ListCost",
    "x_ondemandunitprice": "ListUnitPrice",
}
REQUIRED = ("BilledCost", "BillingCurrency", "ChargePeriodStart")
READER_TYPES = ("DECIMAL", "DOUBLE", "BOOLEAN")
READER_TIMESTAMP = "TIMESTAMPTZ"
# Below it, a reader-typed timestamp may be a short date read as a year (see reader_types).
EARLIEST_READER_TIMESTAMP = "1000-01-01"
_BY_LOWER = {name.lower(): name for name in COST_COLUMNS if name not in INTERNAL_COST_COLUMNS}


def map_columns(cells: list[str], refs: list[str]) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """Workspace column -> (SQL ref, header text); plus the header cells that were ignored."""
    mapped: dict[str, tuple[str, str]] = {}
    ignored: list[str] = []
    for cell, ref in zip(cells, refs, strict=True):
        name = cell.replace("\ufeff", "").strip()
        target = _BY_LOWER.get(name.lower()) or RENAMED.get(name.lower())
        if target is None:
            ignored.append(name)
        elif target not in mapped or name.lower() == target.lower():
            # the current name beats the older one when a file carries both
            mapped[target] = (ref, name)
    return mapped, ignored


def reader_types(mapped: dict[str, tuple[str, str]]) -> dict[str, str]:
    """SQL ref -> the type DuckDB's CSV reader can parse it as itself (the fast path).

    Numbers and booleans: the reader refuses exactly what TRY_CAST refuses for them
    (tests/ingest/test_fast_path.py). Timestamps as TIMESTAMPTZ, which honours UTC
    offsets as :func:`.sqltypes.try_timestamp` does; the reader also takes US short
    dates ('3/1/21') as the year 3 and years beyond 9999 the text path refuses, so a
    load that stored a year before 1000 (:data:`EARLIEST_READER_TIMESTAMP`) or after
    9999 is loaded again from text.
    """
    return {
        ref: READER_TIMESTAMP if COST_COLUMNS[column] == "TIMESTAMP" else COST_COLUMNS[column]
        for column, (ref, _) in mapped.items()
        if COST_COLUMNS[column].startswith(READER_TYPES) or COST_COLUMNS[column] == "TIMESTAMP"
    }


def from_reader(ref: str, sql_type: str) -> str:
    """The stored value of a ref the reader typed: TIMESTAMPTZ becomes naive UTC.

    By its microseconds since the epoch, not a cast: the cast goes through ICU's
    calendar for every row, which cost more than parsing the text.
    """
    if sql_type != "TIMESTAMP":
        return ref
    # 'infinity' has no epoch: stored as the year 1, it sends the load the text way.
    return f"CASE WHEN isinf({ref}) THEN TIMESTAMP '0001-01-01' ELSE make_timestamp(epoch_us({ref})) END"


def focus_select(mapped: dict[str, tuple[str, str]], typed: Collection[str] = ()) -> dict[str, str]:
    """Workspace column -> typed SQL expression for a FOCUS file.

    ``typed`` names the refs the reader already converted (see :func:`reader_types`).
    """
    exprs: dict[str, str] = {}
    for column, (ref, header) in mapped.items():
        sql_type = COST_COLUMNS[column]
        exprs[column] = (
            from_reader(ref, sql_type) if ref in typed else convert(ref, header, sql_type)
        )
    if "ResourceId" in exprs:
        # Azure mixes '/resourceGroups/' and '/RESOURCEGROUPS/' casing; ids join lower-cased.
        exprs["ResourceId"] = f"lower({exprs['ResourceId']})"
    if "BillingCurrency" in exprs:
        exprs["BillingCurrency"] = f"upper(trim({exprs['BillingCurrency']}))"
    if "ChargePeriodEnd" not in exprs and "ChargePeriodStart" in exprs:
        exprs["ChargePeriodEnd"] = f"{exprs['ChargePeriodStart']} + INTERVAL 1 DAY"
    if "BillingPeriodStart" not in exprs and "ChargePeriodStart" in exprs:
        exprs["BillingPeriodStart"] = f"date_trunc('month', {exprs['ChargePeriodStart']})"
    if "BillingPeriodEnd" not in exprs and "BillingPeriodStart" in exprs:
        exprs["BillingPeriodEnd"] = f"{exprs['BillingPeriodStart']} + INTERVAL 1 MONTH"
    return exprs


def probe_focus(sniffed: Sniffed) -> Probe | None:
    """A FOCUS export and its version, from the column names (and first date)."""
    names = [normalise_name(n) for n in sniffed.names]
    fields = set(names)
    if len(fields & _FOCUS_ONLY) < 2:
        return None
    version = _focus_version(fields)
    if version == "1.0" and any(n.startswith("x_") for n in names):
        version = _microsoft_focus_10_revision(sniffed, names)
    return Probe(version, "focus")


def _microsoft_focus_10_revision(sniffed: Sniffed, names: list[str]) -> str:
    """Microsoft's FocusCost 1.0 and 1.0r2 differ only in dates: 1.0r2 adds seconds."""
    if sniffed.file_type != "csv" or "chargeperiodstart" not in names:
        return "1.0"
    first = sniffed.header.first_row
    index = names.index("chargeperiodstart")
    value = first[index] if index < len(first) else ""
    return "1.0" if _MINUTES_ONLY.fullmatch(value) else "1.0r2"


def _focus_version(fields: set[str]) -> str:
    if fields & _FOCUS_12:
        return "1.2"
    if fields & _FOCUS_11:
        return "1.1"
    if {"x_chargeid", "usagequantity"} & fields:
        return "1.0-preview"
    return "1.0"
