"""Reports: pick a period, currency and sections, generate the PDF, preview and download it."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import streamlit as st

from cloudoptima.report import BUILTIN_TITLES, section_ids
from cloudoptima.report.builder import Report
from cloudoptima.report.figures import KeyFigures, default_period
from cloudoptima.report.formats import money, percent
from cloudoptima.report.preview import first_page_png
from cloudoptima.ui import data
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import empty_state

ALL_CURRENCIES = "All currencies"
RESULT_KEY = "reports_result"


@dataclass(frozen=True)
class Generated:
    """A generated report kept for this session: the file, its first page, its figures."""

    org: str
    data_version: int
    name: str
    pdf: bytes
    preview: bytes
    pages: int
    figures: dict[str, KeyFigures]


def render(ctx: PageContext) -> None:
    """The whole Reports page for the page's workspace."""
    span = data.date_range(ctx.ws)
    if span is None:
        empty_state(
            "No cost data yet, so there is nothing to report. An admin uploads exports on the Data page."
        )
        return
    first, last = span
    period = default_period(first, last)
    picked = st.date_input(
        "Period", (period.start, period.end), min_value=first, max_value=last, key="reports_period"
    )
    currency = pick_currency(data.currencies(ctx.ws))
    sections = st.multiselect(
        "Sections",
        section_ids(),
        default=section_ids(),
        format_func=lambda s: BUILTIN_TITLES.get(s, s),
        key="reports_sections",
    )
    paper = st.segmented_control("Paper", ["A4", "Letter"], default="A4", key="reports_paper")
    st.caption(f"Cost data covers {first} to {last}; each billing currency gets its own pages.")
    days = _days(picked)
    ready = days is not None and bool(sections)
    if days is None:
        st.warning("Pick the first and the last day of the period.")
    if st.button(
        "Generate PDF",
        type="primary",
        disabled=not ready,
        icon=":material/picture_as_pdf:",
        key="reports_generate",
    ):
        assert days is not None
        generate(ctx, days, currency, sections, str(paper or "A4"))
    show(ctx)


def pick_currency(options: list[str]) -> str | None:
    """One billing currency, or None for a set of pages per currency."""
    if len(options) < 2:
        return None
    picked = st.selectbox("Billing currency", [ALL_CURRENCIES, *options], key="reports_currency")
    return None if picked in (None, ALL_CURRENCIES) else str(picked)


def _days(picked: object) -> tuple[date, date] | None:
    if isinstance(picked, tuple | list) and len(picked) == 2:
        start, end = picked
        if isinstance(start, date) and isinstance(end, date):
            return start, end
    return None


def generate(
    ctx: PageContext, days: tuple[date, date], currency: str | None, sections: list[str], paper: str
) -> None:
    """Draw the report with a progress bar and keep it in the session."""
    bar = st.progress(0.0, text="Reading the figures…")

    def tell(done: int, total: int, what: str) -> None:
        bar.progress(min(done / total, 1.0), text=f"Drawn: {what}")

    name = f"cloudoptima-{ctx.org}-{days[0]}-{days[1]}.pdf"
    with tempfile.TemporaryDirectory() as folder:
        written = ctx.ws.report(
            Path(folder) / name,
            start=days[0],
            end=days[1],
            sections=sections,
            currency=currency,
            paper=paper,
            organisation=ctx.org_name,
            progress=tell,
        )
        pdf = written.path.read_bytes()
    bar.empty()
    st.session_state[RESULT_KEY] = _kept(ctx, name, pdf, written)


def _kept(ctx: PageContext, name: str, pdf: bytes, written: Report) -> Generated:
    return Generated(
        ctx.org, ctx.ws.data_version, name, pdf, first_page_png(pdf), written.pages, written.figures
    )


def show(ctx: PageContext) -> None:
    """The last report generated here for this organisation and data: figures, download, page 1."""
    kept = st.session_state.get(RESULT_KEY)
    if not isinstance(kept, Generated) or kept.org != ctx.org:
        return
    if kept.data_version != ctx.ws.data_version:
        st.info("New data was imported since this report was generated: generate it again.")
    st.download_button(
        "Download PDF",
        kept.pdf,
        file_name=kept.name,
        mime="application/pdf",
        icon=":material/download:",
        on_click="ignore",
        key="reports_download",
    )
    preview, figures = st.columns([3, 2])
    with preview.container(border=True):
        st.image(kept.preview, caption=f"Page 1 of {kept.pages}", width="stretch")
    with figures:
        for currency, key in kept.figures.items():
            key_figures(currency, key)


def key_figures(currency: str, f: KeyFigures) -> None:
    """The report's key figures of one currency, as the PDF prints them."""
    st.caption(f"Key figures in {currency}, as the report prints them")
    with st.container():
        st.metric(
            f"Spend, {f.period.label}",
            money(f.spend, currency),
            delta=f"{money(f.change, currency)} ({percent(f.change_pct, signed=True)})",
            delta_color="inverse",
            border=True,
        )
        if f.month_end is not None:
            st.metric(
                f"Forecast, {f.month_end.month:%B %Y}",
                money(f.month_end.projected, currency),
                border=True,
            )
        st.metric("Open potential savings", money(f.open_savings, currency) + " /mo", border=True)
        st.metric("Realized savings", money(f.realized_savings, currency) + " /mo", border=True)
