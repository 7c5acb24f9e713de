"""Resources: the inventory with its last 30 days of cost, tags and open findings; one in detail."""

from __future__ import annotations

import streamlit as st

from cloudoptima.ui.blocks import resources
from cloudoptima.ui.session import page_context
from cloudoptima.ui.widgets import guarded

ctx = page_context()
st.title("Resources")
guarded(lambda: resources.render(ctx))
