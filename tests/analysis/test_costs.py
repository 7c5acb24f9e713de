"""Breakdowns, period-over-period changes and top movers on small hand-made estates."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import fields
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from cloudoptima import Workspace
from cloudoptima.analysis.costs import (
    Window,
    breakdown,
    comparison_window,
    cost_changes,
    fallback_days,
    top_movers,
)
from cloudoptima.errors import CloudOptimaError

MONEY = pl.Decimal(38, 10)
SUB1, SUB2, SUB3 = (f"/subscriptions/{n}{n}{n}" for n in (1, 2, 3))
EA_HEADER = "SubscriptionId,SubscriptionName,Date,MeterCategory,MeterId,ResourceId,ResourceGroup,CostInBillingCurrency,BillingCurrencyCode,ChargeType,Tags"


def cost_row(day: str, billed: str, effective: str, **fields: str) -> dict[str, str]:
    """One FOCUS row; ``rid`` is the resource's last id segment under SubAccountId/rg."""
    sub, rg = fields.pop("sub", SUB1), fields.pop("rg", "rg-app")
    rid = fields.pop("rid", "vm1")
    row = {
        "BilledCost": billed,
        "EffectiveCost": effective,
        "BillingCurrency": fields.pop("currency", "USD"),
        "ChargePeriodStart": f"{day}T00:00:00Z",
        "ChargeCategory": "Usage",
        "ResourceId": f"{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{rid}",
        "ServiceName": "Virtual Machines",
        "RegionName": "West Europe",
        "SubAccountId": sub,
        "SubAccountName": sub.rsplit("/", 1)[-1],
        "x_ResourceGroupName": rg,
        "Tags": "",
    }
    return row | fields


def write_costs(path: Path, rows: list[dict[str, str]]) -> Path:
    """A FOCUS CSV of ``rows`` (all cells text, Tags JSON quoted by the CSV writer)."""
    pl.DataFrame(rows).write_csv(path)
    return path


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """USD and EUR FOCUS rows with odd tag key case, plus an amortized-only (EA) row."""
    root = tmp_path_factory.mktemp("estate")
    focus = [
        cost_row("2026-09-01", "10", "8", Tags='{"Env": "prod", "team": "a"}'),
        cost_row("2026-09-15", "4", "4", rid="st1", ServiceName="Storage", Tags='{"env": "dev"}'),
        cost_row("2026-10-01", "12", "10", Tags='{"ENV ": "prod", "team": "a"}'),
        cost_row("2026-10-02", "5", "5", rid="st1", ServiceName="Storage"),
        cost_row(
            "2026-10-02", "7", "6", currency="EUR", sub=SUB2, rid="vm9", Tags='{"env": "prod"}'
        ),
    ]
    rid = f"{SUB3}/resourceGroups/rg-b/providers/Microsoft.Compute/virtualMachines/vmA"
    amortized = f'{SUB3[15:]},Three,10/03/2026,Virtual Machines,m1,{rid},rg-b,3,USD,Usage,"""env"": ""prod"""'
    (root / "amortized.csv").write_text(f"{EA_HEADER}\n{amortized}\n", encoding="utf-8")
    ws = Workspace.open(root / "ws", create=True)
    ws.ingest([write_costs(root / "focus.csv", focus)])
    ws.ingest([root / "amortized.csv"], kind="amortized")
    yield ws
    ws.close()


def money(*values: float | None) -> pl.Series:
    return pl.Series([None if v is None else Decimal(str(v)) for v in values], dtype=MONEY)


def test_estate_loaded_an_amortized_only_row(estate: Workspace) -> None:
    row = estate.sql("SELECT BilledCost, EffectiveCost FROM costs WHERE _dataset = 'amortized'")
    assert row.rows() == [(None, Decimal(3))]


def test_breakdown_by_service_keeps_currencies_apart(estate: Workspace) -> None:
    expected = pl.DataFrame(
        {
            "ServiceName": ["Virtual Machines", "Virtual Machines", "Storage"],
            "BillingCurrency": ["EUR", "USD", "USD"],
            # subscription Three has only an amortized export: its 3 stands in for BilledCost
            "BilledCost": money(7, 25, 9),
            "EffectiveCost": money(6, 21, 9),
        }
    )
    assert_frame_equal(breakdown(estate, "ServiceName"), expected)


