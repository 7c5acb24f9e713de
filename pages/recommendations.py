"""Recommendations: savings by rule, a filterable list, one finding in detail, its lifecycle."""

from __future__ import annotations

import streamlit as st

from cloudoptima.ui.blocks import recommendations
from cloudoptima.ui.format import plain
from cloudoptima.ui.session import page_context
from cloudoptima.ui.widgets import guarded

ctx = page_context()
st.title(f"Recommendations · {plain(ctx.org_name)}")
guarded(lambda: recommendations.render(ctx))
