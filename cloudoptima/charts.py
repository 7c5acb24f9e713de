"""Plotly figure builders shared by the app pages, notebooks and reports (no Streamlit here).

Names from imported files reach a chart only through :func:`label_text`: Plotly draws
text as a small HTML dialect (``<a href>`` included), so ``<`` and ``&`` are escaped.
Stacked series get colours from :data:`PALETTE` that never repeat within a chart, and a
series keeps its colour from one chart to the next (the colour follows its name).
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import polars as pl

# 20 colours that stay apart from each other (Tableau 20 without its greys, plus four);
# greys are kept for the rest: "(other)" and values without a name.
PALETTE = (
    "#1F77B4",
    "#FF7F0E",
    "#2CA02C",
    "#D62728",
    "#9467BD",
    "#8C564B",
    "#E377C2",
    "#BCBD22",
    "#17BECF",
    "#AEC7E8",
    "#FFBB78",
    "#98DF8A",
    "#FF9896",
    "#C5B0D5",
    "#C49C94",
    "#F7B6D2",
    "#DBDB8D",
    "#9EDAE5",
    "#393B79",
    "#637939",
)
GREYS = {"(other)": "#7F7F7F", "(none)": "#C7C7C7", "(untagged)": "#C7C7C7"}
GREYS["(unallocated)"] = GREYS["(untagged)"]
OTHER = "(other)"
MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}
# Named colours shared with the PDF report's matplotlib charts: the theme's primary colour
# (.streamlit/config.toml) for actual cost, orange for forecasts, red for alerts.
BRAND = "#0F6CBD"
FORECAST = "#F7630C"
ALERT = "#C50F1F"
MUTED = "#8A8886"
BAND_ALPHA = 0.15  # forecast bands: the brand colour, mostly transparent


def band_rgba(alpha: float = BAND_ALPHA) -> str:
    """The brand colour with transparency, as Plotly wants it."""
    red, green, blue = (int(BRAND[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _go() -> Any:
    import plotly.graph_objects as go  # the `app` extra; imported only when a chart is drawn

    return go


def label_text(value: object) -> str:
    """A name as Plotly must get it to draw it as the characters it is."""
    return html.escape("(none)" if value is None else str(value), quote=False)


def series_colours(names: Iterable[str]) -> dict[str, str]:
    """A colour per series, none repeated: each name's own colour unless taken already.

    ``names`` come in order of importance: the first ones keep the colour their name
    hashes to, later ones move to the next free colour. Greys mark the rest.
    """
    colours: dict[str, str] = {}
    taken: set[int] = set()
    for name in names:
        if name in GREYS:
            colours[name] = GREYS[name]
            continue
        index = int(hashlib.md5(name.encode(), usedforsecurity=False).hexdigest(), 16)
        for step in range(len(PALETTE)):
            slot = (index + step) % len(PALETTE)
            if slot not in taken or len(taken) >= len(PALETTE):
                break
        taken.add(slot)
        colours[name] = PALETTE[slot]
    return colours


# -- periods -------------------------------------------------------------------------------
def period_end(start: date, grain: str) -> date:
    """The last day of the period of ``grain`` (day, week, month) that begins on ``start``."""
    if grain == "month":
        year, month = divmod(start.year * 12 + start.month, 12)
        return date(year, month + 1, 1) - timedelta(days=1)
    return start + timedelta(days=6 if grain == "week" else 0)


def period_label(
    start: date, grain: str, first: date | None = None, last: date | None = None
) -> str:
    """How a period reads on an axis; a period the range covers only in part says which days."""
    name = {"month": f"{start:%b %Y}", "week": f"Week of {start.day} {start:%b %Y}"}.get(
        grain, f"{start.day} {start:%b %Y}"
    )
    end = period_end(start, grain)
    if last is not None and start <= last < end:
        return f"{name}<br>to {last.day} {last:%b} (partial)"
    if first is not None and start < first <= end:
        return f"{name}<br>from {first.day} {first:%b} (partial)"
    return name


def is_partial(start: date, grain: str, first: date, last: date) -> bool:
    """True when the range ``first``..``last`` holds only some days of the period."""
    return start < first or period_end(start, grain) > last


# -- cost over time ----------------------------------------------------------------------------
def period_stack(
    frame: pl.DataFrame,
    period: str,
    dims: Sequence[str],
    value: str,
    currency: str,
    *,
    grain: str = "month",
    first: date | None = None,
    last: date | None = None,
    top: int = 10,
) -> Any:
    """Cost per period stacked by every one of ``dims`` together ("A · B").

    Beyond the ``top`` series by total cost the rest is "(other)". Periods the range
    ``first``..``last`` covers only in part are hatched and say so on the axis.
    """
    series = _series_labels(frame, dims)
    totals = series.group_by("series").agg(pl.col(value).sum()).sort(value, descending=True)
    keep = [s for s in totals["series"].to_list() if s != OTHER][:top]
    stacked = (
        series.with_columns(
            pl.when(pl.col("series").is_in(keep)).then("series").otherwise(pl.lit(OTHER))
        )
        .group_by(period, "series")
        .agg(pl.col(value).sum().cast(pl.Float64))
        .sort(period)
    )
    periods = sorted(stacked[period].unique().to_list())
    first, last = first or periods[0], last or period_end(periods[-1], grain)
    axis = {p: period_label(p, grain, first, last) if grain != "day" else p for p in periods}
    partial = {p: grain != "day" and is_partial(p, grain, first, last) for p in periods}
    order = [*keep, *([OTHER] if OTHER in stacked["series"].to_list() else [])]
    colours = series_colours(order)
    go = _go()
    fig = go.Figure()
    for name in order:
        part = stacked.filter(pl.col("series") == name)
        fig.add_trace(
            go.Bar(
                x=[axis[p] for p in part[period]],
                y=part[value],
                name=label_text(name),
                marker={
                    "color": colours[name],
                    "pattern": {
                        "shape": ["/" if partial[p] else "" for p in part[period]],
                        "fillmode": "overlay",
                        "fgcolor": "white",
                        "solidity": 0.3,
                    },
                },
                hovertemplate=f"%{{fullData.name}}<br>%{{x}}<br>{currency} %{{y:,.2f}}<extra></extra>",
            )
        )
    xaxis: dict[str, Any] = {"type": "category", "categoryorder": "array"}
    xaxis["categoryarray"] = [axis[p] for p in periods]
    if grain == "day":
        xaxis = {"type": "date", "tickformat": "%-d %b %Y"}
    fig.update_layout(
        barmode="stack",
        xaxis=xaxis,
        yaxis={"title": currency, "tickformat": ",.0f", "rangemode": "tozero"},
        legend={"title": {"text": label_text(" · ".join(_dimension_word(d) for d in dims))}},
        margin=MARGIN,
    )
    return fig


def _series_labels(frame: pl.DataFrame, dims: Sequence[str]) -> pl.DataFrame:
    """``frame`` with a ``series`` column: the values of ``dims`` joined by " · "."""
    if not dims:
        return frame.with_columns(series=pl.lit("Total"))
    parts = [pl.col(d).cast(pl.String).fill_null("(none)") for d in dims]
    return frame.with_columns(series=pl.concat_str(parts, separator=" · "))


def _dimension_word(dimension: str) -> str:
    words = {
        "ServiceName": "Service",
        "SubAccountName": "Subscription",
        "x_ResourceGroupName": "Resource group",
        "RegionName": "Region",
        "ResourceType": "Resource type",
        "ResourceId": "Resource",
        "ChargeCategory": "Charge category",
    }
    return words.get(dimension, dimension.replace("tag:", "Tag "))


def trend_with_forecast(history: pl.DataFrame, points: pl.DataFrame | None, currency: str) -> Any:
    """Daily actual cost, then the forecast with its 80 % and 95 % bands."""
    go = _go()
    fig = go.Figure()
    money = f"{currency} %{{y:,.2f}}"
    fig.add_trace(
        go.Scatter(
            x=history["ds"],
            y=history["y"],
            name="Actual",
            mode="lines",
            line={"color": BRAND},
            hovertemplate=money,
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
                    hoverinfo="skip",
                )
            )
        fig.add_trace(
            go.Scatter(
                x=points["ds"],
                y=points["yhat"],
                name="Forecast",
                mode="lines",
                line={"dash": "dash", "color": FORECAST},
                hovertemplate=money,
            )
        )
    fig.update_layout(
        yaxis={"title": currency, "tickformat": ",.0f", "rangemode": "tozero"},
        xaxis={"tickformat": "%-d %b %Y"},
        margin=MARGIN,
        hovermode="x unified",
    )
    return fig


def stacked_bars(frame: pl.DataFrame, x: str, y: str, color: str | None, currency: str) -> Any:
    """Cost over time (or by a dimension), stacked by ``color``, one colour per series."""
    go = _go()
    fig = go.Figure()
    names = [None] if color is None else frame[color].unique(maintain_order=True).to_list()
    colours = series_colours(str(n) for n in names if n is not None)
    for name in names:
        part = frame if color is None else frame.filter(pl.col(color) == name)
        fig.add_trace(
            go.Bar(
                x=part[x],
                y=part[y].cast(pl.Float64),
                name=label_text(name) if name is not None else y,
                marker={"color": colours.get(str(name), PALETTE[0])},
                hovertemplate=f"%{{x}}<br>{currency} %{{y:,.2f}}<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="stack",
        yaxis={"title": currency, "tickformat": ",.0f", "rangemode": "tozero"},
        showlegend=color is not None,
        margin=MARGIN,
    )
    return fig


def ranked_bars(
    frame: pl.DataFrame, label: str, value: str, currency: str, *, hover: str | None = None
) -> Any:
    """Horizontal bars, largest on top, each with its amount; ``hover`` adds a line per bar."""
    go = _go()
    ordered = frame.sort(value)
    amounts = ordered[value].cast(pl.Float64)
    names = [label_text(v) for v in ordered[label]]
    extra = [label_text(v) for v in ordered[hover]] if hover else [""] * ordered.height
    fig = go.Figure(
        go.Bar(
            x=amounts,
            y=names,
            orientation="h",
            marker={"color": PALETTE[0]},
            text=[f"{currency} {a:,.2f}" for a in amounts],
            textposition="auto",
            customdata=extra,
            hovertemplate=f"%{{y}}<br>%{{customdata}}<br>{currency} %{{x:,.2f}}<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis={"title": currency, "tickformat": ",.0f"},
        yaxis={"type": "category"},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        height=80 + 28 * ordered.height,
    )
    return fig


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
    money = f"{currency} %{{y:,.2f}}"
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=actual["ds"], y=actual["total"], name="Actual", mode="lines", hovertemplate=money
        )
    )
    fig.add_trace(
        go.Scatter(
            x=future["ds"],
            y=future["total"],
            name="Forecast",
            mode="lines",
            line={"dash": "dash"},
            hovertemplate=money,
        )
    )
    fig.add_hline(
        y=budget,
        line={"color": ALERT},
        annotation_text=f"Budget {currency} {budget:,.2f}",
    )
    fig.update_layout(
        yaxis={"title": currency, "tickformat": ",.0f", "rangemode": "tozero"},
        xaxis={"tickformat": "%-d %b"},
        margin=MARGIN,
        hovermode="x unified",
    )
    return fig


def anomaly_window(
    daily: pl.DataFrame, x: str, y: str, day: Any, expected: float, currency: str
) -> Any:
    """Daily cost around an anomaly, the anomalous day marked next to its expected cost."""
    go = _go()
    money = f"{currency} %{{y:,.2f}}"
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=daily[x],
            y=daily[y].cast(pl.Float64),
            name="Daily cost",
            mode="lines+markers",
            hovertemplate=money,
        )
    )
    spike = daily.filter(pl.col(x) == day)
    fig.add_trace(
        go.Scatter(
            x=spike[x],
            y=spike[y].cast(pl.Float64),
            name="Anomaly",
            mode="markers",
            marker={"color": "firebrick", "size": 12, "symbol": "x"},
            hovertemplate=money,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[day],
            y=[expected],
            name="Expected",
            mode="markers",
            marker={"color": "grey", "size": 10, "symbol": "circle-open"},
            hovertemplate=money,
        )
    )
    fig.update_layout(
        yaxis={"title": currency, "tickformat": ",.0f", "rangemode": "tozero"},
        xaxis={"tickformat": "%-d %b"},
        margin=MARGIN,
        hovermode="x unified",
    )
    return fig


def metric_lines(frame: pl.DataFrame, x: str, columns: list[str], unit: str) -> Any:
    """One line per column (e.g. hourly average and maximum of a resource metric)."""
    go = _go()
    fig = go.Figure()
    for column in columns:
        fig.add_trace(
            go.Scatter(
                x=frame[x], y=frame[column], name=label_text(column.capitalize()), mode="lines"
            )
        )
    fig.update_layout(yaxis_title=label_text(unit), margin=MARGIN, hovermode="x unified")
    return fig


def rate_savings(months: pl.DataFrame, currency: str) -> Any:
    """Negotiated and commitment savings per month (bars) and the effective savings rate (line)."""
    go = _go()
    labels = [period_label(p, "month") for p in months["period"]]
    fig = go.Figure()
    for column, name, colour in (
        ("negotiated_savings", "Negotiated savings", PALETTE[0]),
        ("commitment_savings", "Commitment savings", PALETTE[2]),
    ):
        fig.add_trace(
            go.Bar(
                x=labels,
                y=months[column].cast(pl.Float64),
                name=name,
                marker={"color": colour},
                hovertemplate=f"{name}<br>%{{x}}<br>{currency} %{{y:,.2f}}<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=labels,
            y=months["effective_savings_rate"],
            name="Effective savings rate",
            mode="lines+markers",
            yaxis="y2",
            marker={"color": PALETTE[1]},
            hovertemplate="ESR %{y:.1%}<extra></extra>",
        )
    )
    fig.update_layout(
        barmode="stack",
        xaxis={"type": "category", "tickangle": 0},
        yaxis={"title": currency, "tickformat": ",.0f", "rangemode": "tozero"},
        yaxis2={
            "title": "Effective savings rate",
            "overlaying": "y",
            "side": "right",
            "tickformat": ".1%",
            "rangemode": "tozero",
        },
        legend={"orientation": "h", "y": -0.15},
        margin=MARGIN,
    )
    return fig


def rate_shares(months: pl.DataFrame) -> Any:
    """Commitment utilization and coverage per month, as percentages."""
    go = _go()
    labels = [period_label(p, "month") for p in months["period"]]
    fig = go.Figure()
    for column, name, colour in (
        ("utilization", "Utilization", PALETTE[4]),
        ("coverage", "Coverage", PALETTE[3]),
    ):
        fig.add_trace(
            go.Scatter(
                x=labels,
                y=months[column],
                name=name,
                mode="lines+markers",
                marker={"color": colour},
                hovertemplate=f"{name} %{{y:.1%}}<extra></extra>",
            )
        )
    fig.update_layout(
        xaxis={"type": "category", "tickangle": 0},
        yaxis={"tickformat": ".0%", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.15},
        margin=MARGIN,
        hovermode="x unified",
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