def test_a_metric_missing_for_a_subscription_day_falls_back_to_the_other(
    estate: Workspace,
) -> None:
    expected = pl.DataFrame(
        {
            "SubAccountName": ["222", "111", "Three"],
            "BillingCurrency": ["EUR", "USD", "USD"],
            "BilledCost": money(7, 31, 3),
            "BilledCostFallback": money(0, 0, 3),
        }
    )
    frame = breakdown(estate, ["SubAccountName"], metric="BilledCost", with_fallback=True)
    assert_frame_equal(frame, expected)
    gaps = fallback_days(estate, "BilledCost")
    assert gaps.select("SubAccountName", "days", "first_day").rows() == [
        ("Three", 1, date(2026, 10, 3))
    ]
    assert fallback_days(estate, "EffectiveCost").is_empty()


def test_actual_only_exports_do_not_make_effective_cost_zero(tmp_path: Path) -> None:
    """Only actual exports, or amortized exports lagging them: EffectiveCost is never 0."""
    ws = Workspace.open(tmp_path / "ws", create=True)
    actual = [
        f"{SUB3[15:]},Three,10/{d:02d}/2026,Virtual Machines,m1,vm,rg-b,10,USD,Usage,"
        for d in range(1, 6)
    ]  # days 1-5 billed
    amortized = [
        f"{SUB3[15:]},Three,10/{d:02d}/2026,Virtual Machines,m1,vm,rg-b,8,USD,Usage,"
        for d in range(1, 4)
    ]  # amortized data lags: days 1-3 only
    (tmp_path / "a.csv").write_text("\n".join([EA_HEADER, *actual]) + "\n", encoding="utf-8")
    (tmp_path / "m.csv").write_text("\n".join([EA_HEADER, *amortized]) + "\n", encoding="utf-8")
    ws.ingest([tmp_path / "a.csv"], kind="actual")
    ws.ingest([tmp_path / "m.csv"], kind="amortized")
    frame = ws.costs(metric="EffectiveCost", grain="day")
    assert frame["EffectiveCost"].to_list() == [Decimal(8)] * 3 + [Decimal(10)] * 2
    assert fallback_days(ws, "EffectiveCost").select("days", "cost").rows() == [(2, Decimal(20))]


@pytest.mark.parametrize(
    ("grain", "periods"),
    [
        ("month", [date(2026, 9, 1), date(2026, 10, 1), date(2026, 10, 1)]),
        # 2026-09-01 is a Tuesday: ISO weeks start on the Monday before.
        ("week", [date(2026, 8, 31), date(2026, 9, 14), date(2026, 9, 28)]),
    ],
)
def test_grain_adds_a_leading_period(estate: Workspace, grain: str, periods: list[date]) -> None:
    frame = breakdown(estate, metric="EffectiveCost", grain=grain, start=date(2026, 9, 1))
    usd = frame.filter(pl.col("BillingCurrency") == "USD")
    assert frame.columns == ["period", "BillingCurrency", "EffectiveCost"]
    assert usd.get_column("period").to_list() == sorted(set(periods))
    assert frame.get_column("period").is_sorted()


def test_tag_dimension_matches_keys_whatever_their_case(estate: Workspace) -> None:
    expected = pl.DataFrame(
        {
            "tag:env": ["prod", "prod", "(untagged)", "dev"],
            "BillingCurrency": ["EUR", "USD", "USD", "USD"],
            "EffectiveCost": money(6, 21, 5, 4),
        }
    )
    assert_frame_equal(breakdown(estate, "tag:env", metric="EffectiveCost"), expected)


def test_filters_on_columns_tags_and_dates(estate: Workspace) -> None:
    filters = {"ServiceName": ["Virtual Machines", "Databases"], "tag:ENV": "prod"}
    frame = breakdown(estate, "ResourceId", start=date(2026, 10, 1), filters=filters)
    assert frame.select("BillingCurrency", "EffectiveCost").rows() == [
        ("EUR", Decimal(6)),
        ("USD", Decimal(10)),
        ("USD", Decimal(3)),
    ]
    untagged = breakdown(estate, metric="BilledCost", filters={"tag:env": "(untagged)"})
    assert untagged.rows() == [("USD", Decimal(5))]


def test_filter_values_are_parameters_not_sql(estate: Workspace) -> None:
    assert breakdown(estate, filters={"ServiceName": "x' OR '1'='1"}).is_empty()
    assert breakdown(estate, filters={"ServiceName": []}).is_empty()
    # None matches missing values: no row here has a ChargeClass.
    assert_frame_equal(breakdown(estate, filters={"ChargeClass": None}), breakdown(estate))


@pytest.mark.parametrize(
    "call",
    [
        {"by": "Bogus"},
        {"by": "tag:"},
        {"metric": "ListCost"},
        {"grain": "year"},
        {"filters": {"Bogus": "x"}},
    ],
)
def test_bad_arguments_are_named(estate: Workspace, call: dict[str, Any]) -> None:
    with pytest.raises(CloudOptimaError):
        breakdown(estate, **call)


