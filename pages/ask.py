"""Ask: questions about costs in plain language."""

from __future__ import annotations

import streamlit as st

from cloudoptima.ui.session import page_context

ctx = page_context("analyse")
st.title(f"Ask · {ctx.org_name}")
with st.chat_message("assistant"):
    st.info(
        "Asking questions in plain language is not available in this version. The Cost explorer, "
        "Recommendations, Anomalies and Forecast pages answer the usual questions, and "
        "`cloudoptima costs --by ServiceName` does the same on the command line.",
        icon=":material/info:",
    )
st.chat_input("Ask about your costs (not available yet)", disabled=True, key="ask_question")
