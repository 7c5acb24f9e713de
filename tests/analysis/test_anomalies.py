"""Cost anomalies: synthetic weekly series with planted spikes, and the demo estate's anomalies."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from helpers import copy_workspace
from polars.testing import assert_frame_equal

from cloudoptima import Workspace
from cloudoptima.analysis.anomalies import SCHEMA, detect_anomalies
from cloudoptima.errors import CloudOptimaError

SUB = "/subscriptions/00000000-0000-0000-0000-00000000000a"
FIRST = date(2026, 6, 1)  # a Monday
DAYS = 70
SPIKE = date(2026, 7, 22)  # a Wednesday, 51 days in
Cost = Callable[[date], float]


def web(day: date) -> float:
    """An app that costs 100 on weekdays and 40 at weekends."""
    return 40.0 if day.weekday() >= 5 else 100.0


def flat(day: date) -> float:
    return 20.0


def spiking(extra: float, on: date = SPIKE, base: Cost = flat) -> Cost:
    return lambda day: base(day) + (extra if day == on else 0.0)


def rows_for(resources: dict[str, Cost], currency: str = "USD", noise: float = 0.0) -> list[str]:
    """FOCUS rows, one per resource and day; ``noise`` is a relative jitter (seeded)."""
    jitter = random.Random(3)
    rows = []
    for offset in range(DAYS):
        day = FIRST + timedelta(days=offset)
        for name, cost in resources.items():
            value = round(cost(day) * (1 + jitter.uniform(-noise, noise)), 6)
            rid = f"{SUB}/resourcegroups/rg/providers/microsoft.web/sites/{name}"
            rows.append(
                f"{value},{value},{currency},{day}T00:00:00Z,{day + timedelta(days=1)}T00:00:00Z,"
                f"{day.replace(day=1)}T00:00:00Z,Usage,{rid},App Service,{SUB}"
            )
    return rows


def ingest(workspace: Workspace, path: Path, rows: list[str]) -> Workspace:
    header = (
        "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,"
        "BillingPeriodStart,ChargeCategory,ResourceId,ServiceName,SubAccountId"
    )
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert workspace.ingest([path])[0].status == "loaded"
    return workspace


def site(name: str) -> str:
    return f"{SUB}/resourcegroups/rg/providers/microsoft.web/sites/{name}"


def test_weekly_series_flags_the_spike_and_not_the_weekends(
    workspace: Workspace, tmp_path: Path
) -> None:
    rows = rows_for({"web": web, "api": spiking(150.0)})
    found = detect_anomalies(ingest(workspace, tmp_path / "c.csv", rows), direction="both")
    # Baseline for a Wednesday: level 120 (median of the previous 7 days), factor 1;
    # scale: the series is exact, so the floor of 5 % of 120 applies.
    contributor = {"resource_id": site("api"), "expected": 20.0, "actual": 170.0, "delta": 150.0}
    expected = pl.DataFrame(
        {
            "date": [SPIKE, SPIKE],
            "dimension": ["ServiceName", "SubAccountId"],
            "value": ["App Service", SUB],
            "BillingCurrency": ["USD", "USD"],
            "expected": [120.0, 120.0],
            "actual": [270.0, 270.0],
            "delta": [150.0, 150.0],
            "delta_pct": [125.0, 125.0],
            "score": [25.0, 25.0],
            "contributors": [[contributor], [contributor]],
        },
        schema=SCHEMA,
    )
    assert_frame_equal(found, expected)


def test_noisy_weekly_series_flags_only_the_spike(workspace: Workspace, tmp_path: Path) -> None:
    rows = rows_for({"web": spiking(90.0, base=web), "api": flat}, noise=0.04)
    found = detect_anomalies(
        ingest(workspace, tmp_path / "c.csv", rows), by="ServiceName", direction="both"
    )
    assert found.select("date", "value").rows() == [(SPIKE, "App Service")]
    assert found.get_column("delta").item() == pytest.approx(90.0, rel=0.1)
    top = found.get_column("contributors").item()[0]
    assert top["resource_id"] == site("web")


def test_a_drop_is_reported_only_when_asked(workspace: Workspace, tmp_path: Path) -> None:
    outage = spiking(-60.0, base=web)
    ingest(workspace, tmp_path / "c.csv", rows_for({"web": outage, "api": flat}))
    assert detect_anomalies(workspace).is_empty()
    drops = detect_anomalies(workspace, by="ServiceName", direction="both")
    assert drops.select("date", "delta", "score").rows() == [(SPIKE, -60.0, -10.0)]
    assert drops.get_column("contributors").item()[0]["resource_id"] == site("web")


def test_currencies_are_analysed_apart(workspace: Workspace, tmp_path: Path) -> None:
    rows = rows_for({"web": web}) + rows_for({"api": spiking(400.0)}, currency="EUR")
    found = detect_anomalies(ingest(workspace, tmp_path / "c.csv", rows), by="ServiceName")
    assert found.select("BillingCurrency", "expected", "actual").rows() == [("EUR", 20.0, 420.0)]


@pytest.mark.parametrize(
    ("options", "flags"),
    [
        ({}, 1),
        ({"start": SPIKE + timedelta(days=1)}, 0),
        ({"end": SPIKE - timedelta(days=1)}, 0),
        ({"start": SPIKE, "end": SPIKE}, 1),
        ({"min_delta": 200.0}, 0),
        ({"sensitivity": 30.0}, 0),
        ({"metric": "EffectiveCost", "contributors": 0}, 1),
    ],
)
def test_options(workspace: Workspace, tmp_path: Path, options: dict[str, Any], flags: int) -> None:
    ingest(workspace, tmp_path / "c.csv", rows_for({"web": web, "api": spiking(150.0)}))
    found = detect_anomalies(workspace, by="ServiceName", **options)
    assert found.height == flags
    if options.get("contributors") == 0:
        assert found.get_column("contributors").to_list() == [[]]


def test_a_spike_without_four_weeks_of_history_is_not_scored(
    workspace: Workspace, tmp_path: Path
) -> None:
    early = FIRST + timedelta(days=20)
    ingest(workspace, tmp_path / "c.csv", rows_for({"api": spiking(300.0, on=early)}))
    assert detect_anomalies(workspace).is_empty()


def test_empty_workspace_and_bad_options(workspace: Workspace) -> None:
    assert_frame_equal(detect_anomalies(workspace), pl.DataFrame(schema=SCHEMA))
    with pytest.raises(CloudOptimaError, match="direction"):
        detect_anomalies(workspace, direction="down")  # type: ignore[arg-type]
    with pytest.raises(CloudOptimaError, match="unknown cost metric"):
        detect_anomalies(workspace, metric="ListCost")
    with pytest.raises(CloudOptimaError, match="cannot group costs by"):
        detect_anomalies(workspace, by="Nonsense")


@pytest.fixture(scope="module")
def demo_anomalies(demo_workspace: Workspace) -> pl.DataFrame:
    return detect_anomalies(demo_workspace)


def test_demo_planted_anomalies_are_found_with_their_resource(
    demo_anomalies: pl.DataFrame, demo_truth: dict[str, Any]
) -> None:
    for planted in demo_truth["anomalies"]:
        match = demo_anomalies.filter(
            pl.col("date") == date.fromisoformat(planted["date"]),
            pl.col("dimension") == planted["dimension"],
            pl.col("value") == planted["value"],
        )
        assert match.height == 1, planted
        flag = match.row(0, named=True)
        assert flag["actual"] == pytest.approx(planted["actual"], abs=1e-6)
        assert flag["expected"] == pytest.approx(planted["expected"], rel=0.1)
        assert flag["contributors"][0]["resource_id"] == planted["resource_ids"][0]


def test_demo_has_few_other_flags(demo_anomalies: pl.DataFrame, demo_truth: dict[str, Any]) -> None:
    # Besides the 4 planted days: the same two events seen from the other dimension
    # (the GPU scale set is a new service for 3 days; the backfill lifts its
    # subscription) and, at most, the first days of one real level shift, until the
    # 7-day median takes it in.
    planted = {r for a in demo_truth["anomalies"] for r in a["resource_ids"]}
    tops = demo_anomalies.get_column("contributors").list.first().struct.field("resource_id")
    unexplained = demo_anomalies.filter(~tops.is_in(list(planted)))
    assert demo_anomalies.height <= 12
    assert unexplained.height <= 4
    assert unexplained.get_column("value").n_unique() <= 1


# -- events and their status ------------------------------------------------------------------


def test_flags_sharing_resources_are_one_event_with_names(demo_workspace: Workspace) -> None:
    flags = detect_anomalies(demo_workspace)
    events = demo_workspace.anomalies()
    adf = flags.filter(pl.col("date") == date(2026, 10, 17))
    assert set(adf["dimension"]) == {"ServiceName", "SubAccountId"}  # flagged twice...
    [event] = events.filter(pl.col("date") == date(2026, 10, 17)).to_dicts()  # ...one event
    assert event["title"] == "Azure Data Factory in Contoso Pharma Production"
    assert event["services"] == ["Azure Data Factory"]
    assert event["subscriptions"] == ["Contoso Pharma Production"]
    assert event["contributors"][0]["name"] == "adf-cp-prod-etl"
    assert event["status"] == "open"
    assert events.height < flags.height
    assert events["anomaly_id"].n_unique() == events.height


def test_anomaly_status_is_kept_and_checked(demo_workspace: Workspace, tmp_path: Path) -> None:
    ws = copy_workspace(demo_workspace, tmp_path / "ws")
    event = ws.anomalies().row(0, named=True)
    with pytest.raises(CloudOptimaError, match="needs a reason"):
        ws.set_anomaly_status(event["anomaly_id"], "dismissed")
    with pytest.raises(CloudOptimaError, match="no anomaly with id 'anomaly:nope'"):
        ws.set_anomaly_status("anomaly:nope", "acknowledged")
    with pytest.raises(CloudOptimaError, match="unknown status"):
        ws.set_anomaly_status(event["anomaly_id"], "closed")
    generation = ws.data_version
    ws.set_anomaly_status(event["anomaly_id"], "acknowledged", by="ann")
    assert ws.anomalies(status="acknowledged")["anomaly_id"].to_list() == [event["anomaly_id"]]
    assert ws.data_version == generation  # a status change never copies the cost data
