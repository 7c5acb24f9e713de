"""Where the money went: by service, subscription, resource group and the required tags."""

from __future__ import annotations

from datetime import date

import polars as pl

from cloudoptima.analysis.tags import UNALLOCATED
from cloudoptima.report import section
from cloudoptima.report.context import ReportContext
from cloudoptima.report.figures import METRIC
from cloudoptima.report.formats import Number, amount, share
from cloudoptima.report.plots import bar_chart

TOP = 10
DIMENSIONS = (
    ("ServiceName", "Service"),
    ("SubAccountName", "Subscription"),
    ("x_ResourceGroupName", "Resource group"),
)
NONE_LABEL = "(none)"


@section("breakdowns", "Breakdowns by service, subscription, resource group and tag", order=40)
def breakdowns(ctx: ReportContext) -> None:
    """The largest groups of each dimension with their share and change, then tag coverage."""
    ctx.doc.heading("Where the money went")
    for dimension, label in DIMENSIONS:
        ranked = ranked_costs(ctx, dimension)
        ctx.doc.subheading(f"By {label.lower()}")
        if dimension == "ServiceName" and ranked.height:
            top = ranked.filter(pl.col("name") != "Total")
            ctx.doc.svg(
                bar_chart(top["name"].to_list(), top["cost"].to_list(), ctx.money_currency),
                height=8 + 5.5 * top.height,
            )
        _ranked_table(ctx, label, ranked)
    tags(ctx)


def ranked_costs(ctx: ReportContext, dimension: str) -> pl.DataFrame:
    """name, cost, share, previous: the top groups, '(other N)' and a Total row."""
    c, period, previous = ctx.money_currency, ctx.period, ctx.period.previous()
    now = _by(ctx, dimension, period.start, period.end, c)
    before = _by(ctx, dimension, previous.start, previous.end, c).rename({"cost": "previous"})
    joined = now.join(before, on="name", how="left").with_columns(pl.col("previous").fill_null(0.0))
    total = joined["cost"].sum()
    top, rest = joined.head(TOP), joined.slice(TOP)
    rows = [top]
    if rest.height:
        rows.append(
            pl.DataFrame(
                {
                    "name": [f"(other {rest.height})"],
                    "cost": [rest["cost"].sum()],
                    "previous": [rest["previous"].sum()],
                }
            )
        )
    rows.append(
        pl.DataFrame({"name": ["Total"], "cost": [total], "previous": [before["previous"].sum()]})
    )
    ranked = pl.concat(rows, how="vertical_relaxed")
    return ranked.with_columns(
        share=pl.when(pl.lit(total) != 0).then(pl.col("cost") / pl.lit(total))
    )


def _by(ctx: ReportContext, dimension: str, start: date, end: date, currency: str) -> pl.DataFrame:
    frame = ctx.source.costs(dimension, start=start, end=end, metric=METRIC, currency=currency)
    return frame.select(
        pl.col(dimension).cast(pl.String).fill_null(NONE_LABEL).alias("name"),
        pl.col(METRIC).cast(pl.Float64).alias("cost"),
    ).sort(["cost", "name"], descending=[True, False])


def _ranked_table(ctx: ReportContext, label: str, ranked: pl.DataFrame) -> None:
    c = ctx.money_currency
    rows = [
        [
            str(r["name"]),
            amount(r["cost"]),
            share(r["share"]),
            _change(r["cost"] - r["previous"]),
        ]
        for r in ranked.iter_rows(named=True)
    ]
    ctx.doc.data_table(
        (label, f"Cost ({c})", "Share", f"Change on {ctx.period.previous().label} ({c})"),
        rows,
        widths=(46, 20, 12, 24),
        align="LRRR",
        bold_last=True,
    )


def _change(value: float) -> str:
    return f"{'+' if value >= 0 else '-'}{amount(abs(value))}"


def tags(ctx: ReportContext) -> None:
    """Untagged share of each required tag, then each tag's cost by value."""
    c, period = ctx.money_currency, ctx.period
    required = [str(t) for t in ctx.data.settings()["required_tags"]]
    if not required:
        return
    coverage = ctx.source.tag_coverage(None, start=period.start, end=period.end, currency=c)
    ctx.doc.subheading("Required tags")
    ctx.doc.data_table(
        ("Tag", f"Cost without it ({c})", "Untagged share"),
        [
            [str(r["tag"]), amount(r["untagged_cost"]), share(r["untagged_share"])]
            for r in coverage.iter_rows(named=True)
        ],
        widths=(40, 30, 20),
        align="LRR",
    )
    ctx.doc.note(
        "A cost row counts as untagged when the tag is missing or empty on it; "
        "'(all required)' is the cost missing at least one required tag."
    )
    for key in required:
        _showback(ctx, key)


def _showback(ctx: ReportContext, key: str) -> None:
    c, period = ctx.money_currency, ctx.period
    frame = ctx.source.showback(key, start=period.start, end=period.end, currency=c)
    column = f"tag:{key}"
    unallocated = frame.filter(pl.col(column) == UNALLOCATED)
    allocated = frame.filter(pl.col(column) != UNALLOCATED)
    rows = [
        _share_row(str(r[column]), r["cost"], r["share"])
        for r in allocated.head(TOP).iter_rows(named=True)
    ]
    rest = allocated.slice(TOP)
    if rest.height:
        rows.append(_share_row(f"(other {rest.height})", rest["cost"].sum(), rest["share"].sum()))
    for r in unallocated.iter_rows(named=True):
        rows.append(_share_row("(untagged)", r["cost"], r["share"]))
    ctx.doc.subheading(f"By tag '{key}'")
    ctx.doc.data_table((key, f"Cost ({c})", "Share"), rows, widths=(40, 30, 20), align="LRR")


def _share_row(name: str, cost: Number, part: Number) -> list[str]:
    return [name, amount(cost), share(None if part is None else float(part))]
