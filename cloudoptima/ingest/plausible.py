"""Values that load but would break the workspace later are refused at import.

A cost of 1e27 fits DECIMAL(38, 10) but makes every sum overflow; a charge dated in
the year 9999 makes date arithmetic fail in findings, anomalies and forecasts; ``US$``
would become a billing currency of its own. After a cost export is stored (in the
import's own transaction), one aggregate scan of its rows checks them; the first value
out of bounds is then looked up in the file's text, so the error names its row, line
and column as every other bad value does.

The bounds: billing currencies are ISO 4217 codes; charge and billing period dates fall
between 2000-01-01 and about four months after today; amounts stay below 10**15 in
absolute value (a trillion in the billing currency, more than any real charge even in
Indonesian rupiah or Vietnamese dong, and far from what a sum of billions of rows could
overflow); quantities are finite numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from cloudoptima.errors import IngestError
from cloudoptima.ingest.detect import Detected
from cloudoptima.ingest.source import Source, locate_value
from cloudoptima.ingest.sqltypes import try_timestamp
from cloudoptima.reference.currencies import ISO_4217
from cloudoptima.storage.schema import COST_COLUMNS, MONEY, QUANTITY
from cloudoptima.storage.sql import quote_ident

FIRST_PLAUSIBLE_DAY = date(2000, 1, 1)
FUTURE_DAYS = 123  # about four months: a month-to-date export runs ahead by a month at most
MONEY_LIMIT = Decimal(10) ** 15
PERIOD_COLUMNS = ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd")
_MONEY = tuple(c for c, t in COST_COLUMNS.items() if t == MONEY)
_QUANTITIES = tuple(c for c, t in COST_COLUMNS.items() if t == QUANTITY)

RawColumns = dict[str, tuple[str, str]]  # workspace column -> (ref in the text source, header)


@dataclass(frozen=True)
class Bounds:
    """The window of plausible dates, from the day of the import."""

    first: date
    last: date

    def last_for(self, column: str) -> date:
        """The last plausible day of ``column``: an end may run a month past a start."""
        return self.last + timedelta(days=31) if column.endswith("End") else self.last

    @classmethod
    def today(cls) -> Bounds:
        today = datetime.now(UTC).date()
        return cls(FIRST_PLAUSIBLE_DAY, today + timedelta(days=FUTURE_DAYS))


def check_plausible(
    con: duckdb.DuckDBPyConnection,
    detected: Detected,
    import_id: int,
    src: Source,
    raw: RawColumns,
    bounds: Bounds | None = None,
) -> None:
    """Refuse the import if a stored row holds a value out of bounds, naming the first."""
    bounds = bounds or Bounds.today()
    found = _aggregates(con, import_id)
    refuse = _Refusal(con, detected, src, raw)
    bad = sorted(c for c in found["currencies"] or () if c is not None and c not in ISO_4217)
    if bad:
        refuse.currency(bad[0])
    for column in PERIOD_COLUMNS:
        low, high = found[f"min {column}"], found[f"max {column}"]
        last = bounds.last_for(column)
        if low is not None and (low.date() < bounds.first or high.date() > last):
            refuse.date(column, bounds.first, last)
    for column in _MONEY:
        largest = found[f"max {column}"]
        if largest is not None and largest >= MONEY_LIMIT:
            refuse.money(column)
    for column in _QUANTITIES:
        if found[f"infinite {column}"]:
            refuse.infinite(column)


def _aggregates(con: duckdb.DuckDBPyConnection, import_id: int) -> dict[str, Any]:
    parts = {"currencies": "list(DISTINCT BillingCurrency)"}
    for column in PERIOD_COLUMNS:
        parts[f"min {column}"] = f"min({quote_ident(column)})"
        parts[f"max {column}"] = f"max({quote_ident(column)})"
    for column in _MONEY:
        parts[f"max {column}"] = f"max(abs({quote_ident(column)}))"
    for column in _QUANTITIES:
        parts[f"infinite {column}"] = f"bool_or(NOT isfinite({quote_ident(column)}))"
    select = ", ".join(f"{expr} AS {quote_ident(name)}" for name, expr in parts.items())
    cursor = con.execute(f"SELECT {select} FROM costs WHERE _import_id = ?", [import_id])
    row = cursor.fetchone()
    assert row is not None
    return dict(zip(parts, row, strict=True))


class _Refusal:
    """Finds the first raw cell behind a stored value out of bounds and raises for it."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, detected: Detected, src: Source, raw: RawColumns
    ) -> None:
        self.con, self.detected, self.src, self.raw = con, detected, src, raw

    def currency(self, stored: str) -> None:
        def wrong(ref: str) -> str:
            return f"upper(trim({ref})) = $stored"

        self._raise(
            "BillingCurrency",
            wrong,
            lambda value: f"'{value}' is not an ISO 4217 currency code (such as USD or EUR)",
            f"'{stored}' is not an ISO 4217 currency code (such as USD or EUR)",
            {"stored": stored},
        )

    def date(self, column: str, first: date, last: date) -> None:
        what = "charge" if column.startswith("Charge") else "billing period"
        reason = f"cost data must fall between {first} and {last}"

        def wrong(ref: str) -> str:
            parsed = try_timestamp(ref)
            return f"({parsed} < $first OR {parsed} >= $after)"

        self._raise(
            column,
            wrong,
            lambda value: f"'{value}' is not a plausible {what} date: {reason}",
            f"a {what} date is out of range: {reason}",
            {"first": first, "after": last + timedelta(days=1)},
        )

    def money(self, column: str) -> None:
        limit = f"{MONEY_LIMIT:,.0f}"

        def wrong(ref: str) -> str:
            return f"abs(TRY_CAST({ref} AS DOUBLE)) >= {MONEY_LIMIT:.0f}"

        self._raise(
            column,
            wrong,
            lambda value: f"'{value}' is beyond any plausible amount ({limit} or more)",
            f"an amount is beyond any plausible amount ({limit} or more)",
            {},
        )

    def infinite(self, column: str) -> None:
        def wrong(ref: str) -> str:
            return f"NOT isfinite(TRY_CAST({ref} AS DOUBLE))"

        self._raise(
            column,
            wrong,
            lambda value: f"'{value}' is not a finite number",
            "a value is not a finite number",
            {},
        )

    def _raise(
        self,
        column: str,
        wrong: Callable[[str], str],
        sentence: Callable[[str], str],
        unlocated: str,
        params: dict[str, object],
    ) -> None:
        path = self.detected.path
        if column not in self.raw:
            raise IngestError(path, unlocated, column=column)
        ref, header = self.raw[column]
        sql = f"SELECT {ref} FROM {self.src.sql} WHERE {wrong(ref)} LIMIT 1"
        found = self.con.execute(sql, params).fetchone()
        if found is None or found[0] is None:
            raise IngestError(path, unlocated, column=header)
        value = str(found[0])
        try:
            row, line = locate_value(self.detected, header, value)
        except LookupError:
            row, line = None, None
        raise IngestError(path, sentence(value), row=row, line=line, column=header)
