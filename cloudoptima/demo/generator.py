"""Generate the demo estate: a fictional company's Azure data in Azure's real file formats.

``generate_demo(out_dir)`` writes, for "Contoso Pharma" (3 subscriptions, 20
resource groups, about 300 resources):

- ``costs/focuscost_YYYY-MM.csv``: Microsoft FocusCost 1.2 CSV, one per closed month;
- ``costs/focuscost-export/<YYYYMMDD-YYYYMMDD>/<run id>/``: the current month as a
  scheduled export run (``manifest.json`` + two Parquet parts);
- ``inventory/resources.json``: Resource Graph rows in the ``az graph query`` shape;
- ``metrics/azuremetrics.parquet``: hourly AzureMetrics rows for the last 35 days;
- ``ground_truth.json``: every planted finding and anomaly, with the totals of the files.

The output is a pure function of ``seed`` and ``end``: the same inputs give
byte-identical files.

Examples
--------
>>> from pathlib import Path; from datetime import date
>>> files = generate_demo(Path("/tmp/demo"), seed=7, end=date(2025, 6, 18))  # doctest: +SKIP
>>> files.ground_truth.name  # doctest: +SKIP
'ground_truth.json'
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cloudoptima.demo.builder import build_estate
from cloudoptima.demo.exports import write_cost_exports
from cloudoptima.demo.focus_rows import focus_rows
from cloudoptima.demo.ledger import build_ledger
from cloudoptima.demo.resource_graph import write_inventory
from cloudoptima.demo.tagging import plant_tag_gaps
from cloudoptima.demo.telemetry import generate_metrics, write_metrics
from cloudoptima.demo.truth import ground_truth

__all__ = ["DemoFiles", "generate_demo"]

# Folders the generator owns inside ``out_dir``; they are replaced on every run.
OUTPUT_FOLDERS = ("costs", "inventory", "metrics")


@dataclass(frozen=True)
class DemoFiles:
    """Where the demo files were written, in the order to ingest them."""

    costs: list[Path]  # cost export files/folders, in the order to ingest
    inventory: list[Path]  # Resource Graph JSON file(s)
    metrics: list[Path]  # AzureMetrics Parquet file(s)
    ground_truth: Path  # JSON with the planted findings, anomalies and totals
    as_of: datetime  # naive UTC time of the inventory snapshot


def generate_demo(out_dir: Path, *, seed: int = 7, end: date | None = None) -> DemoFiles:
    """Write the demo estate under ``out_dir`` and return the paths written.

    ``end`` is the last day with cost data (inclusive); it defaults to yesterday
    (UTC). The ``costs``, ``inventory`` and ``metrics`` folders and
    ``ground_truth.json`` inside ``out_dir`` are replaced.
    """
    end = end or (datetime.now(UTC).date() - timedelta(days=1))
    _clear_previous_output(out_dir)
    estate = build_estate(seed, end)
    ledger = build_ledger(estate, seed)
    plant_tag_gaps(estate, ledger)
    costs = write_cost_exports(focus_rows(estate, ledger), estate, out_dir / "costs")
    inventory = write_inventory(estate, out_dir / "inventory" / "resources.json")
    metrics = generate_metrics(estate, seed)
    metrics_path = write_metrics(estate, metrics, out_dir / "metrics" / "azuremetrics.parquet")
    truth_path = out_dir / "ground_truth.json"
    truth = ground_truth(estate, ledger, metrics)
    truth_path.write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return DemoFiles(costs, [inventory], [metrics_path], truth_path, estate.as_of)


def _clear_previous_output(out_dir: Path) -> None:
    # A previous run with another ``end`` leaves other month files behind, which
    # an ingest of the whole folder would double count.
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in OUTPUT_FOLDERS:
        shutil.rmtree(out_dir / name, ignore_errors=True)
    (out_dir / "ground_truth.json").unlink(missing_ok=True)
