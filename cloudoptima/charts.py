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
            fig.add_trace(
                go.Scatter(
                    x=points["ds"],
                    y=points[upper],
                    mode="lines",
                    line={"width": 0},
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
            fig.add_trace(
                go.Scatter(
                    x=points["ds"],
                    y=points[lower],
                    mode="lines",
                    line={"width": 0},
                    fill="tonexty",
                    name=name,
                    fillcolor="rgba(15,108,189,0.15)",
                )
            )
        fig.add_trace(
            go.Scatter(
                x=points["ds"],
                y=points["yhat"],
                name="Forecast",
                mode="lines",
                line={"dash": "dash"},
            )
        )
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


def period_stack(
    frame: pl.DataFrame, period: str, dims: list[str], value: str, currency: str, top: int = 10
) -> Any:
    """Cost per period stacked by the last of ``dims``; values beyond the ``top`` are "(other)"."""
    color = dims[-1]
    labelled = frame.with_columns(pl.col(color).cast(pl.String).fill_null("(none)"))
    totals = labelled.group_by(color).agg(pl.col(value).sum()).sort(value, descending=True)
    keep = totals[color].head(top).to_list()
    stacked = (
        labelled.with_columns(
            pl.when(pl.col(color).is_in(keep)).then(pl.col(color)).otherwise(pl.lit("(other)"))
        )
        .group_by(period, color)
        .agg(pl.col(value).sum().cast(pl.Float64))
        .sort(period, value, descending=[False, True])
    )
    return stacked_bars(stacked, period, value, color, currency)


def budget_burndown(
    history: pl.DataFrame, points: pl.DataFrame, budget: float, data_end: Any, currency: str
) -> Any:
    """Cumulative actual cost of the month holding ``data_end``, then the forecast, vs a budget."""
    go = _go()
    month = pl.col("ds").dt.truncate("1mo") == pl.lit(data_end.replace(day=1))
    actual = history.filter(month).sort("ds").with_columns(total=pl.col("y").cum_sum())
    spent = float(actual.select(pl.col("y").sum()).item() or 0.0)
    future = points.filter(month).sort("ds").select("ds", total=spent + pl.col("yhat").cum_sum())
    # the forecast line starts where the actual one ends
    future = pl.concat([actual.tail(1).select("ds", "total"), future], how="vertical_relaxed")
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=actual["ds"], y=actual["total"], name="Actual", mode="lines"))
    fig.add_trace(
        go.Scatter(
            x=future["ds"], y=future["total"], name="Forecast", mode="lines", line={"dash": "dash"}
        )
    )
    fig.add_hline(y=budget, line={"color": "firebrick"}, annotation_text="Budget")
    fig.update_layout(
        yaxis_title=currency, margin={"l": 10, "r": 10, "t": 30, "b": 10}, hovermode="x unified"
    )
    return fig


def anomaly_window(
    daily: pl.DataFrame, x: str, y: str, day: Any, expected: float, currency: str
) -> Any:
    """Daily cost around an anomaly, the anomalous day marked next to its expected cost."""
    go = _go()
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=daily[x], y=daily[y].cast(pl.Float64), name="Daily cost", mode="lines+markers")
    )
    spike = daily.filter(pl.col(x) == day)
    fig.add_trace(
        go.Scatter(
            x=spike[x],
            y=spike[y].cast(pl.Float64),
            name="Anomaly",
            mode="markers",
            marker={"color": "firebrick", "size": 12, "symbol": "x"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[day],
            y=[expected],
            name="Expected",
            mode="markers",
            marker={"color": "grey", "size": 10, "symbol": "circle-open"},
        )
    )
    fig.update_layout(
        yaxis_title=currency, margin={"l": 10, "r": 10, "t": 30, "b": 10}, hovermode="x unified"
    )
    return fig


def metric_lines(frame: pl.DataFrame, x: str, columns: list[str], unit: str) -> Any:
    """One line per column (e.g. hourly average and maximum of a resource metric)."""
    go = _go()
    fig = go.Figure()
    for column in columns:
        fig.add_trace(go.Scatter(x=frame[x], y=frame[column], name=column, mode="lines"))
    fig.update_layout(
        yaxis_title=unit, margin={"l": 10, "r": 10, "t": 30, "b": 10}, hovermode="x unified"
    )
    return fig


def answer_chart(frame: pl.DataFrame, kind: str, x: str, y: str, currency: str) -> Any:
    """An Ask answer's table drawn as its chart spec says: a line over time, or ranked bars."""
    numbers = frame.with_columns(pl.col(y).cast(pl.Float64))
    if kind == "bar":
        return ranked_bars(numbers.with_columns(pl.col(x).cast(pl.String)), x, y, currency)
    go = _go()
    ordered = numbers.sort(x)
    fig = go.Figure(go.Scatter(x=ordered[x], y=ordered[y], mode="lines+markers", name=y))
    fig.update_layout(
        yaxis_title=currency, margin={"l": 10, "r": 10, "t": 30, "b": 10}, hovermode="x unified"
    )
    fig.update_yaxes(rangemode="tozero")  # a cost axis that starts at zero does not exaggerate
    return fig
