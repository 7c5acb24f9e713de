"""Plotly figure builders shared by the app pages, notebooks and reports (no Streamlit here)."""

from __future__ import annotations

from typing import Any

import polars as pl

# The one palette of the app's Plotly charts and the PDF report's matplotlib charts.
# BRAND is the theme's primary colour (.streamlit/config.toml); the rest follow it in
# the order categories are drawn, grey last for "(other)".
BRAND = "#0F6CBD"
FORECAST = "#F7630C"
ALERT = "#C50F1F"
MUTED = "#8A8886"
PALETTE = (BRAND, FORECAST, "#107C10", "#8764B8", "#00B7C3", "#C19C00", "#E3008C", "#4F6BED")
BAND_ALPHA = 0.15  # forecast bands: the brand colour, mostly transparent


def band_rgba(alpha: float = BAND_ALPHA) -> str:
    """The brand colour with transparency, as Plotly wants it."""
    red, green, blue = (int(BRAND[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _styled(fig: Any, **layout: Any) -> Any:
    """The house look: our palette (so Streamlit's theme keeps it) and tight margins."""
    fig.update_layout(colorway=list(PALETTE), margin={"l": 10, "r": 10, "t": 30, "b": 10}, **layout)
    return fig


def _go() -> Any:
    import plotly.graph_objects as go  # the `app` extra; imported only when a chart is drawn

    return go


def trend_with_forecast(history: pl.DataFrame, points: pl.DataFrame | None, currency: str) -> Any:
    """Daily actual cost, then the forecast with its 80 % and 95 % bands."""
    go = _go()
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=history["ds"], y=history["y"], name="Actual", mode="lines", line={"color": BRAND}
        )
    )
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
                    fillcolor=band_rgba(),
                )
            )
        fig.add_trace(
            go.Scatter(
                x=points["ds"],
                y=points["yhat"],
                name="Forecast",
                mode="lines",
                line={"dash": "dash", "color": FORECAST},
            )
        )
    return _styled(fig, yaxis_title=currency, hovermode="x unified")


def stacked_bars(frame: pl.DataFrame, x: str, y: str, color: str | None, currency: str) -> Any:
    """Cost over time (or by a dimension), stacked by ``color``."""
    import plotly.express as px

    fig = px.bar(frame.to_pandas(), x=x, y=y, color=color, color_discrete_sequence=PALETTE)
    return _styled(fig, barmode="stack", yaxis_title=currency)


def ranked_bars(frame: pl.DataFrame, label: str, value: str, currency: str) -> Any:
    """Horizontal bars, largest on top."""
    go = _go()
    ordered = frame.sort(value)
    fig = go.Figure(
        go.Bar(x=ordered[value], y=ordered[label], orientation="h", marker={"color": BRAND})
    )
    fig = _styled(fig, xaxis_title=currency, height=60 + 28 * ordered.height)
    fig.update_layout(margin={"t": 10})
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
    fig.add_trace(
        go.Scatter(
            x=actual["ds"], y=actual["total"], name="Actual", mode="lines", line={"color": BRAND}
        )
    )
    fig.add_trace(
        go.Scatter(
            x=future["ds"],
            y=future["total"],
            name="Forecast",
            mode="lines",
            line={"dash": "dash", "color": FORECAST},
        )
    )
    fig.add_hline(y=budget, line={"color": ALERT}, annotation_text="Budget")
    return _styled(fig, yaxis_title=currency, hovermode="x unified")


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
            marker={"color": ALERT, "size": 12, "symbol": "x"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[day],
            y=[expected],
            name="Expected",
            mode="markers",
            marker={"color": MUTED, "size": 10, "symbol": "circle-open"},
        )
    )
    return _styled(fig, yaxis_title=currency, hovermode="x unified")


def metric_lines(frame: pl.DataFrame, x: str, columns: list[str], unit: str) -> Any:
    """One line per column (e.g. hourly average and maximum of a resource metric)."""
    go = _go()
    fig = go.Figure()
    for column in columns:
        fig.add_trace(go.Scatter(x=frame[x], y=frame[column], name=column, mode="lines"))
    return _styled(fig, yaxis_title=unit, hovermode="x unified")
