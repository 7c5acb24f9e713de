"""Metrics parsing: Azure Monitor JSON and AzureMetrics CSV/Parquet exports into metric rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cloudoptima.errors import IngestError
from cloudoptima.ingest.metrics import metrics_format, parse_metrics
from cloudoptima.storage.schema import METRIC_COLUMNS

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
# Written independently of the code under test: SQL type -> Polars dtype.
DTYPES = {"VARCHAR": pl.String, "DOUBLE": pl.Float64, "TIMESTAMP": pl.Datetime("us")}
SCHEMA = {name: DTYPES[sql] for name, sql in METRIC_COLUMNS.items() if name != "_import_id"}
VM = "/subscriptions/s1/resourceGroups/Prod/providers/Microsoft.Compute/virtualMachines/vm1"
CSV_HEADER = (
    "TenantId,SourceSystem,TimeGenerated,ResourceId,MetricName,"
    "Total,Count,Maximum,Minimum,Average,TimeGrain,UnitName"
)


def sample(name: str) -> Path:
    """Path of a shared sample; fail (not skip) when the shared folder is missing."""
    if not SAMPLES.is_dir():
        pytest.fail(f"shared samples not found at {SAMPLES}; clone them next to the repository")
    path = SAMPLES / name
    assert path.is_file(), f"sample {path} is missing"
    return path


def rows(*values: dict[str, Any]) -> pl.DataFrame:
    """A frame of the output schema; unspecified columns are null, dimensions '{}'."""
    return pl.DataFrame(
        [{**dict.fromkeys(SCHEMA), "dimensions": "{}", **v} for v in values], SCHEMA
    )


def response(points: list[dict[str, Any]], interval: str = "PT1H", **metric: Any) -> dict[str, Any]:
    """A one-metric Azure Monitor response for the VM above."""
    return {
        "timespan": "2025-01-01T00:00:00Z/2025-01-02T00:00:00Z",
        "interval": interval,
        "value": [
            {
                "id": f"{VM}/providers/Microsoft.Insights/metrics/Percentage CPU",
                "type": "Microsoft.Insights/metrics",
                "name": {"value": "Percentage CPU", "localizedValue": "Percentage CPU"},
                "unit": "Percent",
                "timeseries": [{"metadatavalues": [], "data": points}],
                **metric,
            }
        ],
        "namespace": "Microsoft.Compute/virtualMachines",
    }


def cpu(hour: int, **aggregates: float) -> dict[str, Any]:
    """An expected row of the VM's 'Percentage CPU' metric."""
    return {
        "resource_id": VM.lower(),
        "metric": "Percentage CPU",
        "timestamp": datetime(2025, 1, 1, hour),
        "grain": "PT1H",
        "unit": "Percent",
        **aggregates,
    }


def write_csv(tmp_path: Path, text: str, name: str = "metrics.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


# --- detection ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("azure-rest/monitor_vm_metrics_captured_response.json", "monitor-json"),
        ("azure-rest/monitor_GetMetric_2023-10-01.json", "monitor-json"),
        ("azure-rest/resourcegraph_ResourcesBasicQuery_2021-03-01.json", None),
        ("azure-rest/compute_Disk_ListBySubscription_2024-03-02.json", None),
        ("azure-rest/costmanagement_BillingAccountQuery_2023-11-01.json", None),
        ("cost-exports/ftk_EA_ActualCost_Small.csv", None),
        ("lookup/ftk_open-data_Regions.csv", None),
    ],
)
def test_detects_format_of_samples(name: str, fmt: str | None) -> None:
    assert metrics_format(sample(name)) == fmt


# --- Azure Monitor JSON -------------------------------------------------------------


def test_captured_vm_response() -> None:
    frame = parse_metrics(sample("azure-rest/monitor_vm_metrics_captured_response.json"))
    vm = (
        "/subscriptions/166157a8-9ce9-400b-91c7-1d42482b83d6/resourcegroups/aks-rg"
        "/providers/microsoft.compute/virtualmachines/centos7.9"
    )
    assert frame.schema == pl.Schema(SCHEMA)
    assert frame.height == 48
    counts = frame.group_by("metric", "unit").len().sort("metric")
    assert counts.rows() == [
        ("Available Memory Percentage", "Percent", 12),
        ("Network In Total", "Bytes", 12),
        ("Network Out Total", "Bytes", 12),
        ("Percentage CPU", "Percent", 12),
    ]
    assert frame.select(pl.col("resource_id", "grain", "dimensions").unique()).rows() == [
        (vm, "PT1M", "{}")
    ]
    network_in = {"resource_id": vm, "metric": "Network In Total", "grain": "PT1M", "unit": "Bytes"}
    assert_frame_equal(
        frame.head(2),
        rows(
            {**network_in, "timestamp": datetime(2025, 4, 11, 8, 38), "total": 0.0},
            {**network_in, "timestamp": datetime(2025, 4, 11, 8, 39), "total": 360.0},
        ),
    )
    cpu_last = frame.filter(pl.col("metric") == "Percentage CPU").tail(1)
    assert cpu_last.select("timestamp", "average").rows() == [(datetime(2025, 4, 11, 8, 49), 0.25)]


