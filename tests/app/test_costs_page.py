"""Cost explorer page: totals match the library, grouping, grain, filters, CSV, currencies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from harness import World
from streamlit.testing.v1 import AppTest

from cloudoptima.ui.format import money

START, END = date(2026, 9, 1), date(2026, 11, 24)  # three months of data up to the last day


def total(at: AppTest) -> str:
    return str(next(m for m in at.metric if m.label.startswith("Total, ")).value)


def table(at: AppTest) -> object:
    return at.dataframe[0].value


@pytest.fixture
def costs_page(app_as: Callable[..., AppTest]) -> AppTest:
    at = app_as("analyst", page="costs")
    assert not at.exception
    assert not at.error
    return at


def test_default_view_matches_the_library(costs_page: AppTest, world: World) -> None:
    at = costs_page
    expected = world.contoso.costs(start=START, end=END, metric="EffectiveCost")
    assert at.date_input(key="costs_range").value == (START, END)
    assert total(at) == money(expected["EffectiveCost"].sum(), "USD")
    frame = table(at)
    assert list(frame.columns) == ["period", "ServiceName", "EffectiveCost"]
    assert frame["period"].nunique() == 3  # month grain
    assert frame["EffectiveCost"].sum() == pytest.approx(float(expected["EffectiveCost"].sum()))
    assert at.download_button(key="costs_csv").label == "Download CSV"
    assert any(s.value.startswith("Top movers by Service") for s in at.subheader)
    movers = at.dataframe[1].value
    assert movers["ServiceName"].iloc[0] == "Virtual Machines"


def test_grain_and_group_by_change_the_table(costs_page: AppTest, world: World) -> None:
    at = costs_page
    months = len(table(at))
    at.segmented_control(key="costs_grain").set_value("week").run()
    assert len(table(at)) > months
    at.selectbox(key="costs_by").select("SubAccountName").run()
    at.selectbox(key="costs_by2").select("tag:env").run()
    frame = table(at)
    assert list(frame.columns) == ["period", "SubAccountName", "tag:env", "EffectiveCost"]
    expected = world.contoso.costs(
        ["SubAccountName", "tag:env"], start=START, end=END, metric="EffectiveCost", grain="week"
    )
    assert len(frame) == expected.height
    assert set(frame["tag:env"]) >= {"prod", "(untagged)"}
    assert total(at) == money(expected["EffectiveCost"].sum(), "USD")


def test_filters_and_billed_toggle_narrow_the_total(costs_page: AppTest, world: World) -> None:
    at = costs_page
    everything = total(at)
    at.multiselect(key="costs_filter_ServiceName").select("Virtual Machines").run()
    vms = world.contoso.costs(
        start=START, end=END, metric="EffectiveCost", filters={"ServiceName": ["Virtual Machines"]}
    )
    assert total(at) == money(vms["EffectiveCost"].sum(), "USD") != everything
    assert set(table(at)["ServiceName"]) == {"Virtual Machines"}
    at.selectbox(key="costs_tag_key").select("env").run()
    at.multiselect(key="costs_tag_values").select("prod").run()
    at.toggle(key="costs_billed").set_value(True).run()
    prod = world.contoso.costs(
        start=START,
        end=END,
        metric="BilledCost",
        filters={"ServiceName": ["Virtual Machines"], "tag:env": ["prod"]},
    )
    assert total(at) == money(prod["BilledCost"].sum(), "USD")
    assert "BilledCost" in table(at).columns


def test_viewer_and_a_euro_workspace(app_as: Callable[..., AppTest]) -> None:
    viewer = app_as("viewer", page="costs")
    assert not viewer.exception
    assert not viewer.error
    assert total(viewer).startswith("USD ")
    bea = app_as("bea", org="beta", page="costs")
    assert not bea.exception
    assert not bea.error
    assert total(bea) == money(2 * 10 * 9.5, "EUR")  # 10 days, two VMs at 9 and 10 EUR
    assert "Effective cost (EUR)" in bea.dataframe[0].proto.columns  # the column header
