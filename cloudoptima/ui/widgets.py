"""Small widgets the pages share: error guard, empty states, the currency picker, tables."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import polars as pl
import streamlit as st

from cloudoptima.errors import CloudOptimaError
from cloudoptima.spreadsheet import to_csv
from cloudoptima.ui.format import as_float, as_percent, money_column, percent_column, plain, word


def guarded(render: Callable[[], None]) -> None:
    """Run a page body; user errors become a plain st.error, never a traceback."""
    try:
        render()
    except CloudOptimaError as exc:  # messages may quote a file name or a value: keep it text
        st.error(plain(str(exc)))


def empty_state(message: str) -> None:
    """Tell the user what to do next when there is nothing to show."""
    st.info(message)


def pick_currency(options: list[str], key: str) -> str:
    """One billing currency to show (amounts are never added across currencies).

    ``options`` come largest first; a picker appears only when there are several.
    """
    if len(options) == 1:
        return options[0]
    picked = st.segmented_control("Billing currency", options, default=options[0], key=key)
    return str(picked or options[0])


def table(
    frame: pl.DataFrame,
    *,
    currency: str | None = None,
    money: Iterable[str] = (),
    percent: Iterable[str] = (),
    labels: dict[str, str] | None = None,
    config: dict[str, Any] | None = None,
    **options: Any,
) -> Any:
    """A dataframe with headers in words, money in ``currency`` and ratios as percentages.

    ``labels`` overrides a header; ``config`` adds column configurations (they win).
    """
    money, percent, labels = tuple(money), tuple(percent), labels or {}
    columns: dict[str, Any] = {c: labels.get(c, word(c)) for c in frame.columns}
    for column in money:
        columns[column] = money_column(labels.get(column, word(column)), currency or "-")
    for column in percent:
        label = labels.get(column, word(column))
        has_gaps = column in frame.columns and frame[column].null_count() > 0
        columns[column] = label if has_gaps else percent_column(label)
    columns.update(config or {})
    options.setdefault("hide_index", True)
    options.setdefault("width", "stretch")
    shown = as_percent(as_float(frame, money), percent)
    return st.dataframe(shown, column_config=columns, **options)


def csv_download(frame: pl.DataFrame, name: str, key: str, currency: str | None = None) -> None:
    """A CSV of ``frame`` at full precision, with its billing currency as a column."""
    if currency is not None and "BillingCurrency" not in frame.columns:
        frame = frame.with_columns(BillingCurrency=pl.lit(currency))
    st.download_button(
        "Download CSV",
        to_csv(frame),
        file_name=name,
        mime="text/csv",
        icon=":material/download:",
        key=key,
    )
