"""Reports: choose a period and sections; PDF generation arrives with the report issue."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from pages._ui import empty_state, guarded, page_context, query

ctx = page_context("analyse")
st.title(f"Reports · {ctx.org_name}")
SECTIONS = ("Executive summary", "Cost trend and forecast", "Top services and subscriptions",
            "Recommendations and realized savings", "Anomalies", "Tag coverage and showback")  # fmt: skip
NOT_YET = (
    "PDF reports are not available yet: PDF generation arrives with the report issue. "
    "Choose the period and sections now; no report is generated until then."
)


def default_period(first: date, last: date) -> tuple[date, date]:
    """The last full month of data, else all of it."""
    end = last.replace(day=1) - timedelta(days=1)
    return (max(end.replace(day=1), first), end) if end >= first else (first, last)


def render() -> None:
    st.info(NOT_YET, icon=":material/construction:")
    totals = query(ctx.ws, "totals")
    if totals.is_empty():
        empty_state("No cost data yet, so there is nothing to report. An admin uploads exports on the Data page.")  # fmt: skip
        return
    first, last = totals["first_day"].min(), totals["last_day"].max()
    st.date_input("Period", default_period(first, last), min_value=first, max_value=last, key="reports_period")  # fmt: skip
    st.multiselect("Sections", SECTIONS, default=SECTIONS, key="reports_sections")
    st.caption(f"Cost data covers {first} to {last}; each billing currency gets its own figures.")
    st.button("Generate PDF", type="primary", disabled=True, icon=":material/picture_as_pdf:", key="reports_generate")  # fmt: skip
    st.caption("Disabled until PDF generation lands with the report issue.")


guarded(render)