def test_spec_example_split_by_dimension() -> None:
    frame = parse_metrics(sample("azure-rest/monitor_GetMetric_2023-10-01.json"))
    blob = (
        "/subscriptions/1f3fa6d2-851c-4a91-9087-1a050f3a9c38/resourcegroups/todking/providers"
        "/microsoft.storage/storageaccounts/tkfileserv/blobservices/default"
    )
    assert frame.height == 50
    tiers = frame.filter(pl.col("metric") == "BlobCount")["dimensions"].unique(maintain_order=True)
    assert tiers.to_list() == [
        '{"tier":"Hot"}',
        '{"tier":"Standard"}',
        '{"tier":"Cool"}',
        '{"tier":"Archive"}',
        '{"tier":"Untiered"}',
    ]
    hot = {"resource_id": blob, "metric": "BlobCount", "dimensions": '{"tier":"Hot"}'}
    point = {"grain": "PT1H", "unit": "Count", "average": 7.0, "maximum": 7.0, "minimum": 7.0}
    assert_frame_equal(
        frame.head(2),
        rows(
            {**hot, **point, "timestamp": datetime(2021, 4, 20, 9)},
            {**hot, **point, "timestamp": datetime(2021, 4, 20, 10)},
        ),
    )
    capacity = frame.filter(
        pl.col("metric") == "BlobCapacity", pl.col("dimensions").str.contains("Standard")
    )
    assert capacity["average"].to_list() == [621492.0] * 5


def test_points_without_aggregates_are_skipped_and_integers_become_floats(tmp_path: Path) -> None:
    points = [
        {"timeStamp": "2025-01-01T00:00:00Z", "average": 5, "maximum": 9},
        {"timeStamp": "2025-01-01T01:00:00Z"},
        {"timeStamp": "2025-01-01T02:00:00Z", "total": 0, "count": 2},
    ]
    path = tmp_path / "m.json"
    path.write_text(json.dumps(response(points)), encoding="utf-8")
    assert_frame_equal(
        parse_metrics(path),
        rows(cpu(0, average=5.0, maximum=9.0), cpu(2, total=0.0, count=2.0)),
    )


def test_array_of_responses_and_json_lines_give_the_same_rows(tmp_path: Path) -> None:
    first = response([{"timeStamp": "2025-01-01T00:00:00Z", "average": 1.5}])
    second = response([{"timeStamp": "2025-01-01T01:00:00Z", "average": 2.5}])
    array = tmp_path / "array.json"
    array.write_text(json.dumps([first, second], indent=2), encoding="utf-8")
    lines = tmp_path / "lines.jsonl"
    lines.write_text(f"{json.dumps(first)}\n\n{json.dumps(second)}\n", encoding="utf-8")
    want = rows(cpu(0, average=1.5), cpu(1, average=2.5))
    for path in (array, lines):
        assert metrics_format(path) == "monitor-json"
        assert_frame_equal(parse_metrics(path), want)


@pytest.mark.parametrize(
    ("interval", "grain"),
    [
        ("PT5M", "PT5M"),
        ("0:05:00", "PT5M"),
        ("1:00:00", "PT1H"),
        ("1 day, 0:00:00", "P1D"),
        (None, None),
    ],
)
def test_az_cli_timedelta_intervals_become_iso_durations(
    tmp_path: Path, interval: str | None, grain: str | None
) -> None:
    path = tmp_path / "m.json"
    doc = response(
        [{"timeStamp": "2025-01-01T00:00:00+00:00", "average": 1}], interval=interval or ""
    )
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert parse_metrics(path)["grain"].to_list() == [grain]


