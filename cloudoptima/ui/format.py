"""How figures read on screen: money with its currency, headers in words, text kept as text.

Anything read from an imported file (resource, group, service and tag names) or typed
by a user is shown through a dataframe, ``st.text``, ``st.code``, a metric value or,
where Streamlit renders Markdown (subheaders, captions, alerts, widget labels),
through :func:`plain`, so that ``![x](http://host/pixel.png)`` stays those characters.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import polars as pl
import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

Number = float | int | Decimal | None

# Column headers in words: what a field of the library is called on screen.
WORDS = {
    "annual_savings": "Annual saving",
    "BilledCost": "Billed cost",
    "BillingCurrency": "Currency",
    "ChargeCategory": "Charge category",
    "CommitmentDiscountName": "Commitment",
    "CommitmentDiscountType": "Type",
    "confidence": "Confidence",
    "contracted_cost": "Contracted cost",
    "commitment_savings": "Commitment savings",
    "cost": "Cost",
    "cost_30d": "Cost, last 30 days",
    "coverage": "Coverage",
    "covered_cost": "Covered by commitments",
    "current": "This period",
    "days_after": "Days measured",
    "delta": "Change",
    "delta_pct": "Change %",
    "effective_cost": "Effective cost",
    "effective_savings_rate": "Effective savings rate",
    "EffectiveCost": "Effective cost",
    "effort": "Effort",
    "expected": "Expected",
    "actual": "Actual",
    "impact": "Impact",
    "list_cost": "List cost",
    "location": "Region",
    "monthly_cost": "Monthly cost",
    "monthly_savings": "Monthly saving",
    "name": "Name",
    "negotiated_savings": "Negotiated savings",
    "on_demand_cost": "On-demand (not covered)",
    "open_findings": "Open recommendations",
    "period": "Period",
    "power_state": "Power state",
    "previous": "Previous period",
    "realized_monthly_savings": "Realized monthly saving",
    "RegionName": "Region",
    "resolved_on": "Resolved on",
    "resource": "Resource",
    "resource_group": "Resource group",
    "resource_name": "Resource",
    "ResourceId": "Resource",
    "ResourceType": "Resource type",
    "rule": "Rule",
    "score": "Score",
    "ServiceName": "Service",
    "share": "Share",
    "sku_name": "SKU",
    "status": "Status",
    "SubAccountName": "Subscription",
    "subscription": "Subscription",
    "subscription_id": "Subscription",
    "tag": "Tag",
    "tags": "Tags",
    "target": "Move to",
    "title": "Recommendation",
    "total_savings": "Total savings",
    "type": "Type",
    "unused_cost": "Unused commitment",
    "untagged_cost": "Cost without the tag",
    "untagged_share": "Share without the tag",
    "used_cost": "Used commitment",
    "utilization": "Utilization",
    "x_ResourceGroupName": "Resource group",
}
# Characters CommonMark, Streamlit's directives (:red[..], :material/..:), LaTeX ($)
# and HTML give a meaning to; a backslash before each keeps it a plain character.
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"://|www\.|@", re.IGNORECASE)
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&=\"'])")


def money(value: Number, currency: str) -> str:
    """A money amount in its billing currency: 'USD 1,234.56' (two decimals, separators)."""
    return f"{currency} {float(value or 0):,.2f}"


def money_column(label: str, currency: str) -> ColumnConfig:
    """A table column of amounts in ``currency``: thousands separators, two decimals."""
    return st.column_config.NumberColumn(f"{label} ({currency})", format="%,.2f")


def percent_column(label: str) -> ColumnConfig:
    """A table column of percentages (25.0 shows as 25.0%); see :func:`as_percent`."""
    return st.column_config.NumberColumn(label, format="%.1f%%")


def as_percent(frame: pl.DataFrame, columns: tuple[str, ...] | list[str]) -> pl.DataFrame:
    """Ratio columns (0.25) as percentages (25.0) for the screen; CSV keeps the ratios.

    A column with gaps (no commitment, nothing to compare with) becomes text, "25.0%"
    or a dash, as a table would otherwise print "None".
    """
    present = [c for c in columns if c in frame.columns]
    frame = frame.with_columns(pl.col(present).cast(pl.Float64) * 100)
    gaps = [c for c in present if frame[c].null_count()]
    text = [
        pl.col(c).map_elements(lambda v: f"{v:,.1f}%", return_dtype=pl.String).fill_null("–")
        for c in gaps
    ]
    return frame.with_columns(text)


def word(column: str) -> str:
    """The header of a library field on screen ('monthly_savings' -> 'Monthly saving')."""
    if column.startswith("tag:"):
        return f"Tag {column[4:]}"
    return WORDS.get(column, column.replace("_", " ").capitalize())


def plain(text: object) -> str:
    """``text`` escaped for the places Streamlit renders Markdown: it shows as typed.

    Escapes stop Markdown and HTML; GitHub's autolinks (``http://…``, ``www.…``, an
    e-mail address) ignore escapes, so an invisible word joiner breaks them up.
    """
    unlinked = _AUTOLINK.sub(lambda m: m.group(0)[0] + WORD_JOINER + m.group(0)[1:], str(text))
    return _MARKDOWN.sub(r"\\\1", unlinked).replace("\n", " ")


def last_segment(resource_id: str | None) -> str:
    """The name at the end of an ARM id (what people call the resource)."""
    return (resource_id or "").rstrip("/").rsplit("/", 1)[-1]


SEVERAL_SUBSCRIPTIONS = "(several subscriptions)"


def subscription_name(value: str | None, names: dict[str, str]) -> str:
    """A subscription's name from its GUID or ``/subscriptions/GUID`` (the id when unknown)."""
    guid = last_segment(value).lower()
    return names.get(guid, value or "(none)")


def as_float(frame: pl.DataFrame, columns: tuple[str, ...] | list[str]) -> pl.DataFrame:
    """Decimal money columns as floats for the screen (CSV keeps the exact decimals)."""
    present = [c for c in columns if c in frame.columns]
    return frame.with_columns(pl.col(present).cast(pl.Float64))


def span_text(start: Any, end: Any) -> str:
    """An inclusive day range in words: '1 Nov to 24 Nov 2026'."""
    if start.year == end.year:
        return f"{start.day} {start:%b} to {end.day} {end:%b %Y}"
    return f"{start.day} {start:%b %Y} to {end.day} {end:%b %Y}"


def resource_labels(ids: list[str | None]) -> dict[str | None, str]:
    """A display name per resource id: its name, with its resource group when names repeat."""
    names = {rid: last_segment(rid) if rid else "(no resource)" for rid in ids}
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    for rid, name in names.items():
        if rid and counts[name] > 1:
            names[rid] = f"{name} ({_resource_group(rid)})"
    return names


def _resource_group(resource_id: str) -> str:
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    if "resourcegroups" in lowered:
        index = lowered.index("resourcegroups") + 1
        return parts[index] if index < len(parts) else "?"
    return "no group"
