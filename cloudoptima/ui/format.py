"""How figures read on screen: money with its currency, dates, names instead of ids."""

from __future__ import annotations

from decimal import Decimal

import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

Number = float | int | Decimal | None


def money(value: Number, currency: str) -> str:
    """A money amount in its billing currency: 'USD 1,234.56' (two decimals, separators)."""
    return f"{currency} {float(value or 0):,.2f}"


def money_column(label: str, currency: str) -> ColumnConfig:
    """A table column of amounts in ``currency``: thousands separators, two decimals."""
    return st.column_config.NumberColumn(f"{label} ({currency})", format="%,.2f")


def last_segment(resource_id: str | None) -> str:
    """The name at the end of an ARM id (what people call the resource)."""
    return (resource_id or "").rstrip("/").rsplit("/", 1)[-1]