@pytest.mark.parametrize(
    ("metric", "points", "message", "column"),
    [
        (
            {"id": None},
            [{"timeStamp": "2025-01-01T00:00:00Z", "average": 1}],
            "the metric has no id",
            "id",
        ),
        (
            {"id": VM},
            [{"timeStamp": "2025-01-01T00:00:00Z", "average": 1}],
            "does not contain",
            "id",
        ),
        (
            {},
            [{"timeStamp": "2025-01-01T00:00:00Z", "average": "high"}],
            "average is not a number",
            "average",
        ),
        ({}, [{"timeStamp": "yesterday", "average": 1}], "not an ISO 8601 timestamp", "timeStamp"),
        ({}, [{"average": 1}], "has no timeStamp", "timeStamp"),
        (
            {"name": {}},
            [{"timeStamp": "2025-01-01T00:00:00Z", "average": 1}],
            "has no name",
            "name",
        ),
    ],
)
def test_bad_monitor_json_names_the_metric_and_field(
    tmp_path: Path, metric: dict[str, Any], points: list[dict[str, Any]], message: str, column: str
) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps(response(points, **metric)), encoding="utf-8")
    with pytest.raises(IngestError, match=f"response 1, metric 1: .*{message}") as info:
        parse_metrics(path)
    assert info.value.column == column


def test_malformed_json_line_is_reported_with_its_line(tmp_path: Path) -> None:
    good = json.dumps(response([{"timeStamp": "2025-01-01T00:00:00Z", "average": 1}]))
    path = tmp_path / "m.jsonl"
    path.write_text(f"{good}\n{good[:40]}\n", encoding="utf-8")
    assert metrics_format(path) is None
    with pytest.raises(IngestError, match="is not valid JSON") as info:
        parse_metrics(path, "monitor-json")
    assert info.value.line == 2


def test_json_that_is_not_a_metrics_response_is_rejected() -> None:
    with pytest.raises(IngestError, match="not an Azure Monitor metrics response"):
        parse_metrics(
            sample("azure-rest/resourcegraph_ResourcesBasicQuery_2021-03-01.json"), "monitor-json"
        )
    with pytest.raises(IngestError, match="not a metrics file"):
        parse_metrics(sample("azure-rest/resourcegraph_ResourcesBasicQuery_2021-03-01.json"))


# --- AzureMetrics CSV and Parquet ---------------------------------------------------


def test_azure_metrics_csv_with_bom_upper_case_ids_and_iso_variants(tmp_path: Path) -> None:
    upper = VM.upper()
    text = "\n".join(
        [
            "tenantid,SourceSystem,TimeGenerated [UTC],RESOURCEID,metricname,"
            "Total,Count,Maximum,Minimum,Average,TimeGrain,UnitName",
            f"w,Azure,2025-01-01T00:00:00.1234567Z,{upper},Percentage CPU,10,2,7,3,5,PT1H,Percent",
            f"w,Azure,2025-01-01 01:00:00,{upper},Percentage CPU,,,,,,PT1H,Percent",
            f"w,Azure,2025-01-01T04:00:00+02:00,{upper},Percentage CPU, 4 ,1,4,4,4,PT1H,Percent",
            f"w,Azure,2025-01-01T03:00:00.5Z,{upper},Percentage CPU,1e3,,,,,PT1H,Percent",
        ]
    )
    path = write_csv(tmp_path, text + "\n", bom=True)
    assert metrics_format(path) == "azure-metrics-csv"
    want = rows(
        {
            **cpu(0, total=10.0, count=2.0, maximum=7.0, minimum=3.0, average=5.0),
            "timestamp": datetime(2025, 1, 1, 0, 0, 0, 123456),
        },
        cpu(2, total=4.0, count=1.0, maximum=4.0, minimum=4.0, average=4.0),
        {**cpu(3, total=1000.0), "timestamp": datetime(2025, 1, 1, 3, 0, 0, 500000)},
    )
    assert_frame_equal(parse_metrics(path), want)


def test_parquet_with_string_or_datetime_timestamps(tmp_path: Path) -> None:
    base = {
        "ResourceId": [VM.upper(), VM.upper()],
        "MetricName": ["Percentage CPU", "Percentage CPU"],
        "Average": [5.0, None],
        "Maximum": [7, 8],
        "TimeGrain": ["PT1H", "PT1H"],
        "UnitName": ["Percent", "Percent"],
    }
    as_text = pl.DataFrame(
        {**base, "TimeGenerated": ["2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z"]}
    )
    stamps = [datetime(2025, 1, 1, 0, tzinfo=UTC), datetime(2025, 1, 1, 1, tzinfo=UTC)]
    as_datetime = pl.DataFrame({**base, "TimeGenerated": stamps}).with_columns(
        pl.col("TimeGenerated").dt.convert_time_zone("Europe/Berlin")
    )
    want = rows(cpu(0, average=5.0, maximum=7.0), cpu(1, maximum=8.0))
    for name, frame in (("text.parquet", as_text), ("datetime.parquet", as_datetime)):
        path = tmp_path / name
        frame.write_parquet(path)
        assert metrics_format(path) == "azure-metrics-parquet"
        assert_frame_equal(parse_metrics(path), want)