@pytest.mark.parametrize(
    ("as_of", "mode", "expected"),
    [
        ("2026-10-31", "month", ("2026-10-01", "2026-10-31", "2026-09-01", "2026-09-30")),
        ("2026-11-24", "month", ("2026-10-01", "2026-10-31", "2026-09-01", "2026-09-30")),
        ("2026-01-10", "month", ("2025-12-01", "2025-12-31", "2025-11-01", "2025-11-30")),
        ("2026-03-15", "mtd", ("2026-03-01", "2026-03-15", "2026-02-01", "2026-02-15")),
        ("2026-03-31", "mtd", ("2026-03-01", "2026-03-31", "2026-02-01", "2026-02-28")),
        ("2026-01-01", "mtd", ("2026-01-01", "2026-01-01", "2025-12-01", "2025-12-01")),
    ],
)
def test_comparison_windows(as_of: str, mode: str, expected: tuple[str, ...]) -> None:
    window = comparison_window(date.fromisoformat(as_of), mode)
    assert window == Window(*(date.fromisoformat(d) for d in expected))


def test_unknown_mode_is_an_error() -> None:
    with pytest.raises(CloudOptimaError, match="mode"):
        comparison_window(date(2026, 1, 1), "quarter")


def changes_frame(data: dict[str, Any], window: Window) -> pl.DataFrame:
    dates = {f.name: [getattr(window, f.name)] * len(data["current"]) for f in fields(Window)}
    return pl.DataFrame(
        data | {k: money(*data[k]) for k in ("current", "previous", "delta")} | dates
    )


def test_month_changes_per_service(estate: Workspace) -> None:
    frame = cost_changes(estate, "ServiceName", as_of=date(2026, 10, 31))
    expected = {
        "ServiceName": ["Virtual Machines", "Virtual Machines", "Storage"],
        "BillingCurrency": ["EUR", "USD", "USD"],
        "current": [6, 13, 5],
        "previous": [0, 8, 4],
        "delta": [6, 5, 1],
        "delta_pct": [None, 62.5, 25.0],
    }
    window = comparison_window(date(2026, 10, 31), "month")
    assert_frame_equal(frame, changes_frame(expected, window))


def test_month_to_date_ignores_days_outside_both_windows(estate: Workspace) -> None:
    # as_of defaults to the last cost day, 2026-10-03; 'dev' only ran on 2026-09-15.
    frame = cost_changes(estate, "tag:env", mode="mtd", metric="EffectiveCost")
    expected = {
        "tag:env": ["prod", "(untagged)", "prod"],
        "BillingCurrency": ["EUR", "USD", "USD"],
        "current": [6, 5, 13],
        "previous": [0, 0, 8],
        "delta": [6, 5, 5],
        "delta_pct": [None, None, 62.5],
    }
    assert_frame_equal(frame, changes_frame(expected, comparison_window(date(2026, 10, 3), "mtd")))


def test_top_movers_rank_per_currency_with_contributing_resources(estate: Workspace) -> None:
    movers = top_movers(estate, as_of=date(2026, 10, 31), mode="month", resources=2)
    vm1, st1, vm9, vm_a = (
        f"{sub}/resourcegroups/{rg}/providers/microsoft.compute/virtualmachines/{name}"
        for sub, rg, name in [
            (SUB1, "rg-app", "vm1"),
            (SUB1, "rg-app", "st1"),
            (SUB2, "rg-app", "vm9"),
            (SUB3, "rg-b", "vma"),
        ]
    )
    expected = pl.DataFrame(
        {
            "ranking": ["absolute", "absolute", "absolute", "relative", "relative"],
            "rank": [1, 1, 2, 1, 2],
            "ServiceName": [
                "Virtual Machines",
                "Virtual Machines",
                "Storage",
                "Virtual Machines",
                "Storage",
            ],
            "BillingCurrency": ["EUR", "USD", "USD", "USD", "USD"],
            "top_resources": [[vm9], [vm_a, vm1], [st1], [vm_a, vm1], [st1]],
        }
    )
    assert_frame_equal(movers.select(expected.columns), expected)
    changes = ["current", "previous", "delta", "delta_pct", *(f.name for f in fields(Window))]
    assert movers.columns == [
        "ranking",
        "rank",
        "ServiceName",
        "BillingCurrency",
        *changes,
        "top_resources",
    ]


