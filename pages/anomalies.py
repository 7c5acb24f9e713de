"""Anomalies: days when a service or subscription cost far more than usual, and which resources."""

from __future__ import annotations

import streamlit as st

from cloudoptima.ui.blocks import anomalies
from cloudoptima.ui.session import page_context
from cloudoptima.ui.widgets import guarded

ctx = page_context()
st.title("Anomalies")
guarded(lambda: anomalies.render(ctx))
