"""The offline engine on the demo workspace (data to 2026-11-24): question -> answer.

Every expected figure is computed here independently, with plain SQL on the raw
``costs`` table (FOCUS column names, not the curated views) or from the façade's
findings and forecast, and must appear in the answer's text as a person reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
import pytest
from helpers import copy_workspace

from cloudoptima import Workspace
from cloudoptima.ai import Answer, Sources, ask

STORAGE = "(ServiceCategory = 'Storage' OR ResourceType IN ('Disk', 'Snapshot'))"
VMS = "ServiceName = 'Virtual Machines'"
OCT = (date(2026, 10, 1), date(2026, 10, 31))
NOV = (date(2026, 11, 1), date(2026, 11, 24))
SEP = (date(2026, 9, 1), date(2026, 9, 30))
Q3 = (date(2026, 7, 1), date(2026, 9, 30))
YTD = (date(2026, 1, 1), date(2026, 11, 24))


def usd(value: Any) -> str:
    return f"USD {float(value or 0):,.2f}"


def spend(
    ws: Workspace, days: tuple[date, date], where: str = "true", metric: str = "EffectiveCost"
) -> str:
    """The cost of ``days`` under ``where``, on the raw FOCUS table."""
    value = ws.sql(
        f"SELECT sum({metric}) FROM costs WHERE ChargePeriodStart >= ? "
        f"AND ChargePeriodStart < ?::DATE + 1 AND {where}",
        [days[0], days[1]],
    ).item()
    return usd(value)


def ranked(
    ws: Workspace, column: str, days: tuple[date, date], where: str = "true"
) -> pl.DataFrame:
    """Cost per value of ``column`` in ``days``, largest first."""
    return ws.sql(
        f"SELECT {column} AS name, sum(EffectiveCost) AS cost FROM costs "
        f"WHERE ChargePeriodStart >= ? AND ChargePeriodStart < ?::DATE + 1 AND {where} "
        "GROUP BY 1 ORDER BY cost DESC",
        [days[0], days[1]],
    )


def first_of(frame: pl.DataFrame) -> str:
    row = frame.row(0, named=True)
    return f"{row['name']} ({usd(row['cost'])})"


def open_findings(ws: Workspace, rule: str | None = None) -> pl.DataFrame:
    found = ws.findings(status="open").filter(pl.col("monthly_savings") > 0)
    return found.filter(pl.col("rule") == rule) if rule else found


@dataclass(frozen=True)
class Case:
    question: str
    expect: Callable[[Workspace], list[str]]  # fragments the answer's text must hold
    history: Sequence[str] = ()
    rows: int | None = None  # the table's height, when it matters


def tag(key: str, value: str) -> str:
    return f"json_extract_string(Tags, '$.{key}') = '{value}'"


CASES = [
    # totals for a period and a filter
    Case(
        "How much did we spend on storage last month?",
        lambda ws: [spend(ws, OCT, STORAGE), "October 2026"],
    ),
    Case("How much did we spend last month?", lambda ws: [spend(ws, OCT)]),
    Case("What did we spend this month?", lambda ws: [spend(ws, NOV), "2026-11-01 to 2026-11-24"]),
    Case("Total cost year to date", lambda ws: [spend(ws, YTD)]),
    Case("How much did virtual machines cost in October?", lambda ws: [spend(ws, OCT, VMS)]),
    Case("VM spend last month", lambda ws: [spend(ws, OCT, VMS)]),
    Case("compute cost last month", lambda ws: [spend(ws, OCT, VMS)]),
    Case("disk spend in Q3", lambda ws: [spend(ws, Q3, STORAGE), "Q3 2026"]),
    Case(
        "How much did the production subscription cost in Q3 2026?",
        lambda ws: [spend(ws, Q3, "SubAccountName = 'Contoso Pharma Production'")],
    ),
    Case(
        "cost of rg-prod-data last month",
        lambda ws: [spend(ws, OCT, "x_ResourceGroupName = 'RG-Prod-Data'")],
    ),
    Case(
        "How much did the shared backup resource group cost year to date?",
        lambda ws: [spend(ws, YTD, "x_ResourceGroupName = 'RG-Shared-Backup'")],
    ),
    Case("cost of vm-web-01 last month", lambda ws: [spend(ws, OCT, "ResourceName = 'vm-web-01'")]),
    Case(
        "cost of vm-web-1 in october",
        lambda ws: [spend(ws, OCT, "ResourceName = 'vm-web-01'"), "vm-web-01"],
    ),
    Case(
        "how much did we spend on sql last month",
        lambda ws: [spend(ws, OCT, "ServiceName = 'Azure SQL Database'")],
    ),
    Case(
        "key vault cost this quarter",
        lambda ws: [spend(ws, (date(2026, 10, 1), NOV[1]), "ServiceName = 'Key Vault'")],
    ),
    Case("billed cost last month", lambda ws: [spend(ws, OCT, metric="BilledCost"), "billed cost"]),
    Case("spend in the last 30 days", lambda ws: [spend(ws, (date(2026, 10, 26), NOV[1]))]),
    Case("spend in the last 2 weeks", lambda ws: [spend(ws, (date(2026, 11, 11), NOV[1]))]),
    Case("spend in September 2026", lambda ws: [spend(ws, SEP)]),
    Case(
        "spend from 2026-10-01 to 2026-10-15",
        lambda ws: [spend(ws, (date(2026, 10, 1), date(2026, 10, 15)))],
    ),
    Case("how much did env prod cost last month", lambda ws: [spend(ws, OCT, tag("env", "prod"))]),
    Case("research team spend in October", lambda ws: [spend(ws, OCT, tag("team", "research"))]),
    # top N by a dimension
    Case(
        "Top 5 resource groups this month",
        lambda ws: [first_of(ranked(ws, "x_ResourceGroupName", NOV))],
        rows=5,
    ),
    Case(
        "which services cost the most last month",
        lambda ws: [first_of(ranked(ws, "ServiceName", OCT))],
        rows=10,
    ),
    Case(
        "top 3 subscriptions year to date",
        lambda ws: [first_of(ranked(ws, "SubAccountName", YTD))],
        rows=3,
    ),
    Case(
        "spend by team last month",
        lambda ws: [first_of(ranked(ws, "json_extract_string(Tags, '$.team')", OCT))],
    ),
    Case(
        "top 5 resources in rg-prod-data last month",
        lambda ws: [
            first_of(ranked(ws, "ResourceName", OCT, "x_ResourceGroupName = 'RG-Prod-Data'"))
        ],
        rows=5,
    ),
    # trends
    Case(
        "Daily cost of virtual machines over the last 30 days",
        lambda ws: [
            usd(
                ranked(ws, "ChargePeriodStart::DATE", (date(2026, 10, 26), NOV[1]), VMS)["cost"][0]
            ),
            "30 days",
        ],
        rows=30,
    ),
    Case(
        "monthly cost trend",
        lambda ws: [
            usd(
                ranked(ws, "date_trunc('month', ChargePeriodStart)", (date(2025, 12, 1), NOV[1]))[
                    "cost"
                ][0]
            )
        ],
        rows=12,
    ),
    # comparisons
    Case(
        "Compare October and November by service",
        lambda ws: [
            f"October 2026: {spend(ws, OCT)}",
            f"November 2026: {spend(ws, NOV)}",
            "data to 2026-11-24",
        ],
    ),
    Case(
        "compare September and October",
        lambda ws: [f"September 2026: {spend(ws, SEP)}", f"October 2026: {spend(ws, OCT)}"],
    ),
    Case(
        "how does last month compare?",
        lambda ws: [f"September 2026: {spend(ws, SEP)}", f"October 2026: {spend(ws, OCT)}"],
    ),
    # biggest increases
    Case(
        "Biggest increases by service this month",
        lambda ws: _increase(ws, "ServiceName", NOV, (date(2026, 10, 1), date(2026, 10, 24))),
    ),
    Case(
        "which resource groups grew the most last month",
        lambda ws: _increase(ws, "x_ResourceGroupName", OCT, SEP),
    ),
    # forecasts
    Case("What will we spend this month?", lambda ws: _month_end(ws)),
    Case("what will we spend next month", lambda ws: _next_month(ws)),
    # savings
    Case("How much can we save?", lambda ws: [usd(open_findings(ws)["monthly_savings"].sum())]),
    Case(
        "List idle VMs", lambda ws: sorted(open_findings(ws, "idle_vm")["resource_name"].to_list())
    ),
    Case(
        "unattached disks in prod",
        lambda ws: [
            "vm-old-erp-01-data-01",
            usd(
                open_findings(ws, "unattached_disk")
                .filter(pl.col("resource_name") == "vm-old-erp-01-data-01")["monthly_savings"]
                .sum()
            ),
            "env = prod",
        ],
        rows=1,
    ),
    Case(
        "show old snapshots",
        lambda ws: [f"{open_findings(ws, 'old_snapshot').height} open old snapshot findings"],
    ),
    Case(
        "rightsizing recommendations",
        lambda ws: [usd(open_findings(ws, "rightsize_vm")["monthly_savings"].sum())],
    ),
    # untagged spend
    Case(
        "Untagged spend last month",
        lambda ws: [spend(ws, OCT, "(Tags IS NULL OR json_keys(Tags) = [])"), spend(ws, OCT)],
    ),
    Case(
        "spend without a team tag last month",
        lambda ws: [spend(ws, OCT, "json_extract_string(Tags, '$.team') IS NULL")],
    ),
    # the inventory
    Case(
        "how many VMs do we have",
        lambda ws: [
            str(
                ws.sql(
                    "SELECT count(*) FROM resources WHERE type = 'microsoft.compute/virtualmachines'"
                ).item()
            )
        ],
    ),
    # follow-ups that use the conversation
    Case(
        "and the month before?",
        lambda ws: [spend(ws, SEP, STORAGE), "September 2026"],
        history=["How much did we spend on storage last month?"],
    ),
    Case(
        "what about virtual machines?",
        lambda ws: [spend(ws, OCT, VMS)],
        history=["How much did we spend on storage last month?"],
    ),
    Case(
        "and by resource group?",
        lambda ws: [first_of(ranked(ws, "x_ResourceGroupName", OCT, STORAGE))],
        history=["How much did we spend on storage last month?"],
    ),
    Case(
        "and the month before?",
        lambda ws: [spend(ws, (date(2026, 8, 1), date(2026, 8, 31)), STORAGE)],
        history=["How much did we spend on storage last month?", "and the month before?"],
    ),
]


def _increase(
    ws: Workspace, column: str, now: tuple[date, date], before: tuple[date, date]
) -> list[str]:
    frame = ws.sql(
        f"""SELECT {column} AS name,
                   sum(EffectiveCost) FILTER (WHERE ChargePeriodStart::DATE BETWEEN ? AND ?) AS now,
                   sum(EffectiveCost) FILTER (WHERE ChargePeriodStart::DATE BETWEEN ? AND ?) AS before
            FROM costs GROUP BY 1 ORDER BY coalesce(now, 0) - coalesce(before, 0) DESC LIMIT 1""",
        [now[0], now[1], before[0], before[1]],
    ).row(0, named=True)
    rise = float(frame["now"]) - float(frame["before"])
    return [f"{frame['name']} +USD {rise:,.2f}", f"({usd(frame['before'])} to {usd(frame['now'])})"]


def _month_end(ws: Workspace) -> list[str]:
    projected = ws.forecast().month_end.row(0, named=True)
    return [usd(projected["projected"]), f"{spend(ws, NOV)} spent to 2026-11-24", "November 2026"]


def _next_month(ws: Workspace) -> list[str]:
    points = ws.forecast().points.filter(pl.col("ds").dt.month() == 12)
    return [usd(points["yhat"].sum()), "December 2026", f"{points.height} daily forecasts"]


def answer(ws: Workspace, question: str, history: Sequence[str] = ()) -> Answer:
    sources = Sources(ws.store.live_path(), ws.findings, ws.forecast)
    earlier = [Answer(q, "") for q in history]
    return ask(question, earlier, sources)


@pytest.fixture(scope="module")
def ws(demo_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A private copy of the demo: forecast questions write the forecast cache."""
    return copy_workspace(demo_workspace, tmp_path_factory.mktemp("ask") / "ws")


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[f"{i:02d}-{c.question}" for i, c in enumerate(CASES)])
def test_question_gets_the_expected_answer(ws: Workspace, case: Case) -> None:
    result = answer(ws, case.question, case.history)
    assert result.engine == "offline"
    assert result.sql is not None, result.text
    for fragment in case.expect(ws):
        assert fragment in result.text, f"{fragment!r} not in {result.text!r}"
    if case.rows is not None:
        assert result.table.height == case.rows
    assert not result.suggestions


