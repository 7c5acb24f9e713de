"""The Overview page shows the library's numbers, for every role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import polars as pl
import pytest
from harness import World, unescape
from streamlit.testing.v1 import AppTest

from cloudoptima.ui.format import SEVERAL_SUBSCRIPTIONS


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("user", ["admin", "analyst", "viewer"])
def test_overview_figures_match_the_library(
    app_as: Callable[..., AppTest], world: World, user: str
) -> None:
    at = app_as(user)
    assert not at.exception
    assert not at.error
    ws = world.contoso
    shown = metrics(at)
    mtd = ws.costs(start=date(2026, 11, 1), end=date(2026, 11, 24), metric="EffectiveCost")[
        "EffectiveCost"
    ].sum()
    assert shown["Month to date"] == f"USD {float(mtd):,.2f}"
    projected = ws.forecast().month_end["projected"].sum()
    assert shown["Forecast, November total"] == f"USD {projected:,.2f}"
    open_savings = ws.findings(status="open")["monthly_savings"].sum()
    assert shown["Open potential savings"] == f"USD {open_savings:,.2f} /mo"
    assert shown["Realized savings"] == "USD 0.00 /mo"
    assert shown["Resources"] == "310"  # 297 + the 13 look-alike resources of issue 8
    # every block says which period it covers
    subheaders = [unescape(s.value) for s in at.subheader]
    assert subheaders == [
        "Daily cost, last 90 days and forecast to 31 Dec 2026",
        "Top services, month to date",
        "Subscriptions, month to date",
        "Top 5 open recommendations",
        "Data freshness",
    ]
    assert "Month to date: 1 Nov to 24 Nov 2026" in unescape(at.caption[0].value)
    top = at.dataframe[0].value
    assert len(top) == 5
    assert top["monthly_savings"].tolist() == sorted(top["monthly_savings"].tolist(), reverse=True)
    names = {*ws.subscription_names().values(), SEVERAL_SUBSCRIPTIONS}  # reservations span several
    assert set(top["subscription"]) <= names  # names, not ids
    assert "Monthly saving (USD)" in at.dataframe[0].proto.columns


def test_overview_of_another_organisation_is_in_its_currency(
    app_as: Callable[..., AppTest], world: World
) -> None:
    at = app_as("bea", org="beta")
    assert not at.exception
    total = (
        world.beta.costs(metric="EffectiveCost")
        .filter(pl.col("BillingCurrency") == "EUR")["EffectiveCost"]
        .sum()
    )
    assert metrics(at)["Month to date"] == f"EUR {float(total):,.2f}"
    assert metrics(at)["Realized savings"] == "EUR 0.00 /mo"
