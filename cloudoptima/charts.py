"""Plotly figure builders shared by the app pages, notebooks and reports (no Streamlit here)."""

from __future__ import annotations

from typing import Any

import polars as pl


def _go() -> Any:
    import plotly.graph_objects as go  # the `app` extra; imported only when a chart is drawn

    return go


def trend_with_forecast(history: pl.DataFrame, points: pl.DataFrame | None, currency: str) -> Any:
    """Daily actual cost, then the forecast with its 80 % and 95 % bands."""
    go = _go()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=history["ds"], y=history["y"], name="Actual", mode="lines"))
    if points is not None and points.height:
        for lower, upper, name in (
            ("lower_95", "upper_95", "95% band"),
            ("lower_80", "upper_80", "80% band"),
        ):
            fig.add_trace(go.Scatter(x=points["ds"], y=points[upper], mode="lines", line={"width": 0},
                                     showlegend=False, hoverinfo="skip"))  # fmt: skip
            fig.add_trace(go.Scatter(x=points["ds"], y=points[lower], mode="lines", line={"width": 0},
                                     fill="tonexty", name=name, fillcolor="rgba(15,108,189,0.15)"))  # fmt: skip
        fig.add_trace(go.Scatter(x=points["ds"], y=points["yhat"], name="Forecast", mode="lines",
                                 line={"dash": "dash"}))  # fmt: skip
    fig.update_layout(
        yaxis_title=currency, margin={"l": 10, "r": 10, "t": 30, "b": 10}, hovermode="x unified"
    )
    return fig


def stacked_bars(frame: pl.DataFrame, x: str, y: str, color: str | None, currency: str) -> Any:
    """Cost over time (or by a dimension), stacked by ``color``."""
    import plotly.express as px

    fig = px.bar(frame.to_pandas(), x=x, y=y, color=color)
    fig.update_layout(
        barmode="stack", yaxis_title=currency, margin={"l": 10, "r": 10, "t": 30, "b": 10}
    )
    return fig


def ranked_bars(frame: pl.DataFrame, label: str, value: str, currency: str) -> Any:
    """Horizontal bars, largest on top."""
    go = _go()
    ordered = frame.sort(value)
    fig = go.Figure(go.Bar(x=ordered[value], y=ordered[label], orientation="h"))
    fig.update_layout(
        xaxis_title=currency,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        height=60 + 28 * ordered.height,
    )
    return fig
