"""Reports: the PDF executive report of a period, previewed and downloaded."""

from __future__ import annotations

import streamlit as st

from cloudoptima.ui.blocks import reports
from cloudoptima.ui.session import page_context
from cloudoptima.ui.widgets import guarded

ctx = page_context("analyse")
st.title(f"Reports · {ctx.org_name}")
guarded(lambda: reports.render(ctx))
