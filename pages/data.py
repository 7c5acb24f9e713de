"""Data (admin): upload export files, follow the import log, rebuild the demo estate."""

from __future__ import annotations

import streamlit as st

from cloudoptima.ui.blocks import data_admin
from cloudoptima.ui.format import plain
from cloudoptima.ui.session import page_context
from cloudoptima.ui.widgets import guarded

ctx = page_context("admin")
st.title(f"Data · {plain(ctx.org_name)}")
guarded(lambda: data_admin.render(ctx))
