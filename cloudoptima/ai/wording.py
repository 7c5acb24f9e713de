"""The offline engine's sentences: every figure in them is read from the query's rows."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl

from cloudoptima.ai.dates import Period
from cloudoptima.ai.intents import Query

MAX_NAMED = 3  # rows named in a sentence; the table holds the rest


def money(value: Any, currency: str) -> str:
    """'USD 1,234.56'."""
    return f"{currency} {float(value or 0):,.2f}"


def signed(value: Any, currency: str) -> str:
    """'+USD 12.00' or '-USD 3.50'."""
    number = float(value or 0)
    return f"{'+' if number >= 0 else '-'}{currency} {abs(number):,.2f}"


def _scope(query: Query) -> str:
    if not query.filters:
        return ""
    return " for " + " and ".join(f.label for f in query.filters)


def _metric(query: Query) -> str:
    return "billed cost" if query.metric == "billed_cost" else "effective cost (amortised)"


def _words(label: str) -> str:
    return label.replace("_", " ")


def _partial(period: Period) -> str:
    whole_month = period.unit == "month" and (period.end + timedelta(days=1)).day != 1
    return f" ({period.label} has data to {period.end} only)" if whole_month else ""


def _currencies(frame: pl.DataFrame) -> list[tuple[str, pl.DataFrame]]:
    return [
        (str(c), frame.filter(pl.col("billing_currency") == c))
        for c in frame["billing_currency"].unique(maintain_order=True)
    ]


def _never_added(frame: pl.DataFrame) -> str:
    several = (
        frame["billing_currency"].n_unique() > 1 if "billing_currency" in frame.columns else False
    )
    return (
        " Amounts in different billing currencies are shown apart, never added." if several else ""
    )


def total(frame: pl.DataFrame, query: Query, period: Period) -> str:
    """'We spent USD 1,234.56 for service X in October 2026 (…)'."""
    if frame.is_empty():
        return f"No cost rows matched{_scope(query)} in {period.describe()}."
    amounts = " and ".join(
        money(r["cost"], r["billing_currency"]) for r in frame.iter_rows(named=True)
    )
    return (
        f"We spent {amounts}{_scope(query)} in {period.describe()}, {_metric(query)}."
        f"{_never_added(frame)}"
    )


def top(frame: pl.DataFrame, query: Query, period: Period, label: str) -> str:
    """The most expensive values of a dimension, the first few named."""
    if frame.is_empty():
        return f"No cost rows matched{_scope(query)} in {period.describe()}."
    parts = []
    for currency, rows in _currencies(frame):
        named = [
            f"{r[label]} ({money(r['cost'], currency)})"
            for r in rows.head(MAX_NAMED).iter_rows(named=True)
        ]
        parts.append(
            f"By {_words(label)}{_scope(query)} in {period.describe()}, the most expensive "
            f"{'were' if len(named) > 1 else 'was'} {', '.join(named)}; "
            f"the table lists the top {rows.height} by {_metric(query)}."
        )
    return " ".join(parts) + _never_added(frame)


def trend(frame: pl.DataFrame, query: Query, period: Period) -> str:
    """The sum, highest and lowest of a series over its period."""
    if frame.is_empty():
        return f"No cost rows matched{_scope(query)} in {period.describe()}."
    grain = query.grain
    parts = []
    for currency, rows in _currencies(frame):
        high = rows.sort("cost", descending=True).row(0, named=True)
        low = rows.sort("cost").row(0, named=True)
        latest = rows.row(rows.height - 1, named=True)
        parts.append(
            f"Cost per {grain}{_scope(query)} over {period.describe()}: "
            "highest "
            f"{money(high['cost'], currency)} ({high[grain]}), lowest {money(low['cost'], currency)} "
            f"({low[grain]}), latest {money(latest['cost'], currency)} ({latest[grain]}); {_metric(query)}."
        )
    return " ".join(parts) + _never_added(frame)


def compare(
    frame: pl.DataFrame, query: Query, first: Period, second: Period, label: str | None
) -> str:
    """Two periods side by side, with the largest rise and fall when split by a dimension."""
    if frame.is_empty():
        return f"No cost rows matched{_scope(query)} in {first.describe()} or {second.describe()}."
    a, b = first.label, second.label
    parts = []
    for currency, rows in _currencies(frame):
        total_a, total_b = rows[a].sum(), rows[b].sum()
        sentence = (
            f"{a}: {money(total_a, currency)}; {b}: {money(total_b, currency)}; change "
            f"{signed(float(total_b or 0) - float(total_a or 0), currency)}{_scope(query)}."
        )
        if label and rows.height > 1:
            rise = rows.sort("change", descending=True).row(0, named=True)
            fall = rows.sort("change").row(0, named=True)
            if float(rise["change"]) > 0:
                sentence += f" Largest rise: {rise[label]} ({signed(rise['change'], currency)})."
            if float(fall["change"]) < 0:
                sentence += f" Largest fall: {fall[label]} ({signed(fall['change'], currency)})."
        parts.append(sentence)
    periods = f" Compared: {first.describe()} and {second.describe()}{_partial(second)}."
    return " ".join(parts) + periods + f" Amounts are {_metric(query)}." + _never_added(frame)


def increase(frame: pl.DataFrame, query: Query, now: Period, before: Period, label: str) -> str:
    """The largest increases of a dimension between two periods."""
    compared = f"{now.describe()} against {before.describe()}"
    if frame.is_empty():
        return f"No {_words(label)} cost more in {compared}{_scope(query)}."
    parts = []
    for currency, rows in _currencies(frame):
        named = [
            f"{r[label]} {signed(r['increase'], currency)} ({money(r['before'], currency)} to {money(r['now'], currency)})"
            for r in rows.head(MAX_NAMED).iter_rows(named=True)
        ]
        parts.append(
            f"Biggest increases by {_words(label)}{_scope(query)}, {compared}: {'; '.join(named)}."
        )
    return " ".join(parts) + f" Amounts are {_metric(query)}." + _never_added(frame)


def untagged(frame: pl.DataFrame, query: Query, period: Period, label: str | None) -> str:
    """Spend without tags (or without one tag), against the total."""
    what = f"without a {query.missing_tag} tag" if query.missing_tag else "without any tag"
    if frame.is_empty():
        return f"No cost rows matched{_scope(query)} in {period.describe()}."
    parts = []
    for currency, rows in _currencies(frame):
        if label:
            worst = rows.row(0, named=True)
            parts.append(
                f"Spend {what}{_scope(query)} in {period.describe()}: {money(rows['untagged_cost'].sum(), currency)} "
                f"of {money(rows['total_cost'].sum(), currency)}; the most is in {worst[label]} "
                f"({money(worst['untagged_cost'], currency)})."
            )
        else:
            row = rows.row(0, named=True)
            share = f" ({row['untagged_pct']}%)" if row["untagged_pct"] is not None else ""
            parts.append(
                f"Spend {what}{_scope(query)} in {period.describe()}: {money(row['untagged_cost'], currency)} "
                f"of {money(row['total_cost'], currency)}{share}."
            )
    return " ".join(parts) + f" Amounts are {_metric(query)}." + _never_added(frame)


def finding_list(frame: pl.DataFrame, query: Query) -> str:
    """Open findings one by one, biggest savings first."""
    what = (query.rule or "recommendation").replace("_", " ")
    if frame.is_empty():
        return f"There are no open {what} findings{_scope(query)}."
    parts = []
    for currency, rows in _currencies(frame):
        named = [
            f"{r['resource_name']} in {r['resource_group']} ({money(r['monthly_savings'], currency)} a month)"
            for r in rows.head(MAX_NAMED).iter_rows(named=True)
        ]
        parts.append(
            f"{rows.height} open {what} finding{'s' if rows.height != 1 else ''}{_scope(query)} could save "
            f"{money(rows['monthly_savings'].sum(), currency)} a month: {'; '.join(named)}."
        )
    return " ".join(parts) + _never_added(frame)


def savings(frame: pl.DataFrame, query: Query) -> str:
    """Open savings in total and by rule."""
    if frame.is_empty():
        return f"There are no open recommendations with savings{_scope(query)}."
    parts = []
    for currency, rows in _currencies(frame):
        named = [
            f"{r['rule'].replace('_', ' ')} {money(r['monthly_savings'], currency)}"
            for r in rows.head(MAX_NAMED).iter_rows(named=True)
        ]
        parts.append(
            f"Open recommendations{_scope(query)} could save {money(rows['monthly_savings'].sum(), currency)} "
            f"a month ({rows['findings'].sum()} findings). The largest: {', '.join(named)}."
        )
    return (
        " ".join(parts)
        + " Savings come from each resource's real cost over the last 30 days."
        + _never_added(frame)
    )


def month_end(frame: pl.DataFrame, last_day: date, notes: list[str]) -> str:
    """The projection of the month holding the last cost day."""
    if frame.is_empty():
        return "There is not enough cost history to forecast this month."
    parts = []
    for row in frame.iter_rows(named=True):
        currency = row["billing_currency"]
        month = row["month"].strftime("%B %Y")
        parts.append(
            f"We are on course to spend {money(row['projected'], currency)} in {month}: "
            f"{money(row['actual_to_date'], currency)} spent to {last_day} and "
            f"{money(row['forecast_rest'], currency)} forecast for the remaining {row['days_remaining']} days "
            f"(80% range {money(row['lower_80'], currency)} to {money(row['upper_80'], currency)})."
        )
    return " ".join([*parts, *notes]) + " Forecast by Prophet from the daily effective cost."


def next_month(frame: pl.DataFrame, start: date, notes: list[str]) -> str:
    """The sum of next month's daily forecasts."""
    if frame.is_empty():
        return "The forecast does not reach next month."
    parts = [
        f"We forecast {money(r['forecast'], r['billing_currency'])} for {start.strftime('%B %Y')}, the sum of {r['days']} daily forecasts."
        for r in frame.iter_rows(named=True)
    ]
    return " ".join([*parts, *notes]) + " Forecast by Prophet from the daily effective cost."


def count(frame: pl.DataFrame, split: str, resource_type: str | None) -> str:
    """How many resources of a type the inventory holds, split by state or type."""
    what = _TYPE_WORDS.get(resource_type or "", "resources")
    if frame.is_empty():
        return f"The inventory holds no {what}."
    named = [f"{r[split]} {r['resources']}" for r in frame.head(6).iter_rows(named=True)]
    return f"The inventory holds {frame['resources'].sum()} {what}: {', '.join(named)}."


_TYPE_WORDS = {
    "microsoft.compute/virtualmachines": "virtual machines",
    "microsoft.compute/disks": "managed disks",
    "microsoft.storage/storageaccounts": "storage accounts",
    "microsoft.sql/servers/databases": "SQL databases",
    "microsoft.compute/snapshots": "snapshots",
    "microsoft.network/publicipaddresses": "public IP addresses",
}
