"""Data page sections (admins): upload exports, rebuild the demo, data coverage, the import log."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from cloudoptima.ingest.importer import ImportResult
from cloudoptima.ui import data
from cloudoptima.ui.format import plain
from cloudoptima.ui.session import PageContext
from cloudoptima.ui.widgets import empty_state, table

KINDS = {
    "Detect from the content": None,
    "FOCUS cost export": "focus",
    "Actual cost export": "actual",
    "Amortized cost export": "amortized",
    "Inventory (Resource Graph)": "inventory",
    "Metrics (Azure Monitor)": "metrics",
    "Reservation recommendations": "reservation-recommendations",
}
LOG_WORDS = {
    "import_id": "Import",
    "status": "Status",
    "kind": "Kind",
    "format": "Format",
    "file": "File",
    "message": "Message",
    "error": "Error",
    "first_day": "From",
    "last_day": "To",
    "replaced": "Replaced",
    "overlapping": "Overlaps not resolved",
}
# What each dataset column of the coverage table means.
DATASETS = {
    "actual_through": "Actual cost",
    "amortized_through": "Amortized cost",
    "focus_through": "FOCUS cost",
    "inventory_through": "Inventory",
    "metrics_through": "Metrics",
}
LOG = (
    "import_id",
    "status",
    "kind",
    "format",
    "file",
    "rows",
    "message",
    "error",
    "first_day",
    "last_day",
    "replaced",
    "overlapping",
    "finished_at",
)


def save_uploads(files: Sequence[Any], folder: Path) -> list[Path]:
    """Write each upload under its own name (one subfolder each, so equal names never collide)."""
    paths = []
    for index, upload in enumerate(files):
        path = folder / str(index) / Path(upload.name).name
        path.parent.mkdir()
        path.write_bytes(upload.getvalue())
        paths.append(path)
    return paths


def show(results: list[ImportResult]) -> None:
    """One message per import: its outcome, as plain text."""
    for result in results:
        name = Path(result.file).name
        if result.status == "failed":
            st.error(plain(f"{name}: not imported. {result.error}"))
        elif result.status == "loaded":
            st.success(
                plain(
                    f"{name}: loaded {result.rows:,} rows as {result.kind} ({result.format}). "
                    f"{result.message}"
                )
            )
        else:
            st.info(plain(f"{name}: {result.status}. {result.message}"))
        if result.warning:
            st.warning(plain(f"{name}: {result.warning}"))


def upload(ctx: PageContext) -> None:
    """Upload export files and import them with a progress bar."""
    st.subheader("Upload exports")
    st.caption(
        "Cost exports (FOCUS, actual, amortized), Resource Graph inventory and Azure Monitor metrics as "
        "CSV, JSON, Parquet or gzip. The kind is detected from the content; a file imported before is "
        "skipped. Very large exports load faster with `cloudoptima ingest`."
    )
    files = st.file_uploader("Export files", accept_multiple_files=True, key="data_files")
    left, right = st.columns(2)
    kind = left.selectbox(
        "Kind",
        list(KINDS),
        key="data_kind",
        help="Override only when detection picks the wrong kind.",
    )
    currency = right.text_input(
        "Billing currency",
        key="data_currency",
        max_chars=3,
        placeholder="USD",
        help="Only for cost exports without a currency column.",
    )
    if not st.button("Import", type="primary", disabled=not files, key="data_import"):
        return
    bar = st.progress(0.0, text="Starting the import…")

    def progress(index: int, total: int, path: Path) -> None:
        text = f"Importing {path.name} ({index + 1} of {total})" if index < total else "Done"
        bar.progress(index / total if total else 1.0, text=text)

    with tempfile.TemporaryDirectory(prefix="cloudoptima-upload-") as folder:
        paths = save_uploads(files or [], Path(folder))
        results = ctx.ws.ingest(
            paths, kind=KINDS[str(kind)], currency=currency.strip() or None, progress=progress
        )
    show(results)


def import_log(log: pl.DataFrame) -> None:
    """The import log, with failed imports on their own when asked."""
    st.subheader("Import log")
    if log.is_empty():
        empty_state(
            "Nothing imported yet. Upload exports above, or rebuild the demo data to try CloudOptima "
            "with a synthetic estate."
        )
        return
    failed = log.filter(pl.col("status") == "failed")
    if failed.height:
        st.warning(
            f"{failed.height} import(s) failed; the error column says why. Fix the file and upload it again."
        )
    only_failed = st.toggle(
        "Only failed imports", key="data_only_failed", disabled=not failed.height
    )
    table(
        (failed if only_failed else log).select(LOG),
        labels=LOG_WORDS,
        config={
            "first_day": st.column_config.DateColumn("From", format="D MMM YYYY"),
            "last_day": st.column_config.DateColumn("To", format="D MMM YYYY"),
            "finished_at": st.column_config.DatetimeColumn(
                "Finished (UTC)", format="D MMM YYYY, HH:mm"
            ),
            "rows": st.column_config.NumberColumn("Rows", format="%,d"),
        },
        key="data_log",
    )


def demo(ctx: PageContext, log: pl.DataFrame) -> None:
    """Rebuild the demo estate (with a confirmation when the workspace holds real exports)."""
    st.subheader("Demo data")
    is_demo = log.is_empty() or bool(log["file"].str.contains("demo-source").any())
    st.caption(
        "Rebuilding generates the synthetic Contoso estate (costs, inventory and metrics up to today) and "
        "imports it like uploaded files; files imported before are skipped. It is meant for a demo workspace."
    )
    confirmed = True
    if not is_demo:
        st.warning(
            "This workspace holds your own exports: the demo would mix synthetic costs into them."
        )
        confirmed = st.checkbox("Add the demo estate anyway", key="data_demo_confirm")
    if st.button("Rebuild demo data", disabled=not confirmed, key="data_rebuild_demo"):
        with st.spinner("Generating and importing the demo estate…"):
            results = ctx.ws.build_demo()
        counts = {s: sum(r.status == s for r in results) for s in ("loaded", "skipped", "failed")}
        st.success("Demo data rebuilt: " + ", ".join(f"{n} {s}" for s, n in counts.items()) + ".")
        show([r for r in results if r.status == "failed"])


def coverage(ctx: PageContext) -> None:
    """Per month and subscription, which datasets are present and through which day."""
    st.subheader("Data coverage")
    frame = data.data_coverage(ctx.ws)
    if frame.is_empty():
        empty_state("No data yet: coverage shows once exports are imported.")
        return
    st.caption(
        "Each cell is the last day of that month the dataset holds for the subscription; a "
        "dash is a gap. FOCUS exports carry both billed and amortized cost, so a month "
        "with FOCUS cost needs neither of the other two. Cost days count the days with any "
        "cost row."
    )
    latest = frame["month"].max()
    gaps = frame.filter(pl.col("month") < latest, pl.col("cost_days") < pl.col("month_days"))
    if gaps.height:
        st.warning(
            f"{gaps.height} month(s) of a subscription before the latest month have cost on fewer "
            "days than the month has: import the missing exports."
        )
    days = pl.format("{} of {}", "cost_days", "month_days").alias("cost_days")
    through = [pl.col(c).dt.strftime("%-d %b").fill_null("—") for c in DATASETS]
    table(
        frame.with_columns(days, *through).drop("subscription_id", "month_days"),
        labels={"subscription": "Subscription", "cost_days": "Cost days"},
        config={
            "month": st.column_config.DateColumn("Month", format="MMM YYYY"),
            **{column: st.column_config.TextColumn(label) for column, label in DATASETS.items()},
            "last_import": st.column_config.DatetimeColumn(
                "Latest import (UTC)", format="D MMM YYYY, HH:mm"
            ),
        },
        key="data_coverage",
    )


def render(ctx: PageContext) -> None:
    """The whole data page for the page's workspace."""
    upload(ctx)
    demo(ctx, data.imports(ctx.ws))
    coverage(ctx)  # after the demo: a rebuild above changes the data version
    import_log(data.imports(ctx.ws))
