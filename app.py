"""CloudOptima web app (stub): the workspace totals on the demo or your own data.

The full app with login, organisations and pages comes with its own issue; this
page only proves the library end to end. Run: ``streamlit run app.py``.
"""

from __future__ import annotations

import streamlit as st

from cloudoptima import CloudOptimaError, Workspace
from cloudoptima.settings import workspace_path

st.set_page_config(page_title="CloudOptima", layout="wide")


@st.cache_resource
def open_workspace(path: str) -> Workspace:
    """Open the workspace at ``path``; build the demo estate on first start."""
    ws = Workspace.open(path)
    if ws.is_empty():
        with st.spinner("Building the demo estate (first start only)..."):
            ws.build_demo()
    return ws


st.title("CloudOptima")
try:
    workspace = open_workspace(str(workspace_path()))
    totals = workspace.totals()
except CloudOptimaError as exc:
    st.error(f"The workspace could not be opened: {exc}")
    st.stop()

if totals.is_empty():
    st.info(
        "No cost data yet. Import exports with `cloudoptima ingest PATH` or run `cloudoptima demo`."
    )
    st.stop()

st.caption(f"Workspace `{workspace.root}` · data version {workspace.data_version}")
for row in totals.iter_rows(named=True):
    currency = row["BillingCurrency"]
    with st.container(horizontal=True):
        st.metric(f"Billed cost ({currency})", f"{row['BilledCost'] or 0:,.2f}", border=True)
        st.metric(f"Effective cost ({currency})", f"{row['EffectiveCost'] or 0:,.2f}", border=True)
        st.metric("Cost rows", f"{row['rows']:,}", border=True)
        st.metric("Resources with cost", f"{row['resources']:,}", border=True)
    st.caption(f"{currency}: {row['first_day']} to {row['last_day']}")
st.subheader("Cost by service")
st.dataframe(workspace.costs("ServiceName"), hide_index=True)
