"""Tag inheritance, tag coverage and showback on small hand-made estates."""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from cloudoptima import Workspace
from cloudoptima.analysis.costs import breakdown
from cloudoptima.analysis.tags import showback, tag_coverage
from cloudoptima.errors import CloudOptimaError

MONEY = pl.Decimal(38, 10)
SUB1, SUB2 = "/subscriptions/111", "/subscriptions/222"
GROUP_TYPE, SUBSCRIPTION_TYPE = (
    "microsoft.resources/subscriptions/resourcegroups",
    "microsoft.resources/subscriptions",
)


def cost_row(cost: str, rid: str | None, tags: str = "", **fields: str) -> dict[str, str | None]:
    """One FOCUS row on 2026-10-01; ``rid`` is the VM name under SubAccountId/rg or None."""
    sub, rg = fields.pop("sub", SUB1), fields.pop("rg", "rg-web")
    vm = f"{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{rid}"
    row = {
        "BilledCost": cost,
        "EffectiveCost": cost,
        "BillingCurrency": "USD",
        "ChargePeriodStart": "2026-10-01T00:00:00Z",
        "ChargeCategory": "Usage",
        "ResourceId": vm if rid else None,
        "SubAccountId": sub,
        "x_ResourceGroupName": rg,
        "Tags": tags,
    }
    return row | fields


def write_inventory(path: Path, records: list[dict[str, Any]]) -> Path:
    """``az graph query`` output holding ``records``."""
    page = {
        "count": len(records),
        "data": records,
        "skip_token": None,
        "total_records": len(records),
    }
    path.write_text(json.dumps(page), encoding="utf-8")
    return path


def container(rid: str, kind: str, tags: dict[str, str]) -> dict[str, Any]:
    """A resource group or subscription row as Resource Graph returns it."""
    return {
        "id": rid,
        "type": kind,
        "name": rid.rsplit("/", 1)[-1],
        "tags": tags,
        "location": "westeurope",
    }


ROWS = [
    cost_row("10", "vm1", '{"team": "own"}'),
    cost_row("5", "vm2"),
    cost_row("3", "vm3", '{"cOSTcENTER": "cc9"}', rg="rg-none"),
    # No resource id: the group comes from SubAccountId and x_ResourceGroupName.
    cost_row("2", None, ChargeCategory="Purchase"),
    cost_row("7", "vm4", sub=SUB2, BillingCurrency="EUR"),
]
CONTAINERS = [
    container(
        f"{SUB1}/resourceGroups/RG-Web",
        "Microsoft.Resources/subscriptions/resourceGroups",
        {"Team": "web", "CostCenter": "cc1"},
    ),
    container(SUB1, SUBSCRIPTION_TYPE, {"team": "platform", "env": "prod"}),
    container(f"{SUB2}/resourceGroups/other", GROUP_TYPE, {"team": "nobody"}),
]


def make_workspace(root: Path, rows: list[Any], containers: list[dict[str, Any]]) -> Workspace:
    ws = Workspace.open(root / "ws", create=True)
    pl.DataFrame(rows).write_csv(root / "costs.csv")
    inputs = [root / "costs.csv"]
    if containers:
        inputs.append(write_inventory(root / "inventory.json", containers))
    assert all(r.status == "loaded" for r in ws.ingest(inputs))
    return ws


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = make_workspace(tmp_path_factory.mktemp("tagged"), ROWS, CONTAINERS)
    yield ws
    ws.close()


def frame(data: dict[str, list[Any]], money: tuple[str, ...]) -> pl.DataFrame:
    cast = {c: pl.Series([Decimal(v) for v in data[c]], dtype=MONEY) for c in money}
    return pl.DataFrame(data | cast)


def test_own_tags_only_without_inheritance(tagged: Workspace) -> None:
    # Equal costs sort by the group's value.
    expected = frame(
        {
            "tag:team": ["(untagged)", "(untagged)", "own"],
            "BillingCurrency": ["EUR", "USD", "USD"],
            "EffectiveCost": [7, 10, 10],
        },
        ("EffectiveCost",),
    )
    assert_frame_equal(breakdown(tagged, "tag:team", metric="EffectiveCost"), expected)


def test_inheritance_takes_group_then_subscription_tags(tagged: Workspace) -> None:
    expected = frame(
        {
            "tag:team": ["(untagged)", "own", "web", "platform"],
            "BillingCurrency": ["EUR", "USD", "USD", "USD"],
            "BilledCost": [7, 10, 7, 3],
            "EffectiveCost": [7, 10, 7, 3],
        },
        ("BilledCost", "EffectiveCost"),
    )
    assert_frame_equal(breakdown(tagged, "tag:team", inherit_tags=True), expected)


def test_inherited_keys_match_whatever_their_case(tagged: Workspace) -> None:
    costs = breakdown(tagged, "tag:COSTCENTER", metric="BilledCost", inherit_tags=True)
    assert costs.rows() == [("(untagged)", "EUR", 7), ("cc1", "USD", 17), ("cc9", "USD", 3)]
    filtered = breakdown(
        tagged, metric="BilledCost", filters={"tag:Team": "web"}, inherit_tags=True
    )
    assert filtered.rows() == [("USD", 7)]


def test_without_container_rows_inheritance_changes_nothing(tmp_path: Path) -> None:
    vm = container(
        f"{SUB1}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm2",
        "microsoft.compute/virtualmachines",
        {"team": "vm"},
    )
    ws = make_workspace(tmp_path, ROWS, [vm])
    by = ["tag:team", "tag:CostCenter", "x_ResourceGroupName"]
    assert_frame_equal(breakdown(ws, by, inherit_tags=True), breakdown(ws, by))
    ws.close()