@pytest.mark.parametrize(
    "question",
    ["How much did we spend on Kubernetes?", "what's the weather like", "spend in October 2024"],
)
def test_it_says_when_it_cannot_answer_and_never_guesses(ws: Workspace, question: str) -> None:
    result = answer(ws, question)
    assert result.table.is_empty()
    assert "USD" not in result.text
    if "2024" in question:
        assert "covers 2025-11-01 to 2026-11-24" in result.text
    else:
        assert "I never guess a figure" in result.text
        assert "How much can we save?" in result.suggestions


def test_answers_are_deterministic_and_show_their_sql(ws: Workspace) -> None:
    first = answer(ws, "top 5 resource groups this month")
    again = answer(ws, "top 5 resource groups this month")
    assert (first.text, first.sql) == (again.text, again.sql)
    assert first.table.equals(again.table)
    assert first.sql is not None
    assert "FROM daily_costs" in first.sql
    assert first.chart is not None
    assert first.chart.kind == "bar"


def test_the_workspace_facade_answers(ws: Workspace) -> None:
    result = ws.ask("How much did we spend last month?")
    assert result.engine == "offline"
    assert spend(ws, OCT) in result.text
    document = result.to_dict()
    assert set(document) == {"answer", "sql", "table", "chart", "engine"}
