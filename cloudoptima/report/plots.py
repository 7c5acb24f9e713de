"""Charts for the PDF, drawn without a browser: matplotlib to SVG, embedded as vectors.

The colours are the app's (:mod:`cloudoptima.charts`); the output is deterministic
(a fixed SVG id salt, no date in the metadata, text drawn as paths in DejaVu Sans),
so the same data gives the same bytes. A ``Figure`` is built directly, never through
pyplot's global state, so reports drawn in parallel (app sessions) do not interfere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from io import BytesIO
from typing import Any

import polars as pl

from cloudoptima.charts import BAND_ALPHA, BRAND, FORECAST, MUTED
from cloudoptima.report.document import clean_svg

STYLE: dict[str, Any] = {
    "svg.hashsalt": "cloudoptima-report",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.edgecolor": "#C8C6C4",
    "axes.labelcolor": "#201F1E",
    "xtick.color": "#605E5C",
    "ytick.color": "#605E5C",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#EDEBE9",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
}


def _thousands(value: float, _: Any = None) -> str:
    return f"{value:,.0f}"


def _render(draw: Any, size: tuple[float, float]) -> bytes:
    import matplotlib
    from matplotlib.figure import Figure

    style: Any = STYLE  # matplotlib types its keys as a Literal of every rcParam
    with matplotlib.rc_context(style):
        figure = Figure(figsize=size)
        draw(figure.add_subplot())
        figure.tight_layout(pad=0.4)
        buffer = BytesIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return clean_svg(buffer.getvalue())


def trend_chart(
    history: pl.DataFrame,
    points: pl.DataFrame | None,
    period: tuple[date, date],
    currency: str,
) -> bytes:
    """Daily actual cost, the report period shaded, then the forecast with 80/95 % bands."""
    from matplotlib import dates

    mdates: Any = dates  # its locators and formatters carry no type information
    from matplotlib.ticker import FuncFormatter

    def draw(ax: Any) -> None:
        ax.plot(
            history["ds"].to_list(), history["y"].to_list(), color=BRAND, lw=1.2, label="Actual"
        )
        if points is not None and points.height:
            ds = points["ds"].to_list()
            for level, alpha in (("95", BAND_ALPHA), ("80", 2 * BAND_ALPHA)):
                ax.fill_between(
                    ds,
                    points[f"lower_{level}"].to_list(),
                    points[f"upper_{level}"].to_list(),
                    color=BRAND,
                    alpha=alpha,
                    lw=0,
                    label=f"{level}% band",
                )
            ax.plot(ds, points["yhat"].to_list(), color=FORECAST, lw=1.2, ls="--", label="Forecast")
        start, end = period
        ax.axvspan(start, end + timedelta(days=1), color=MUTED, alpha=0.08, lw=0, label="Period")
        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.set_ylabel(f"{currency} per day")
        ax.set_ylim(bottom=0)
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=5, fontsize=7, borderaxespad=0.2)

    return _render(draw, (7.2, 2.7))


def bar_chart(labels: Sequence[str], values: Sequence[float], currency: str) -> bytes:
    """Horizontal bars, largest on top, in the brand colour (grey for '(other)')."""
    from matplotlib.ticker import FuncFormatter

    def draw(ax: Any) -> None:
        names, amounts = list(reversed(labels)), list(reversed(values))
        colours = [MUTED if n.startswith("(other") else BRAND for n in names]
        ax.barh([_short(n) for n in names], amounts, color=colours, height=0.65)
        ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.grid(axis="x", color="#EDEBE9", linewidth=0.6)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(currency)

    return _render(draw, (7.2, 0.5 + 0.24 * max(len(labels), 1)))


def _short(label: str, limit: int = 38) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
