"""How figures read in the report: money with its currency, changes, shares, dates.

The same shapes as the app (``USD 1,234.56``: ISO code, thousands separators, two
decimals), so a figure can be found on a page and in the PDF by the same text.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

Number = float | int | Decimal | None


def money(value: Number, currency: str) -> str:
    """'USD 1,234.56'; negative amounts as 'USD -1,234.56'."""
    return f"{currency} {float(value or 0):,.2f}"


def amount(value: Number) -> str:
    """'1,234.56': a table cell whose column names the currency."""
    return f"{float(value or 0):,.2f}"


def signed_money(value: Number, currency: str) -> str:
    """'+USD 1,234.56' or '-USD 1,234.56': a change."""
    number = float(value or 0)
    return f"{'+' if number >= 0 else '-'}{currency} {abs(number):,.2f}"


def percent(value: float | None, *, signed: bool = False, digits: int = 1) -> str:
    """'12.3%' (or '+12.3%'); an en dash when there is no value."""
    if value is None:
        return "–"
    return f"{value:+.{digits}f}%" if signed else f"{value:.{digits}f}%"


def share(value: float | None) -> str:
    """A fraction 0..1 as a percentage: '6.7%'."""
    return percent(None if value is None else 100 * value)


def day(value: date | datetime | None) -> str:
    """'2026-11-24' (ISO: the same in every country a finance team sits in)."""
    if value is None:
        return "–"
    return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()


def moment(value: datetime | None) -> str:
    """'2026-11-30 21:35 UTC'."""
    return "–" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"
