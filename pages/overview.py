"""Overview: this month's cost and where it is heading, savings, top spenders, freshness."""

from __future__ import annotations

import streamlit as st

from cloudoptima.ui.blocks import overview
from cloudoptima.ui.format import plain
from cloudoptima.ui.session import page_context
from cloudoptima.ui.widgets import guarded

ctx = page_context()
st.title(f"Overview · {plain(ctx.org_name)}")
guarded(lambda: overview.render(ctx))
