"""The Workspace: the one façade the CLI, notebooks, app pages and report drive.

A workspace is a folder holding one organisation's data: versioned DuckDB files of
cost, inventory and metrics (:mod:`cloudoptima.storage.store`), ``state.sqlite`` with
what users change often (:mod:`cloudoptima.storage.state`) and ``raw/``, a copy of
every imported file. The façade composes the layers; none of them calls back up:
analyses get a :class:`~cloudoptima.storage.reader.Reader`, and every write goes
through a method here.

Examples
--------
>>> import cloudoptima, tempfile
>>> ws = cloudoptima.Workspace.open(tempfile.mkdtemp() + "/ws", create=True)
>>> ws.imports().height
0
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from cloudoptima.analysis import findings as findings_engine
from cloudoptima.analysis import resources as inventory
from cloudoptima.analysis.anomalies import Direction, detect_anomalies
from cloudoptima.analysis.config import resolve_settings, rule_settings, validate_setting
from cloudoptima.analysis.costs import FilterValue, breakdown, cost_changes, top_movers
from cloudoptima.analysis.coverage import data_coverage
from cloudoptima.analysis.dimensions import last_cost_day
from cloudoptima.analysis.rate_summary import rates_by_month
from cloudoptima.analysis.rates import RateOptimization, rate_optimization
from cloudoptima.analysis.tags import showback, tag_coverage
from cloudoptima.errors import CloudOptimaError, WorkspaceError
from cloudoptima.reference.currencies import check_currency
from cloudoptima.storage.migrations import SCHEMA_VERSION
from cloudoptima.storage.reader import ConnectionReader, Reader, SharedReader
from cloudoptima.storage.state import STORED_FINDING_COLUMNS, StateStore, utc_now
from cloudoptima.storage.store import Store, WriteTx

if TYPE_CHECKING:  # imported where used: the command line starts faster without them
    from cloudoptima.ai.answer import Answer
    from cloudoptima.analysis.forecast import ForecastResult
    from cloudoptima.azure.access import AccessReport
    from cloudoptima.azure.connections import Connections
    from cloudoptima.azure.options import SyncOptions, SyncProgress
    from cloudoptima.azure.report import SyncReport
    from cloudoptima.ingest.detect import Detected
    from cloudoptima.ingest.importer import ImportOptions, ImportResult
    from cloudoptima.report.builder import Progress as ReportProgress
    from cloudoptima.report.builder import Report
    from cloudoptima.report.summary import Summariser

# Ingest runs with a bounded DuckDB memory so a 10M-row export fits a laptop.
INGEST_MEMORY_LIMIT = "1GB"

ProgressCallback = Callable[[int, int, Path], None]


class Workspace:
    """One organisation's cost, inventory and metrics data, and what users decided about it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = Store(root)
        self.state = StateStore(root)
        self.reader = SharedReader(self.store)
        self.raw_dir = root / "raw"

    # -- opening -------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path | None = None, *, create: bool = False) -> Workspace:
        """Open the workspace at ``path`` (default: settings), upgrading an older one.

        With ``create``, a new or empty folder becomes a new workspace; a folder that holds
        other files is never turned into one.
        """
        from cloudoptima.settings import workspace_path  # typed settings load only when needed

        ws = cls(workspace_path(path))
        if not ws.store.exists():
            if not create:
                raise WorkspaceError(
                    f"{ws.root} holds no CloudOptima workspace; check --workspace, or create one "
                    "with `cloudoptima ingest` or `cloudoptima demo`"
                )
            ws._create()
        elif (version := ws._schema_version()) > SCHEMA_VERSION:
            raise WorkspaceError(
                f"the workspace {ws.root} has schema version {version}, newer than this cloudoptima "
                f"understands ({SCHEMA_VERSION}); upgrade cloudoptima to open it"
            )
        elif version < SCHEMA_VERSION:
            ws._upgrade()
        else:
            ws._refresh_stale_findings()
        return ws

    def _refresh_stale_findings(self) -> None:
        """Store findings again when the rule catalogue or its settings changed since they were
        stored (a new cloudoptima): one write to the state store, never to the cost data, so
        that reads stay reads. A read-only workspace computes them per read instead."""
        if self._findings_current():
            return
        try:
            with self.store.lock():
                if self._findings_current():
                    return  # another process refreshed them while we waited
                version = self.data_version
                rows, fingerprint, as_of = self._analyse(self.reader, self.settings())
                with self.state.transaction() as tx:
                    tx.replace_findings(version, rows, fingerprint=fingerprint, as_of=as_of)
        except WorkspaceError:
            return

    def _findings_current(self) -> bool:
        run = self.state.findings_run(self.data_version)
        settings = rule_settings(self.settings())
        return run is not None and run["fingerprint"] == findings_engine.fingerprint(settings)

    def _create(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise WorkspaceError(f"{self.root} is a file, not a folder for a workspace")
        # Our own leftovers of an interrupted first creation do not make a folder foreign.
        ours = (".write.lock", "state.sqlite", "state.sqlite-wal", "state.sqlite-shm")
        if self.root.is_dir() and any(p.name not in ours for p in self.root.iterdir()):
            raise WorkspaceError(
                f"{self.root} is not empty and holds no CloudOptima workspace; "
                "give a new or empty folder"
            )
        # A new workspace holds no data, so no rule can match: evaluating the catalogue on
        # nothing cost a third of a second of every first import.
        fingerprint = findings_engine.fingerprint(rule_settings(self.settings()))
        no_findings = pl.DataFrame(schema=STORED_FINDING_COLUMNS)
        with self.store.write() as tx, self.state.transaction() as state:
            state.replace_findings(tx.generation, no_findings, fingerprint=fingerprint, as_of=None)

    def _schema_version(self) -> int:
        """The live generation's schema version, read on the connection queries will use."""
        return int(self.reader.sql("SELECT coalesce(max(version), 0) FROM schema_info").item())

    def _upgrade(self) -> None:
        """Migrate the schema; settings and statuses of version 3 move to the state store."""
        from cloudoptima.storage.legacy import move_state_out_of_duckdb

        move_state_out_of_duckdb(self.reader, self.state)
        self.reader.close()
        with self.store.write() as tx:
            self._store_findings(tx)

    @property
    def data_version(self) -> int:
        """The live generation of the cost data; changes whenever data is written."""
        return self.reader.data_version

    @property
    def state_version(self) -> int:
        """Changes whenever a setting or a finding's status changes."""
        return self.state.version()

    def close(self) -> None:
        """Release the read connection (the next query opens one again)."""
        self.reader.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r}, data_version={self.data_version})"

    # -- reading data ----------------------------------------------------------------
    def sql(self, query: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        """Run a read-only query on the live data and return a Polars frame."""
        return self.reader.sql(query, params)

    def is_empty(self) -> bool:
        """True when nothing was imported yet."""
        return bool(self.sql("SELECT count(*) AS n FROM imports").item() == 0)

    def imports(self) -> pl.DataFrame:
        """The import log, newest first."""
        return self.sql("SELECT * FROM imports ORDER BY import_id DESC")

    def totals(self, *, currency: str | None = None) -> pl.DataFrame:
        """Per billing currency: billed and effective cost, rows, date range and resources."""
        where, params = ("WHERE BillingCurrency = ?", [currency]) if currency else ("", [])
        return self.sql(
            f"""SELECT BillingCurrency, sum(BilledCost) AS BilledCost,
                       sum(EffectiveCost) AS EffectiveCost, count(*) AS rows,
                       min(ChargePeriodStart)::DATE AS first_day,
                       (max(ChargePeriodEnd) - INTERVAL 1 DAY)::DATE AS last_day,
                       count(DISTINCT ResourceId) AS resources
                FROM costs {where} GROUP BY BillingCurrency ORDER BY BillingCurrency""",
            params,
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

    def data_coverage(self) -> pl.DataFrame:
        """Per month and subscription: which datasets (actual, amortized, FOCUS cost,
        inventory, metrics) are present, through which day, and the latest import."""
        return data_coverage(self.reader)

    def last_cost_day(self) -> date | None:
        """The last day with cost data (analyses run relative to it, not to the clock)."""
        return last_cost_day(self.reader)

    def costs(
        self,
        by: str | Sequence[str] = (),
        *,
        start: date | None = None,
        end: date | None = None,
        metric: str | None = None,
        grain: str | None = None,
        filters: Mapping[str, FilterValue] | None = None,
        inherit_tags: bool = False,
        currency: str | None = None,
        with_fallback: bool = False,
    ) -> pl.DataFrame:
        """Billed and/or effective cost grouped by FOCUS columns or ``tag:KEY``, per currency.

        ``start``/``end`` are inclusive days; ``grain`` (day, week, month) adds a
        ``period`` column; ``filters`` maps dimensions to wanted values; ``currency``
        keeps one billing currency. Where a metric is missing for a subscription and day
        (only actual-cost exports, or amortized ones that lag), the other stands in for
        it; ``with_fallback`` adds ``<metric>Fallback`` columns saying how much did. Costs in different currencies are never added:
        BillingCurrency is always a group column.
        """
        return breakdown(
            self.reader,
            by,
            start=start,
            end=end,
            metric=metric,
            grain=grain,
            filters=filters,
            inherit_tags=inherit_tags,
            currency=currency,
            with_fallback=with_fallback,
        )

    def cost_fallback(
        self,
        metric: str = "EffectiveCost",
        *,
        start: date | None = None,
        end: date | None = None,
        currency: str | None = None,
    ) -> pl.DataFrame:
        """Where ``metric`` is missing and the other one stands in for it: per subscription,
        its days and the amount (empty when every day carries ``metric``)."""
        from cloudoptima.analysis.costs import fallback_days

        return fallback_days(self.reader, metric, start=start, end=end, currency=currency)

    def cost_changes(
        self,
        by: str | Sequence[str] = (),
        *,
        as_of: date | None = None,
        metric: str = "EffectiveCost",
        mode: str = "month",
        currency: str | None = None,
    ) -> pl.DataFrame:
        """Month over month, or month to date against the same days last month (``mode="mtd"``)."""
        return cost_changes(
            self.reader, by, as_of=as_of, metric=metric, mode=mode, currency=currency
        )

    def top_movers(
        self,
        by: str = "ServiceName",
        *,
        as_of: date | None = None,
        metric: str = "EffectiveCost",
        mode: str = "mtd",
        limit: int = 10,
        currency: str | None = None,
    ) -> pl.DataFrame:
        """Largest absolute and relative increases, with the resources behind them."""
        return top_movers(
            self.reader, by, as_of=as_of, metric=metric, mode=mode, limit=limit, currency=currency
        )

    def tag_keys(self) -> list[str]:
        """Tag keys on resources and cost rows: the workspace's required tags first."""
        required = [str(t) for t in self.settings()["required_tags"]]
        seen = {t.lower() for t in required}
        return [*required, *(k for k in inventory.tag_keys(self.reader) if k.lower() not in seen)]

    def tag_coverage(
        self,
        required_tags: Sequence[str] | None = None,
        *,
        start: date | None = None,
        end: date | None = None,
        metric: str = "EffectiveCost",
        inherit_tags: bool = False,
        currency: str | None = None,
    ) -> pl.DataFrame:
        """Share of spend without each required tag (default: the workspace's required tags)."""
        tags = required_tags or [str(t) for t in self.settings()["required_tags"]]
        return tag_coverage(
            self.reader,
            tags,
            start=start,
            end=end,
            metric=metric,
            inherit_tags=inherit_tags,
            currency=currency,
        )

    def showback(
        self,
        tag_key: str,
        *,
        start: date | None = None,
        end: date | None = None,
        metric: str = "EffectiveCost",
        inherit_tags: bool = False,
        currency: str | None = None,
    ) -> pl.DataFrame:
        """Chargeback table by one tag's values, with an "(unallocated)" row."""
        return showback(
            self.reader,
            tag_key,
            start=start,
            end=end,
            metric=metric,
            inherit_tags=inherit_tags,
            currency=currency,
        )

    def anomalies(
        self,
        *,
        by: str | Sequence[str] = ("ServiceName", "SubAccountId"),
        metric: str = "BilledCost",
        start: date | None = None,
        end: date | None = None,
        sensitivity: float = 3.5,
        direction: Direction = "up",
        status: str | None = None,
    ) -> pl.DataFrame:
        """Cost anomalies, one row per event, with names, contributing resources and status.

        Flags of several dimensions on one day that share resources are one event (see
        :mod:`cloudoptima.analysis.anomaly_events`); days whose data is still arriving
        (:mod:`cloudoptima.analysis.completeness`) are not judged. ``status`` keeps only
        events with that status (open, acknowledged, dismissed).
        """
        from cloudoptima.analysis import anomaly_events, completeness

        if status is not None and status not in anomaly_events.STATUSES:
            raise CloudOptimaError(
                f"unknown status '{status}'; use one of {', '.join(anomaly_events.STATUSES)}"
            )
        flags = detect_anomalies(
            self.reader,
            by=by,
            metric=metric,
            start=start,
            end=end,
            sensitivity=sensitivity,
            direction=direction,
        )
        partial = completeness.incomplete_days(self.reader, metric=metric)
        flags = flags.join(
            partial.select("BillingCurrency", pl.col("day").alias("date")),
            on=["BillingCurrency", "date"],
            how="anti",
        )
        dims = [by] if isinstance(by, str) else list(by)
        events = anomaly_events.group_events(flags, dims, self.subscription_names())
        events = anomaly_events.with_status(events, self.state.anomaly_statuses())
        return events if status is None else events.filter(pl.col("status") == status)

    def set_anomaly_status(
        self, anomaly_id: str, status: str, *, reason: str | None = None, by: str | None = None
    ) -> None:
        """Acknowledge, dismiss (with ``reason``) or reopen an anomaly; kept like finding status."""
        from cloudoptima.analysis.anomaly_events import STATUSES

        if status not in STATUSES:
            raise CloudOptimaError(f"unknown status '{status}'; use one of {', '.join(STATUSES)}")
        if status == "dismissed" and not (reason and reason.strip()):
            raise CloudOptimaError("dismissing an anomaly needs a reason (--reason)")
        if self.anomalies().filter(pl.col("anomaly_id") == anomaly_id).is_empty():
            raise CloudOptimaError(
                f"no anomaly with id '{anomaly_id}'; list them with `cloudoptima anomalies`"
            )
        with self.state.transaction() as tx:
            tx.set_anomaly_status(anomaly_id, status, reason=reason, changed_by=by)

    def rate_optimization(
        self,
        *,
        grain: str = "month",
        start: date | None = None,
        end: date | None = None,
        service_category: str | None = None,
    ) -> RateOptimization:
        """Commitment utilization and coverage, and negotiated/commitment savings with the ESR."""
        return rate_optimization(
            self.reader, grain=grain, start=start, end=end, service_category=service_category
        )

    def rates_by_month(self, *, start: date | None = None, end: date | None = None) -> pl.DataFrame:
        """Utilization, coverage, unused commitment, savings and ESR per month and currency."""
        return rates_by_month(self.reader, start=start, end=end)

    def forecast(
        self,
        *,
        by: str | None = None,
        horizon: int | None = None,
        metric: str = "EffectiveCost",
        top: int = 5,
        budget: float | None = None,
        currency: str | None = None,
    ) -> ForecastResult:
        """Prophet daily forecast from the day after the last complete cost day, with bands,
        projections of the month, next month, quarter and year, and the backtest.

        ``budget`` applies one monthly amount to every series; without it, the budgets
        stored in settings apply to the series they were set for: ``budgets`` (per
        currency) to the total, ``series_budgets`` to one subscription, service or tag
        value. Needs the ``forecast`` extra (``pip install 'cloudoptima[forecast]'``).
        """
        from cloudoptima.analysis.forecast import forecast

        budgets = budget if budget is not None else self._stored_budgets(by)
        return forecast(
            self.reader,
            cache_dir=self._forecast_cache,
            by=by,
            horizon=horizon,
            metric=metric,
            top=top,
            budget=budgets or None,
            currency=currency,
        )

    def _stored_budgets(self, by: str | None) -> dict[tuple[str, str], float]:
        """(series, currency) -> monthly budget, from settings, for a forecast ``by``."""
        settings = self.settings()
        if by is None:
            return {("(total)", cur): amount for cur, amount in settings["budgets"].items()}
        prefix = f"{by.strip()}="
        return {
            (key.removeprefix(prefix), cur): amount
            for key, amounts in settings["series_budgets"].items()
            if key.startswith(prefix)
            for cur, amount in amounts.items()
        }

    def backtest(
        self,
        *,
        by: str | None = None,
        metric: str = "EffectiveCost",
        horizon: int = 30,
        folds: int = 8,
        top: int = 5,
    ) -> pl.DataFrame:
        """Rolling-origin MAPE and sMAPE of Prophet next to a seasonal-naive baseline."""
        from cloudoptima.analysis.forecast import backtest

        return backtest(
            self.reader,
            cache_dir=self._forecast_cache,
            by=by,
            metric=metric,
            horizon=horizon,
            folds=folds,
            top=top,
        )

    @property
    def _forecast_cache(self) -> Path:
        return self.root / "cache" / "forecast"

    # -- inventory -------------------------------------------------------------------
    def resources(self, *, search: str | None = None) -> pl.DataFrame:
        """The inventory by name; ``search`` keeps names, ids or types containing it."""
        return inventory.list_resources(self.reader, search=search)

    def resource(self, resource_id: str) -> dict[str, Any] | None:
        """Everything known of one resource, or None when the inventory does not hold it."""
        return inventory.resource_detail(self.reader, resource_id)

    def resource_metrics(self, resource_id: str) -> pl.DataFrame:
        """The metric points imported for one resource."""
        return inventory.resource_metrics(self.reader, resource_id)

    def subscription_names(self) -> dict[str, str]:
        """Subscription GUID (lower case) -> name: show names where ids would be."""
        return inventory.subscription_names(self.reader)

    # -- findings --------------------------------------------------------------------
    def findings(
        self, *, rule: str | None = None, status: str | None = None, currency: str | None = None
    ) -> pl.DataFrame:
        """Recommendations with savings and their status now, biggest savings first.

        Reading never computes or writes: findings are stored by the import or settings
        change that made them stale.
        """
        findings_engine.check_status_name(status)
        stored, computed_at = self._stored_findings()
        frame = findings_engine.with_status(
            stored, self.state.statuses(), computed_at=computed_at, today=date.today()
        )
        return findings_engine.filter_findings(frame, rule=rule, status=status, currency=currency)

    def _stored_findings(self) -> tuple[pl.DataFrame, datetime]:
        version = self.data_version
        run = self.state.findings_run(version)
        settings = rule_settings(self.settings())
        if run is not None and run["fingerprint"] == findings_engine.fingerprint(settings):
            return self.state.findings(version), run["computed_at"]
        # Written by a cloudoptima that stored no findings for it (or one with other rules):
        # compute them for this read only; the next write stores them.
        current = findings_engine.run_rules(self.reader, settings)
        return findings_engine.carry_history(self.state.latest_findings(), current), utc_now()

    def set_finding_status(
        self,
        finding_id: str,
        status: str,
        *,
        reason: str | None = None,
        until: date | None = None,
        on: date | None = None,
        by: str | None = None,
    ) -> dict[str, Any]:
        """Dismiss (with ``reason``), snooze (``until`` a future day), resolve (``on``) or reopen.

        One small write to the state store: the cost data is not copied.
        """
        findings_engine.check_status_change(status, reason, until, today=date.today())
        current = self.findings().filter(pl.col("finding_id") == finding_id)
        if current.is_empty():
            raise CloudOptimaError(
                f"no finding with id '{finding_id}'; list them with `cloudoptima findings`"
            )
        resolved_on = (on or date.today()) if status == "resolved" else None
        with self.state.transaction() as tx:
            tx.set_status(
                finding_id,
                status,
                reason=reason,
                changed_by=by,
                snoozed_until=until if status == "snoozed" else None,
                resolved_on=resolved_on,
            )
        return self.findings().filter(pl.col("finding_id") == finding_id).row(0, named=True)

    def realized_savings(self, *, currency: str | None = None) -> pl.DataFrame:
        """Measured drop in daily cost of each resolved finding's resource."""
        resolved = self.findings(status="resolved", currency=currency)
        return findings_engine.realized_savings(self.reader, resolved)

    # -- settings --------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        """Analysis settings: defaults overlaid with this workspace's values."""
        return resolve_settings(self.state.settings())

    def set_setting(self, key: str, value: Any) -> None:
        """Store one analysis setting (validated against its default's type).

        When findings depend on it, they are recomputed in the same step, so readers
        never see a setting without the findings it gives.
        """
        value = validate_setting(key, value)
        with self.store.lock():
            settings = {**self.settings(), key: value}
            recompute = rule_settings(settings) != rule_settings(self.settings())
            version = self.data_version
            rows = self._analyse(self.reader, settings) if recompute else None
            with self.state.transaction() as tx:
                tx.set_setting(key, value)
                if rows is not None:
                    tx.replace_findings(version, rows[0], fingerprint=rows[1], as_of=rows[2])

    # -- writing data ----------------------------------------------------------------
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
        keep_raw: bool = True,
    ) -> list[ImportResult]:
        """Import files or export folders; each one is its own all-or-nothing import.

        ``progress`` is called before each input; ``progress_bar`` prints DuckDB's
        bar on stdout while a large file loads. Findings are recomputed before the
        new data is published. ``keep_raw`` keeps a compressed copy of each input in
        ``raw/``. ``before_commit`` is a test hook run inside each import.
        """
        from cloudoptima.ingest.importer import ImportOptions, expand_inputs

        inputs = expand_inputs(Path(p) for p in paths)
        raw = self.raw_dir if keep_raw else None
        options = ImportOptions(kind, currency, seen_at, raw, before_commit)
        results: list[ImportResult] = []
        with self.store.write(memory_limit=INGEST_MEMORY_LIMIT, progress_bar=progress_bar) as tx:
            results = self._import_each(tx, inputs, options, progress)
            self._store_findings(tx)
        if progress:
            progress(len(inputs), len(inputs), Path())
        return results

    def _import_each(
        self,
        tx: WriteTx,
        inputs: Sequence[Path],
        options: ImportOptions,
        progress: ProgressCallback | None = None,
    ) -> list[ImportResult]:
        """Import each input as its own all-or-nothing transaction inside the write ``tx``."""
        from cloudoptima.ingest.importer import import_one

        results: list[ImportResult] = []
        for index, path in enumerate(inputs):
            if progress:
                progress(index, len(inputs), path)
            results.append(import_one(tx.con, path, options))
        return results

    def build_demo(self, *, seed: int = 7, end: date | None = None) -> list[ImportResult]:
        """Generate the demo estate under ``demo-source/`` and import it like real files.

        ``demo-source/`` is the demo's one copy of its files: none goes to ``raw/``.
        """
        from cloudoptima.demo.generator import generate_demo

        files = generate_demo(self.root / "demo-source", seed=seed, end=end)
        inputs = [*files.costs, *files.inventory, *files.metrics]
        return self.ingest(inputs, seen_at=files.as_of, keep_raw=False)

    # -- questions in plain language (cloudoptima/ai/) ------------------------------
    def ask(
        self,
        question: str,
        history: Sequence[Answer] | None = None,
        *,
        on_text: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer a question about this workspace in plain language.

        The LLM engine answers when one is configured (``OPENAI_API_KEY``,
        ``OPENAI_BASE_URL`` or ``AZURE_OPENAI_ENDPOINT``), the offline engine otherwise
        or when the model fails. ``history`` holds the conversation's earlier answers,
        for follow-ups; ``on_text`` receives the LLM's answer as it streams.
        """
        from cloudoptima.ai import Sources, ask, llm_config
        from cloudoptima.settings import load_settings

        sources = Sources(self.store.live_path(), self.findings, self.forecast)
        llm = llm_config(load_settings())
        return ask(question, history or (), sources, llm=llm, on_text=on_text)

    # -- live Azure: connections and sync (cloudoptima/azure/) ------------------------
    @property
    def connections(self) -> Connections:
        """This organisation's Azure connections: add, list, remove (secrets encrypted)."""
        from cloudoptima.azure.connections import Connections

        return Connections(self.state)

    def test_connection(self, name: str, *, options: SyncOptions | None = None) -> AccessReport:
        """Sign in with connection ``name``: the subscriptions it sees and the roles it lacks."""
        from cloudoptima.azure import require_sdk

        require_sdk()
        from cloudoptima.azure.access import check_access
        from cloudoptima.azure.clients import AzureSession
        from cloudoptima.azure.options import SyncOptions

        connection, secret = self.connections.get(name), self.connections.secret(name)
        session = AzureSession(connection, secret, (options or SyncOptions()).tuning)
        try:
            return check_access(session, secret=secret)
        finally:
            session.close()

    def sync(
        self,
        connection: str | None = None,
        *,
        days: int | None = None,
        only: Sequence[str] | None = None,
        progress: SyncProgress | None = None,
        options: SyncOptions | None = None,
    ) -> SyncReport:
        """Fetch inventory, metrics and costs from Azure and import them like export files.

        Each dataset (per subscription) lands whole or not at all; a part that failed
        keeps its previous data and is named in the report and the import log.
        """
        from cloudoptima.azure.options import SyncOptions
        from cloudoptima.azure.sync import fetch, record_sync
        from cloudoptima.ingest.importer import ImportOptions

        chosen = (options or SyncOptions()).choose(days=days, only=only)
        picked = self.connections.pick(connection)
        folder = self.root / "sync" / f"{utc_now():%Y%m%dT%H%M%S%f}-{picked.name}"
        report, files = fetch(
            picked, self.connections.secret(picked.name), folder, chosen, progress
        )
        imports = ImportOptions(seen_at=report.started, raw_dir=self.raw_dir)
        if progress:
            progress(0.95, "Importing into the workspace")
        with self.store.write(memory_limit=INGEST_MEMORY_LIMIT) as tx:
            record_sync(tx.con, report, self._import_each(tx, files, imports))
            self._store_findings(tx)
        if progress:
            progress(1.0, "Done")
        return report

    # -- the PDF report (cloudoptima/report/) -----------------------------------------
    def report(
        self,
        path: str | Path,
        *,
        start: date | None = None,
        end: date | None = None,
        sections: Sequence[str] | None = None,
        currency: str | None = None,
        paper: str = "A4",
        organisation: str = "",
        summariser: Summariser | None = None,
        generated_at: datetime | None = None,
        progress: ReportProgress | None = None,
        use_llm: bool = True,
    ) -> Report:
        """Write the PDF executive report of ``start``..``end`` (default: the last full month).

        ``sections`` are ids of :data:`cloudoptima.report.SECTIONS` (default: all);
        ``currency`` keeps one billing currency (default: one set of sections per
        currency). ``summariser`` may write the executive summary (its figures are
        checked; see :mod:`cloudoptima.report.summary`); without one, the configured
        language model writes it when there is one (``use_llm``), else the figures do. The report is stamped with the
        workspace's last change (or ``generated_at``), so the same workspace and
        options give the same bytes. Needs the ``report`` extra.
        """
        from cloudoptima.report.builder import build_report
        from cloudoptima.report.context import ReportOptions

        if summariser is None and use_llm:
            from cloudoptima.ai.summary import llm_summariser

            summariser = llm_summariser()

        options = ReportOptions(
            start=start,
            end=end,
            sections=None if sections is None else tuple(sections),
            currency=check_currency(currency, what="currency") if currency else None,
            paper=paper,
            organisation=organisation,
            summariser=summariser,
            generated_at=generated_at,
        )
        return build_report(self, path, options, progress=progress)

    # -- plumbing ----------------------------------------------------------------------
    def _store_findings(self, tx: WriteTx) -> None:
        """Compute the findings of the generation ``tx`` is about to publish, and store them."""
        reader = ConnectionReader(tx.con, tx.generation)
        rows, fingerprint, as_of = self._analyse(reader, self.settings())
        with self.state.transaction() as state:
            state.replace_findings(tx.generation, rows, fingerprint=fingerprint, as_of=as_of)

    def _analyse(
        self, reader: Reader, settings: dict[str, Any]
    ) -> tuple[pl.DataFrame, str, date | None]:
        """Findings to store for ``reader``'s data: current matches plus their history."""
        chosen = rule_settings(settings)
        current = findings_engine.run_rules(reader, chosen)
        rows = findings_engine.carry_history(self.state.latest_findings(), current)
        return rows, findings_engine.fingerprint(chosen), last_cost_day(reader)
