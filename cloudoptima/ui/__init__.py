"""The Streamlit layer: the one sub-package of cloudoptima that imports streamlit.

Pages are picture frames: they read widgets, call the typed accessors of
:mod:`cloudoptima.ui.data` (cached per data version), and render with the helpers
of :mod:`cloudoptima.ui.widgets` and :mod:`cloudoptima.ui.format`.
"""
