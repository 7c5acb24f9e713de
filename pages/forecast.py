"""Forecast: daily cost ahead with intervals, its backtest accuracy and a monthly budget's burn."""

from __future__ import annotations

import streamlit as st

from cloudoptima.ui.blocks import forecast
from cloudoptima.ui.session import page_context
from cloudoptima.ui.widgets import guarded

ctx = page_context()
st.title("Forecast")
guarded(lambda: forecast.render(ctx))
