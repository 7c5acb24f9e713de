"""Cost explorer: a date range grouped and filtered by dimensions or tags, per period."""

from __future__ import annotations

import streamlit as st

from cloudoptima.ui.blocks import costs
from cloudoptima.ui.session import page_context
from cloudoptima.ui.widgets import guarded

ctx = page_context()
st.title("Cost explorer")
guarded(lambda: costs.render(ctx))
