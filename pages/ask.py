"""Ask: questions about costs in plain language; the answering engine has not landed yet."""

from __future__ import annotations

import streamlit as st

from pages._ui import guarded, page_context

ctx = page_context("analyse")
st.title(f"Ask · {ctx.org_name}")
NOT_YET = (
    "Ask is not available yet: the engine that turns a question into a query on your data "
    "arrives with its own issue. Nothing here answers until then, so no answer is made up."
)
MEANWHILE = (
    "Meanwhile the **Cost explorer**, **Recommendations**, **Anomalies** and **Forecast** pages "
    "answer the usual questions, and `cloudoptima costs --by ServiceName` does the same on the "
    "command line."
)


def render() -> None:
    with st.chat_message("assistant"):
        st.warning(NOT_YET, icon=":material/construction:")
        st.markdown(MEANWHILE)
    st.chat_input("Ask about your costs (not available yet)", disabled=True, key="ask_question")


guarded(render)
