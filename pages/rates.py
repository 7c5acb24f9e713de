"""Rate optimization: commitment utilization and coverage, savings and the effective savings rate."""

from __future__ import annotations

import streamlit as st

from cloudoptima.ui.blocks import rates
from cloudoptima.ui.session import page_context
from cloudoptima.ui.widgets import guarded

ctx = page_context()
st.title("Rate optimization")
guarded(lambda: rates.render(ctx))
