"""Reports: the period and sections of a report (PDF export is not in this version)."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from cloudoptima.ui import data
from cloudoptima.ui.session import page_context
from cloudoptima.ui.widgets import empty_state

ctx = page_context("analyse")
st.title(f"Reports · {ctx.org_name}")
SECTIONS = (
    "Executive summary",
    "Cost trend and forecast",
    "Top services and subscriptions",
    "Recommendations and realized savings",
    "Anomalies",
    "Tag coverage and showback",
)


def default_period(first: date, last: date) -> tuple[date, date]:
    """The last full month of data, else all of it."""
    end = last.replace(day=1) - timedelta(days=1)
    return (max(end.replace(day=1), first), end) if end >= first else (first, last)


st.info(
    "PDF export is not available in this version; nothing is generated here yet.",
    icon=":material/info:",
)
span = data.date_range(ctx.ws)
if span is None:
    empty_state(
        "No cost data yet, so there is nothing to report. An admin uploads exports on the Data page."
    )
else:
    first, last = span
    st.date_input(
        "Period", default_period(first, last), min_value=first, max_value=last, key="reports_period"
    )
    st.multiselect("Sections", SECTIONS, default=SECTIONS, key="reports_sections")
    st.caption(f"Cost data covers {first} to {last}; each billing currency gets its own figures.")
    st.button(
        "Generate PDF",
        type="primary",
        disabled=True,
        icon=":material/picture_as_pdf:",
        key="reports_generate",
    )
