"""The Workspace: the one façade the CLI, notebooks, app pages and report drive.

A workspace is a folder holding one organisation's data: versioned DuckDB files
(see :mod:`cloudoptima.storage.store`) and ``raw/``, a copy of every imported file.

Examples
--------
>>> import cloudoptima, tempfile
>>> ws = cloudoptima.Workspace.open(tempfile.mkdtemp())
>>> ws.imports().height
0
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from cloudoptima.ingest.detect import Detected
from cloudoptima.ingest.importer import ImportOptions, ImportResult, expand_inputs, import_one
from cloudoptima.settings import workspace_path
from cloudoptima.storage.store import Store

# Ingest runs with a bounded DuckDB memory so a 10M-row export fits a laptop.
INGEST_MEMORY_LIMIT = "1GB"

ProgressCallback = Callable[[int, int, Path], None]


class Workspace:
    """One organisation's cost, inventory and metrics data."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = Store(root)
        self.raw_dir = root / "raw"
        self._reader: duckdb.DuckDBPyConnection | None = None
        self._reader_generation = -1

    @classmethod
    def open(cls, path: str | Path | None = None) -> Workspace:
        """Open the workspace at ``path`` (default: settings), creating or upgrading it."""
        ws = cls(workspace_path(path))
        if ws.store.live_path() is None or ws.store.needs_upgrade():
            with ws.store.write():
                pass  # the write migrates the schema and publishes it
        return ws

    @property
    def data_version(self) -> int:
        """Changes whenever data is written; key caches on it."""
        return self.store.generation()

    def is_empty(self) -> bool:
        """True when nothing was imported yet."""
        return bool(self.sql("SELECT count(*) AS n FROM imports").item() == 0)

    # -- reading -----------------------------------------------------------
    def sql(self, query: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        """Run a read-only query on the live data and return a Polars frame."""
        cursor = self._connection().cursor()
        try:
            table = cursor.sql(query, params=list(params or [])).to_arrow_table()
            frame = pl.from_arrow(table)
            assert isinstance(frame, pl.DataFrame)
            return frame
        finally:
            cursor.close()

    def _connection(self) -> duckdb.DuckDBPyConnection:
        generation = self.store.generation()
        if self._reader is None or generation != self._reader_generation:
            if self._reader is not None:
                self._reader.close()
            self._reader, self._reader_generation = self.store.connect_reader()
        return self._reader

    def close(self) -> None:
        """Release the read connection."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def imports(self) -> pl.DataFrame:
        """The import log, newest first."""
        return self.sql("SELECT * FROM imports ORDER BY import_id DESC")

    def totals(self) -> pl.DataFrame:
        """Per billing currency: billed and effective cost, rows and date range."""
        return self.sql(
            """SELECT BillingCurrency, sum(BilledCost) AS BilledCost, sum(EffectiveCost) AS EffectiveCost,
                      count(*) AS rows, min(ChargePeriodStart)::DATE AS first_day,
                      (max(ChargePeriodEnd) - INTERVAL 1 DAY)::DATE AS last_day,
                      count(DISTINCT ResourceId) AS resources
               FROM costs GROUP BY BillingCurrency ORDER BY BillingCurrency"""
        )

    def freshness(self) -> pl.DataFrame:
        """Per data source: when it was last imported and the newest data it holds."""
        return self.sql(
            """WITH latest AS (SELECT kind, max(finished_at) AS last_import, count(*) AS imports
                               FROM imports WHERE status = 'loaded' GROUP BY kind),
                    through AS (SELECT 'cost' AS kind, max(ChargePeriodStart) AS data_through FROM costs
                                UNION ALL SELECT 'inventory', max(last_seen) FROM resources
                                UNION ALL SELECT 'metrics', max(timestamp) FROM metrics)
               SELECT kind, last_import, data_through, imports FROM latest LEFT JOIN through USING (kind)
               ORDER BY kind"""
        )

    def costs(
        self,
        by: str | Sequence[str] = (),
        *,
        start: date | None = None,
        end: date | None = None,
        metric: str | None = None,
        grain: str | None = None,
        filters: Mapping[str, Any] | None = None,
        inherit_tags: bool = False,
    ) -> pl.DataFrame:
        """Billed and/or effective cost grouped by FOCUS columns or ``tag:KEY``, per currency.

        ``start``/``end`` are inclusive days; ``grain`` (day, week, month) adds a
        ``period`` column; ``filters`` maps dimensions to wanted values. Costs in
        different currencies are never added: BillingCurrency is always a group column.
        """
        from cloudoptima.analysis.costs import breakdown

        return breakdown(self, by, start=start, end=end, metric=metric, grain=grain, filters=filters,
                         inherit_tags=inherit_tags)  # fmt: skip

    def cost_changes(self, by: str | Sequence[str] = (), **options: Any) -> pl.DataFrame:
        """Month over month, or month to date against the same days last month (``mode="mtd"``)."""
        from cloudoptima.analysis.costs import cost_changes

        return cost_changes(self, by, **options)

    def top_movers(self, by: str = "ServiceName", **options: Any) -> pl.DataFrame:
        """Largest absolute and relative increases, with the resources behind them."""
        from cloudoptima.analysis.costs import top_movers

        return top_movers(self, by, **options)

    def tag_coverage(
        self, required_tags: Sequence[str] | None = None, **options: Any
    ) -> pl.DataFrame:
        """Share of spend without each required tag (default: the workspace's required tags)."""
        from cloudoptima.analysis.tags import tag_coverage

        return tag_coverage(self, required_tags or self.settings()["required_tags"], **options)

    def showback(self, tag_key: str, **options: Any) -> pl.DataFrame:
        """Chargeback table by one tag's values, with an "(unallocated)" row."""
        from cloudoptima.analysis.tags import showback

        return showback(self, tag_key, **options)

    def anomalies(self, **options: Any) -> pl.DataFrame:
        """Daily cost spikes per service and per subscription, with the resources behind them."""
        from cloudoptima.analysis.anomalies import detect_anomalies

        return detect_anomalies(self, **options)

    def rate_optimization(self, **options: Any) -> dict[str, pl.DataFrame]:
        """Commitment utilization and coverage, and negotiated/commitment savings with the ESR."""
        from cloudoptima.analysis.rates import rate_optimization

        return rate_optimization(self, **options)

    def forecast(self, **options: Any) -> Any:
        """Prophet daily forecast from the day after the last cost day, with intervals and backtest.

        Returns a :class:`cloudoptima.analysis.forecast.ForecastResult`; needs the
        ``forecast`` extra (``pip install 'cloudoptima[forecast]'``).
        """
        from cloudoptima.analysis.forecast import forecast

        return forecast(self, **options)

    def backtest(self, **options: Any) -> pl.DataFrame:
        """Rolling-origin MAPE and sMAPE of Prophet next to a seasonal-naive baseline."""
        from cloudoptima.analysis.forecast import backtest

        return backtest(self, **options)

    # -- writing -----------------------------------------------------------
    def ingest(
        self,
        paths: Iterable[str | Path],
        *,
        kind: str | None = None,
        currency: str | None = None,
        seen_at: datetime | None = None,
        progress: ProgressCallback | None = None,
        before_commit: Callable[[Detected], None] | None = None,
        progress_bar: bool = False,
    ) -> list[ImportResult]:
        """Import files or export folders; each one is its own all-or-nothing import.

        ``progress`` is called before each input; ``progress_bar`` prints DuckDB's
        bar on stdout while a large file loads.
        """
        inputs = expand_inputs(Path(p) for p in paths)
        options = ImportOptions(kind, currency, seen_at, self.raw_dir, before_commit)
        results: list[ImportResult] = []
        with self.store.write(memory_limit=INGEST_MEMORY_LIMIT, progress_bar=progress_bar) as con:
            for index, path in enumerate(inputs):
                if progress:
                    progress(index, len(inputs), path)
                results.append(import_one(con, path, options))
        if progress:
            progress(len(inputs), len(inputs), Path())
        return results

    def build_demo(self, *, seed: int = 7, end: date | None = None) -> list[ImportResult]:
        """Generate the demo estate under ``demo-source/`` and import it like real files."""
        from cloudoptima.demo.generator import generate_demo

        files = generate_demo(self.root / "demo-source", seed=seed, end=end)
        inputs = [*files.costs, *files.inventory, *files.metrics]
        return self.ingest(inputs, seen_at=files.as_of)

    # -- findings ----------------------------------------------------------
    def findings(
        self, *, rule: str | None = None, status: str | None = None, refresh: bool = True
    ) -> pl.DataFrame:
        """Recommendations with savings and lifecycle; re-analyses when data or settings changed."""
        from cloudoptima.analysis import findings

        return findings.findings(self, rule=rule, status=status, refresh=refresh)

    def analyze(self) -> pl.DataFrame:
        """Run every rule now and store the findings (statuses are kept)."""
        from cloudoptima.analysis import findings

        return findings.analyze(self)

    def set_finding_status(
        self,
        finding_id: str,
        status: str,
        *,
        reason: str | None = None,
        until: date | None = None,
        on: date | None = None,
    ) -> dict[str, Any]:
        """Dismiss (with ``reason``), snooze (``until``), resolve (``on``) or reopen a finding."""
        from cloudoptima.analysis import findings

        return findings.set_status(self, finding_id, status, reason=reason, until=until, on=on)

    def realized_savings(self) -> pl.DataFrame:
        """Measured drop in daily cost of each resolved finding's resource."""
        from cloudoptima.analysis import findings

        return findings.realized_savings(self)

    def settings(self) -> dict[str, Any]:
        """Analysis settings: defaults overlaid with this workspace's values."""
        from cloudoptima.analysis.config import read_settings

        return read_settings(self)

    def set_setting(self, key: str, value: Any) -> None:
        """Store one analysis setting (validated against its default's type)."""
        import json

        from cloudoptima.analysis.config import validate_setting

        value = validate_setting(key, value)
        with self.store.write() as con:
            con.execute(
                "INSERT OR REPLACE INTO settings VALUES (?, ?::JSON)", [key, json.dumps(value)]
            )

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r}, data_version={self.data_version})"
