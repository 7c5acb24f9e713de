"""Write FocusCost rows the way Cost Management delivers them.

Closed months are single CSV files (``focuscost_YYYY-MM.csv``); the current month
is a scheduled month-to-date export run: a folder with ``manifest.json`` and two
partitioned Parquet files.
"""

from __future__ import annotations

import calendar
import json
import random
from datetime import timedelta
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cloudoptima.demo.estate import Estate, new_guid
from cloudoptima.demo.focus_rows import COLUMN_TYPES, FOCUS_HEADER
from cloudoptima.storage.schema import MONEY, QUANTITY

EXPORT_NAME = "focuscost-export"
ROOT_FOLDER = "cost-exports"
PARQUET_PARTS = 2
MONEY_TYPE = pa.decimal128(38, 10)
TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")


def write_cost_exports(rows: pl.DataFrame, estate: Estate, costs_dir: Path) -> list[Path]:
    """Write all cost rows; return the files and the export-run folder in ingest order."""
    costs_dir.mkdir(parents=True, exist_ok=True)
    current = estate.end.strftime("%Y-%m")
    months = sorted(set(rows.get_column("_month").to_list()))
    paths = []
    for month in months:
        frame = rows.filter(pl.col("_month") == month).drop("_month")
        if month == current:
            paths.append(_write_export_run(frame, estate, costs_dir))
        else:
            path = costs_dir / f"focuscost_{month}.csv"
            frame.write_csv(path)
            paths.append(path)
    return paths


def _arrow_column(values: pa.Array, column: str) -> pa.Array:
    """Cast one text column to the type the FocusCost Parquet export uses."""
    kind = COLUMN_TYPES[column]
    if kind == MONEY:
        return pc.cast(values, MONEY_TYPE)
    if kind == QUANTITY:
        return pc.cast(values, pa.float64())
    if kind == "TIMESTAMP":
        parsed = pc.strptime(values, format="%Y-%m-%dT%H:%M:%SZ", unit="us")
        return parsed.cast(TIMESTAMP_TYPE)
    if kind == "BOOLEAN":
        return pc.cast(values, pa.bool_())
    return values


def to_arrow(frame: pl.DataFrame) -> pa.Table:
    """Return the rows as an Arrow table with typed costs, quantities and timestamps."""
    text = frame.to_arrow()
    columns = [_arrow_column(text.column(name).combine_chunks(), name) for name in FOCUS_HEADER]
    return pa.Table.from_arrays(columns, names=list(FOCUS_HEADER))


def _run_folder(estate: Estate, run_id: str) -> str:
    first = estate.end.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return f"{EXPORT_NAME}/{first:%Y%m%d}-{last:%Y%m%d}/{run_id}"


def _write_export_run(frame: pl.DataFrame, estate: Estate, costs_dir: Path) -> Path:
    run_id = new_guid(random.Random(f"export-run-{estate.seed}-{estate.end}"))
    folder = costs_dir / _run_folder(estate, run_id)
    folder.mkdir(parents=True, exist_ok=True)
    size = -(-frame.height // PARQUET_PARTS)
    blobs = []
    for part in range(PARQUET_PARTS):
        chunk = frame.slice(part * size, size)
        path = folder / f"part_{part}_0001.parquet"
        pq.write_table(to_arrow(chunk), path, compression="none")
        blob_name = f"{ROOT_FOLDER}/{_run_folder(estate, run_id)}/{path.name}"
        blobs.append(
            {"blobName": blob_name, "byteCount": path.stat().st_size, "dataRowCount": chunk.height}
        )
    manifest = _manifest(estate, run_id, blobs)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return folder


def _manifest(estate: Estate, run_id: str, blobs: list[dict[str, object]]) -> dict[str, object]:
    shared = next(s for s in estate.subscriptions if s.key == "shared")
    scope = f"/providers/Microsoft.Billing/billingAccounts/{estate.billing_account}"
    container = (
        f"/subscriptions/{shared.guid}/resourceGroups/RG-Shared-Mgmt"
        "/providers/Microsoft.Storage/storageAccounts/stcpfinops01"
    )
    submitted = estate.as_of + timedelta(hours=1, minutes=12, seconds=45)
    return {
        "manifestVersion": "2024-04-01",
        "byteCount": sum(int(str(blob["byteCount"])) for blob in blobs),
        "blobCount": len(blobs),
        "dataRowCount": sum(int(str(blob["dataRowCount"])) for blob in blobs),
        "exportConfig": {
            "exportName": EXPORT_NAME,
            "resourceId": f"{scope}/providers/Microsoft.CostManagement/exports/{EXPORT_NAME}",
            "dataVersion": "1.2",
            "apiVersion": "2023-07-01-preview",
            "type": "FocusCost",
            "timeFrame": "MonthToDate",
            "granularity": "Daily",
        },
        "deliveryConfig": {
            "partitionData": True,
            "dataOverwriteBehavior": "OverwritePreviousReport",
            "fileFormat": "Parquet",
            "compressionMode": "none",
            "containerUri": container,
            "rootFolderPath": ROOT_FOLDER,
        },
        "runInfo": {
            "executionType": "Scheduled",
            "submittedTime": f"{submitted.isoformat()}.5540000Z",
            "runId": run_id,
            "startDate": f"{estate.end.replace(day=1)}T00:00:00",
            "endDate": f"{estate.end}T00:00:00",
        },
        "blobs": blobs,
    }