def test_lower_case_resource_id_column_is_a_fallback(tmp_path: Path) -> None:
    header = "TimeGenerated,_ResourceId,MetricName,Average"
    text = f"{header}\n2025-01-01T00:00:00Z,{VM.lower()},Percentage CPU,5\n"
    frame = parse_metrics(write_csv(tmp_path, text))
    assert_frame_equal(frame, rows({**cpu(0, average=5.0), "grain": None, "unit": None}))


def test_header_only_csv_gives_an_empty_frame(tmp_path: Path) -> None:
    frame = parse_metrics(write_csv(tmp_path, CSV_HEADER + "\n"))
    assert_frame_equal(frame, pl.DataFrame(schema=SCHEMA))


@pytest.mark.parametrize("missing", ["ResourceId", "MetricName", "TimeGenerated"])
def test_missing_required_column_is_named(tmp_path: Path, missing: str) -> None:
    header = [name for name in CSV_HEADER.split(",") if name != missing]
    path = write_csv(tmp_path, ",".join(header) + "\n")
    with pytest.raises(IngestError, match=f"required column {missing} is missing") as info:
        parse_metrics(path, "azure-metrics-csv")
    assert info.value.column == missing


def test_missing_every_aggregate_column_is_an_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "TimeGenerated,ResourceId,MetricName,TimeGrain\n")
    assert metrics_format(path) == "azure-metrics-csv"
    with pytest.raises(
        IngestError, match="at least one of Total, Count, Maximum, Minimum or Average"
    ):
        parse_metrics(path)


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        (
            "2025-01-01T02:00:00Z,{vm},Percentage CPU,1,1,1,1,n/a",
            "Average",
            "is not a number: 'n/a'",
        ),
        ("2025-01-01T02:00:00Z,{vm},Percentage CPU,1,1,1,1,1.5.2", "Average", "is not a number"),
        (
            "01/01/2025 02:00,{vm},Percentage CPU,1,1,1,1,1",
            "TimeGenerated",
            "is not an ISO 8601 timestamp",
        ),
        (
            "2025-13-01T02:00:00Z,{vm},Percentage CPU,1,1,1,1,1",
            "TimeGenerated",
            "is not an ISO 8601",
        ),
        (",{vm},Percentage CPU,1,1,1,1,1", "TimeGenerated", "TimeGenerated is empty"),
        ("2025-01-01T02:00:00Z,{vm},,1,1,1,1,1", "MetricName", "MetricName is empty"),
    ],
)
def test_bad_value_names_column_row_and_line(
    tmp_path: Path, cells: str, column: str, message: str
) -> None:
    header = "TimeGenerated,ResourceId,MetricName,Total,Count,Maximum,Minimum,Average"
    good = f"2025-01-01T00:00:00Z,{VM},Percentage CPU,1,1,1,1,1"
    # The second data row holds a quoted line break, so row 3 starts on line 5, not line 4.
    multi_line = f'2025-01-01T01:00:00Z,{VM},"Percentage\nCPU",1,1,1,1,1'
    path = write_csv(tmp_path, "\n".join([header, good, multi_line, cells.format(vm=VM)]) + "\n")
    with pytest.raises(IngestError, match=message) as info:
        parse_metrics(path)
    assert (info.value.row, info.value.line, info.value.column) == (3, 5, column)
    assert f"metrics.csv, row 3, line 5, column '{column}'" in str(info.value)


def test_bad_value_in_parquet_has_a_row_but_no_line(tmp_path: Path) -> None:
    path = tmp_path / "m.parquet"
    frame = {
        "TimeGenerated": ["2025-01-01T00:00:00Z", "soon"],
        "ResourceId": [VM, VM],
        "MetricName": ["Percentage CPU"] * 2,
        "Average": ["1", "2"],
    }
    pl.DataFrame(frame).write_parquet(path)
    with pytest.raises(
        IngestError, match="TimeGenerated is not an ISO 8601 timestamp: 'soon'"
    ) as info:
        parse_metrics(path)
    assert (info.value.row, info.value.line) == (2, None)


def test_unknown_format_name_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown metrics format"):
        parse_metrics(write_csv(tmp_path, CSV_HEADER + "\n"), "prometheus")


def test_damaged_parquet_is_not_detected_and_parse_explains(tmp_path: Path) -> None:
    path = tmp_path / "m.parquet"
    path.write_bytes(b"PAR1 this is not a parquet file")
    assert metrics_format(path) is None
    with pytest.raises(IngestError, match="is not a readable Parquet file"):
        parse_metrics(path, "azure-metrics-parquet")
