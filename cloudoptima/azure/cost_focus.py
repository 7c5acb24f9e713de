"""Cost Management Query API rows (actual and amortized) as FOCUS rows.

The mapping follows Microsoft's "convert Cost Management data to FOCUS" table
(finops-toolkit ``docs-mslearn/focus/convert.md``): actual cost fills BilledCost,
amortized cost fills EffectiveCost, ChargeType gives ChargeCategory and ChargeClass,
PricingModel gives PricingCategory and the commitment status. Rows of the two
queries are matched on their day and every grouped dimension; a row only one of them
has (a reservation purchase, unused reservation hours) costs 0 in the other.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from cloudoptima.azure.access import Subscription

# Dimensions every query groups by (Cost Management "Dimension" names).
GROUPING = (
    "ResourceId",
    "ServiceName",
    "MeterCategory",
    "ResourceGroupName",
    "ResourceLocation",
    "ChargeType",
    "PricingModel",
)
COST_NAMES = ("Cost", "PreTaxCost", "CostUSD", "PreTaxCostUSD")
COLUMNS = (
    "BilledCost",
    "EffectiveCost",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "PricingCategory",
    "CommitmentDiscountStatus",
    "ProviderName",
    "InvoiceIssuerName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ServiceName",
    "SubAccountId",
    "SubAccountName",
    "SubAccountType",
    "Tags",
    "x_ResourceGroupName",
    "x_ResourceType",
    "x_SkuMeterCategory",
)
_KEY = ("day", *GROUPING, "Tags", "Currency")
_CHARGE_CATEGORY = {"usage": "Usage", "purchase": "Purchase", "credit": "Credit", "tax": "Tax"}
_PRICING = {"ondemand": "Standard", "spot": "Dynamic", "reservation": "Committed"}


def query_body(kind: str, first: date, last: date) -> dict[str, Any]:
    """A daily Query API request of ``kind`` (ActualCost | AmortizedCost) for whole days."""
    return {
        "type": kind,
        "timeframe": "Custom",
        "timePeriod": {"from": f"{first}T00:00:00Z", "to": f"{last}T23:59:59Z"},
        "dataset": {
            "granularity": "Daily",
            "aggregation": {"totalCost": {"name": "Cost", "function": "Sum"}},
            "grouping": [{"type": "Dimension", "name": name} for name in GROUPING],
            "include": ["Tags"],
        },
    }


def result_rows(page: dict[str, Any]) -> list[dict[str, Any]]:
    """One Query API page as dictionaries keyed by column name."""
    props = page.get("properties") or {}
    names = [str(c.get("name")) for c in props.get("columns") or []]
    return [dict(zip(names, row, strict=False)) for row in props.get("rows") or []]


def merge(
    actual: Iterable[dict[str, Any]], amortized: Iterable[dict[str, Any]], sub: Subscription
) -> list[dict[str, Any]]:
    """FOCUS rows of one subscription from its actual and amortized query rows."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for column, rows in (("BilledCost", actual), ("EffectiveCost", amortized)):
        for row in rows:
            key = _row_key(row)
            target = merged.setdefault(key, _focus_row(row, sub))
            target[column] += _cost(row)
    return list(merged.values())


def write_csv(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    """Write FOCUS rows as the CSV ingest reads.

    Plain ``csv`` on purpose: this file is ingest's input, not a spreadsheet for people,
    and neutralising formula-like cells would change tag values on their way in.
    """
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _row_key(row: dict[str, Any]) -> tuple[Any, ...]:
    values = {**row, "day": _day(row), "Tags": json.dumps(_tags(row.get("Tags")), sort_keys=True)}
    values["ResourceId"] = str(row.get("ResourceId") or "").lower()
    return tuple(values.get(name) for name in _KEY)


def _focus_row(row: dict[str, Any], sub: Subscription) -> dict[str, Any]:
    day = _day(row)
    month = day.replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    charge = str(row.get("ChargeType") or "Usage")
    model = str(row.get("PricingModel") or "OnDemand").replace(" ", "")
    resource_id = str(row.get("ResourceId") or "").lower()
    location = str(row.get("ResourceLocation") or "")
    return {
        "BilledCost": 0.0,
        "EffectiveCost": 0.0,
        "BillingCurrency": str(row.get("Currency") or row.get("BillingCurrency") or "").upper(),
        "BillingPeriodStart": _stamp(month),
        "BillingPeriodEnd": _stamp(next_month),
        "ChargePeriodStart": _stamp(day),
        "ChargePeriodEnd": _stamp(day + timedelta(days=1)),
        "ChargeCategory": _charge_category(charge),
        "ChargeClass": "Correction" if charge.lower() == "refund" else "",
        "PricingCategory": _PRICING.get(
            model.lower(), "Committed" if "plan" in model.lower() else ""
        ),
        "CommitmentDiscountStatus": _commitment_status(charge, model),
        "ProviderName": "Microsoft",
        "InvoiceIssuerName": "Microsoft",
        "RegionId": re.sub(r"\s+", "", location).lower(),
        "RegionName": location,
        "ResourceId": resource_id,
        "ResourceName": resource_id.rsplit("/", 1)[-1] if resource_id else "",
        "ServiceName": str(row.get("ServiceName") or ""),
        "SubAccountId": f"/subscriptions/{sub.id}",
        "SubAccountName": sub.name,
        "SubAccountType": "Subscription",
        "Tags": json.dumps(_tags(row.get("Tags")), sort_keys=True),
        "x_ResourceGroupName": str(row.get("ResourceGroupName") or ""),
        "x_ResourceType": _resource_type(resource_id),
        "x_SkuMeterCategory": str(row.get("MeterCategory") or ""),
    }


def _cost(row: dict[str, Any]) -> float:
    for name in COST_NAMES:
        if row.get(name) is not None:
            return float(row[name])
    return 0.0


def _day(row: dict[str, Any]) -> date:
    """``UsageDate`` is a number yyyyMMdd for daily queries (some versions send text)."""
    value = str(row.get("UsageDate") or row.get("Date") or "")
    digits = re.sub(r"\D", "", value)[:8]
    return datetime.strptime(digits, "%Y%m%d").date()


def _stamp(day: date) -> str:
    return f"{day}T00:00:00Z"


def _tags(value: Any) -> dict[str, str]:
    """Query API tags: a list of '"key":"value"' strings, an object, or JSON text."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            return _tags(json.loads(value))
        except json.JSONDecodeError:
            return {}
    tags: dict[str, str] = {}
    for item in value if isinstance(value, list) else []:
        try:
            tags.update(_tags(json.loads("{" + str(item) + "}")))
        except json.JSONDecodeError:
            continue
    return tags


def _charge_category(charge: str) -> str:
    lowered = charge.lower()
    if lowered in ("unusedreservation", "unusedsavingsplan"):
        return "Usage"
    if lowered == "refund":
        return "Purchase"
    return _CHARGE_CATEGORY.get(lowered, "Adjustment")


def _commitment_status(charge: str, model: str) -> str:
    if charge.lower() in ("unusedreservation", "unusedsavingsplan"):
        return "Unused"
    return "Used" if model.lower() in ("reservation", "savingsplan") else ""


def _resource_type(resource_id: str) -> str:
    """'microsoft.sql/servers/databases' from a resource id (the last provider's part)."""
    if "/providers/" not in resource_id:
        return ""
    parts = resource_id.rsplit("/providers/", 1)[1].split("/")
    return "/".join([parts[0], *parts[1::2]]) if len(parts) >= 3 else ""