def coverage(eur_untagged: list[int], usd_untagged: list[int]) -> pl.DataFrame:
    shares = [u / 7 for u in eur_untagged] + [u / 20 for u in usd_untagged]
    return frame(
        {
            "BillingCurrency": ["EUR"] * 3 + ["USD"] * 3,
            "tag": ["team", "CostCenter", "(all required)"] * 2,
            "cost": [7] * 3 + [20] * 3,
            "untagged_cost": eur_untagged + usd_untagged,
        },
        ("cost", "untagged_cost"),
    ).with_columns(untagged_share=pl.Series(shares))


def test_tag_coverage_per_key_and_for_all_required(tagged: Workspace) -> None:
    required = ["team", "CostCenter, TEAM"]  # one key twice, in another case
    assert_frame_equal(tag_coverage(tagged, required), coverage([7, 7, 7], [10, 17, 20]))
    inherited = tag_coverage(tagged, required, inherit_tags=True, metric="BilledCost")
    assert_frame_equal(inherited, coverage([7, 7, 7], [0, 0, 0]))


def test_showback_allocates_by_tag_value_with_an_unallocated_row(tagged: Workspace) -> None:
    expected = frame(
        {
            "tag:team": ["(unallocated)", "own", "web", "platform"],
            "BillingCurrency": ["EUR", "USD", "USD", "USD"],
            "cost": [7, 10, 7, 3],
            "share": [1.0, 0.5, 0.35, 0.15],
        },
        ("cost",),
    )
    table = showback(tagged, "team", inherit_tags=True)
    assert_frame_equal(table, expected)
    assert table.write_csv().splitlines()[1] == "(unallocated),EUR,7.0000000000,1.0"
    own = showback(tagged, "team")
    assert own.get_column("tag:team").to_list() == ["(unallocated)", "own", "(unallocated)"]


@pytest.mark.parametrize(
    "call",
    [
        lambda ws: tag_coverage(ws, []),
        lambda ws: tag_coverage(ws, " , "),
        lambda ws: tag_coverage(ws, "team", metric="ListCost"),
        lambda ws: showback(ws, " "),
    ],
)
def test_bad_arguments_are_named(tagged: Workspace, call: Any) -> None:
    with pytest.raises(CloudOptimaError):
        call(tagged)


def test_empty_workspace(workspace: Workspace) -> None:
    assert tag_coverage(workspace, "team").is_empty()
    assert showback(workspace, "team").columns == ["tag:team", "BillingCurrency", "cost", "share"]


def test_demo_coverage_and_showback(demo_workspace: Workspace, demo_truth: dict[str, Any]) -> None:
    required = demo_truth["required_tags"]
    table = tag_coverage(demo_workspace, required)
    assert table.get_column("tag").to_list() == [*required, "(all required)"]
    shares = dict(zip(table.get_column("tag"), table.get_column("untagged_share"), strict=True))
    assert 0 < max(shares[t] for t in required) <= shares["(all required)"] < 0.5
    total = demo_truth["totals"]["EffectiveCost"]
    allocated = showback(demo_workspace, required[0]).get_column("cost").sum()
    assert float(allocated) == pytest.approx(total, abs=1e-6)


KEYS = ["team", "Team", "ENV", "env "]
values = st.sampled_from(["a", "b"])
tag_sets = st.dictionaries(st.sampled_from(KEYS), values, max_size=2)


@st.composite
def estates(draw: st.DrawFn) -> tuple[list[Any], list[dict[str, Any]]]:
    """Rows in two subscriptions and groups, and tags on some of the groups and subscriptions."""
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        tags = draw(tag_sets)
        rows.append(
            cost_row(
                str(draw(st.decimals(-10, 100, places=2))),
                draw(st.sampled_from(["vm1", "vm2", None])),
                json.dumps(tags) if tags else "",
                sub=draw(st.sampled_from([SUB1, SUB2])),
                rg=draw(st.sampled_from(["rg-a", "RG-B"])),
                BillingCurrency=draw(st.sampled_from(["USD", "EUR"])),
            )
        )
    ids = [f"{s}/resourcegroups/{g}" for s in (SUB1, SUB2) for g in ("rg-a", "rg-b")]
    groups = [container(i, GROUP_TYPE, draw(tag_sets)) for i in ids if draw(st.booleans())]
    subs = [
        container(s, SUBSCRIPTION_TYPE, draw(tag_sets)) for s in (SUB1, SUB2) if draw(st.booleans())
    ]
    return rows, groups + subs


def totals_of(rows: list[Any]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[row["BillingCurrency"]] += Decimal(row["EffectiveCost"])
    return dict(totals)


def per_currency(table: pl.DataFrame, column: str) -> dict[str, Decimal]:
    return dict(table.group_by("BillingCurrency").agg(pl.col(column).sum()).iter_rows())


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estate=estates(), key=st.sampled_from(["team", "ENV"]))
def test_inheritance_and_showback_keep_the_total(
    estate: tuple[list[Any], list[dict[str, Any]]], key: str
) -> None:
    rows, containers = estate
    with tempfile.TemporaryDirectory() as root:
        ws = make_workspace(Path(root), rows, containers)
        for inherit in (False, True):
            costs = breakdown(ws, [f"tag:{key}", "tag:team"], inherit_tags=inherit)
            assert per_currency(costs, "EffectiveCost") == totals_of(rows)
            assert per_currency(showback(ws, key, inherit_tags=inherit), "cost") == totals_of(rows)
            covered = tag_coverage(ws, [key, "env"], inherit_tags=inherit)
            assert set(covered.select("BillingCurrency", "cost").unique().rows()) == set(
                totals_of(rows).items()
            )
        ws.close()
