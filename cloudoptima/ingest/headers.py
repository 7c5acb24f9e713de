"""Normalising the column names of exports.

Azure writes the same field under many spellings: PascalCase (EA), camelCase (MCA),
legacy names (PAYG ``PreTaxCost``) and localised portal headers such as
``Abonnement-GUID (SubscriptionGuid)``. Everything is reduced to one lower-case
canonical field name before mapping to FOCUS.
"""

from __future__ import annotations

import re
from pathlib import Path

from cloudoptima.errors import IngestError

_PARENTHESISED = re.compile(r"^.*\(([^()]+)\)\s*$")

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