def test_top_movers_limit_and_no_increase(estate: Workspace) -> None:
    movers = top_movers(estate, as_of=date(2026, 10, 31), mode="month", limit=1, resources=0)
    assert movers.select("ranking", "BillingCurrency", "ServiceName").rows() == [
        ("absolute", "EUR", "Virtual Machines"),
        ("absolute", "USD", "Virtual Machines"),
        ("relative", "USD", "Virtual Machines"),
    ]
    assert movers.get_column("top_resources").to_list() == [[], [], []]
    # Before the data starts nothing can rise.
    assert top_movers(estate, as_of=date(2026, 8, 31), mode="month").is_empty()


def test_empty_workspace_gives_empty_frames(workspace: Workspace) -> None:
    assert breakdown(workspace, "ServiceName").columns == [
        "ServiceName",
        "BillingCurrency",
        "BilledCost",
        "EffectiveCost",
    ]
    assert breakdown(workspace).is_empty()
    assert cost_changes(workspace).is_empty()
    assert top_movers(workspace).is_empty()


DIMENSIONS = [
    "ServiceName",
    "SubAccountName",
    "x_ResourceGroupName",
    "ResourceId",
    "RegionName",
    "ChargeCategory",
    "tag:env",
    "tag:Team",
]
decimals = st.decimals(min_value=-50, max_value=500, places=4, allow_nan=False)


@st.composite
def estates(draw: st.DrawFn) -> list[dict[str, str]]:
    """A few FOCUS rows over two months, three currencies and loosely cased tag keys."""
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        keys = draw(st.lists(st.sampled_from(["env", "ENV", "team", "Team "]), max_size=2))
        tags = {key: draw(st.sampled_from(["a", "b"])) for key in keys}
        tags_text = "{" + ", ".join(f'"{k}": "{v}"' for k, v in tags.items()) + "}"
        rows.append(
            cost_row(
                draw(st.sampled_from(["2026-09-03", "2026-09-29", "2026-10-01"])),
                str(draw(decimals)),
                str(draw(decimals)),
                currency=draw(st.sampled_from(["USD", "EUR", "JPY"])),
                rid=draw(st.sampled_from(["vm1", "vm2", "db"])),
                rg=draw(st.sampled_from(["rg-a", "RG-B"])),
                ServiceName=draw(st.sampled_from(["Storage", "Compute"])),
                Tags=tags_text if tags else "",
            )
        )
    return rows


def totals_of(rows: list[dict[str, str]], metric: str) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[row["BillingCurrency"]] += Decimal(row[metric])
    return dict(totals)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=estates(),
    by=st.lists(st.sampled_from(DIMENSIONS), max_size=3, unique=True),
    grain=st.sampled_from([None, "day", "week", "month"]),
)
def test_any_breakdown_sums_to_the_total_per_currency(
    rows: list[dict[str, str]], by: list[str], grain: str | None
) -> None:
    with tempfile.TemporaryDirectory() as root:
        ws = Workspace.open(Path(root) / "ws", create=True)
        ws.ingest([write_costs(Path(root) / "costs.csv", rows)])
        frame = breakdown(ws, by, grain=grain)
        ws.close()
    for metric in ("BilledCost", "EffectiveCost"):
        sums = frame.group_by("BillingCurrency").agg(pl.col(metric).sum())
        assert dict(sums.iter_rows()) == totals_of(rows, metric)


def test_demo_months_and_subscriptions(
    demo_workspace: Workspace, demo_truth: dict[str, Any]
) -> None:
    months = breakdown(demo_workspace, grain="month", metric="BilledCost")
    assert months.height == 13
    assert months.get_column("period").to_list()[-1] == date(2026, 11, 1)
    subs = breakdown(demo_workspace, "SubAccountName")
    assert subs.height == 3
    assert set(subs.get_column("BillingCurrency")) == {"USD"}
    for metric in ("BilledCost", "EffectiveCost"):
        total = float(subs.get_column(metric).sum())
        assert total == pytest.approx(demo_truth["totals"][metric], abs=1e-6)


def test_demo_changes_agree_with_breakdowns(demo_workspace: Workspace) -> None:
    changes = cost_changes(demo_workspace, "ServiceName")  # October vs September 2026
    october = breakdown(demo_workspace, start=date(2026, 10, 1), end=date(2026, 10, 31))
    september = breakdown(demo_workspace, start=date(2026, 9, 1), end=date(2026, 9, 30))
    assert changes.get_column("current").sum() == october.get_column("EffectiveCost").item()
    assert changes.get_column("previous").sum() == september.get_column("EffectiveCost").item()
    movers = top_movers(demo_workspace, "x_ResourceGroupName")
    assert movers.height > 0
    assert (movers.get_column("delta") > 0).all()
    assert (movers.group_by("ranking").len().get_column("len") <= 10).all()
    assert movers.get_column("top_resources").list.len().is_between(0, 3).all()
