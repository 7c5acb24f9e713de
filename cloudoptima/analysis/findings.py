"""The findings engine: run the rule catalogue, keep each finding's lifecycle, measure results.

A finding's id is its rule plus a hash of its resource id, so it is the same in every
run. Statuses survive re-analysis; a finding that stops matching (or whose resource
is gone) is resolved automatically, and a resolved finding that matches again opens.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from cloudoptima.analysis.common import last_cost_day
from cloudoptima.analysis.config import read_settings
from cloudoptima.analysis.rules import RULE_OUTPUT, RULES, load_builtin_rules
from cloudoptima.analysis.rules.context import RuleContext
from cloudoptima.errors import CloudOptimaError
from cloudoptima.storage.schema import FINDING_COLUMNS

if TYPE_CHECKING:
    from cloudoptima.workspace import Workspace

STATUSES = ("open", "dismissed", "snoozed", "resolved")
_STATE_KEY = "_analysis_state"
_LIFECYCLE = (
    "status",
    "status_reason",
    "snoozed_until",
    "resolved_on",
    "status_changed_at",
    "first_seen",
)


def finding_id(rule_id: str, resource_id: str) -> str:
    """Stable id of a finding: the same rule on the same resource gives the same id."""
    digest = hashlib.sha1(resource_id.lower().encode(), usedforsecurity=False).hexdigest()[:12]
    return f"{rule_id}:{digest}"


def run_rules(ws: Workspace, rules: list[str] | None = None) -> pl.DataFrame:
    """Evaluate the catalogue on the workspace; return current matches with shared columns."""
    load_builtin_rules()
    as_of = last_cost_day(ws) or date.today()
    ctx = RuleContext(ws, read_settings(ws), as_of)
    selected = [RULES[r] for r in (rules or sorted(RULES)) if _known(r)]
    frames = [_with_rule_columns(rule.evaluate(ctx), rule) for rule in selected]
    matches = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=RULE_OUTPUT)
    return _describe_resources(ctx, matches, as_of)


def _known(rule_id: str) -> bool:
    if rule_id not in RULES:
        raise CloudOptimaError(f"unknown rule '{rule_id}'; rules: {', '.join(sorted(RULES))}")
    return True


def _with_rule_columns(frame: pl.DataFrame, rule: Any) -> pl.DataFrame:
    frame = frame.select([pl.col(c).cast(t) for c, t in RULE_OUTPUT.items()])
    return frame.with_columns(
        pl.lit(rule.id).alias("rule"), pl.lit(rule.title).alias("title"), pl.lit(rule.category).alias("category"),
        pl.lit(rule.impact).alias("impact"), pl.lit(rule.effort).alias("effort"), pl.lit(rule.risk).alias("risk"),
    )  # fmt: skip


def _describe_resources(ctx: RuleContext, matches: pl.DataFrame, as_of: date) -> pl.DataFrame:
    names = ctx.resources().select(
        "resource_id", pl.col("name").alias("resource_name"), pl.col("type").alias("resource_type"),
        "subscription_id", "resource_group", "location",
    )  # fmt: skip
    cost = ctx.monthly_cost().select("resource_id", pl.col("currency").alias("BillingCurrency"), "cost_basis",
                                     "monthly_cost")  # fmt: skip
    frame = matches.join(names, on="resource_id", how="left").join(
        cost, on="resource_id", how="left"
    )
    frame = _fill_currency(ctx, frame)
    return frame.with_columns(
        pl.struct("rule", "resource_id").map_elements(
            lambda r: finding_id(r["rule"], r["resource_id"]), return_dtype=pl.Utf8
        ).alias("finding_id"),
        pl.col("resource_name").fill_null(pl.col("resource_id").str.split("/").list.last()),
        pl.col("monthly_cost").fill_null(0.0),
        (pl.col("monthly_savings") * 12).round(6).alias("annual_savings"),
        pl.col("cost_basis").fill_null("billed"),
        pl.lit(as_of).alias("last_seen"),
    )  # fmt: skip


def _fill_currency(ctx: RuleContext, frame: pl.DataFrame) -> pl.DataFrame:
    """A resource with no cost of its own (a deallocated VM) is billed like its subscription."""
    billing = ctx.ws.sql(
        """SELECT lower(regexp_extract(ResourceId, '^/subscriptions/([^/]+)', 1)) AS subscription_key,
                  mode(BillingCurrency) AS subscription_currency
           FROM costs WHERE ResourceId LIKE '/subscriptions/%' GROUP BY ALL"""
    )
    frame = frame.with_columns(
        pl.col("subscription_id").str.to_lowercase().alias("subscription_key")
    )
    frame = frame.join(billing, on="subscription_key", how="left")
    return frame.with_columns(
        pl.coalesce("BillingCurrency", "subscription_currency").alias("BillingCurrency")
    ).drop("subscription_key", "subscription_currency")


def analyze(ws: Workspace, *, today: date | None = None) -> pl.DataFrame:
    """Run every rule and store the findings with their lifecycle; return all findings."""
    current = run_rules(ws)
    stored = ws.sql("SELECT * EXCLUDE (evidence), evidence::VARCHAR AS evidence FROM findings")
    merged = merge_lifecycle(stored, current, today=today or date.today())
    with ws.store.write() as con:
        con.execute("DELETE FROM findings")
        con.register("_merged", merged)
        columns = ", ".join(f'"{c}"' for c in FINDING_COLUMNS)
        con.execute(f"INSERT INTO findings ({columns}) SELECT {columns} FROM _merged")
        con.execute(
            "INSERT OR REPLACE INTO settings VALUES (?, ?::JSON)",
            [_STATE_KEY, json.dumps(_state(ws))],
        )
    return merged


def merge_lifecycle(stored: pl.DataFrame, current: pl.DataFrame, *, today: date) -> pl.DataFrame:
    """Carry statuses over from ``stored`` to ``current``; resolve what no longer matches."""
    now = datetime.now()
    as_of = current.get_column("last_seen").max() if current.height else None
    previous = stored.select("finding_id", *_LIFECYCLE)
    frame = current.join(previous, on="finding_id", how="left")
    reopen = pl.col("status") == "resolved"
    wake = (pl.col("status") == "snoozed") & (pl.col("snoozed_until") <= today)
    frame = frame.with_columns(
        pl.when(pl.col("status").is_null() | reopen | wake).then(pl.lit("open")).otherwise(pl.col("status")).alias("status"),
        pl.when(reopen).then(pl.lit("matched again after it was resolved")).when(wake).then(pl.lit("snooze ended"))
        .otherwise(pl.col("status_reason")).alias("status_reason"),
        pl.when(reopen | wake).then(None).otherwise(pl.col("snoozed_until")).alias("snoozed_until"),
        pl.when(reopen).then(None).otherwise(pl.col("resolved_on")).alias("resolved_on"),
        pl.col("first_seen").fill_null(pl.col("last_seen")),
        pl.col("status_changed_at").fill_null(pl.lit(now)),
    )  # fmt: skip
    gone = stored.filter(~pl.col("finding_id").is_in(current.get_column("finding_id").to_list()))
    gone = gone.with_columns(
        pl.when(pl.col("status") != "resolved").then(pl.lit(as_of)).otherwise(pl.col("resolved_on")).alias("resolved_on"),
        pl.when(pl.col("status") != "resolved").then(pl.lit("no longer matches the rule, or the resource is gone"))
        .otherwise(pl.col("status_reason")).alias("status_reason"),
        pl.when(pl.col("status") != "resolved").then(pl.lit(now)).otherwise(pl.col("status_changed_at"))
        .alias("status_changed_at"),
        pl.lit("resolved").alias("status"),
    )  # fmt: skip
    columns = list(FINDING_COLUMNS)
    return pl.concat([_shape(frame, columns), _shape(gone, columns)], how="vertical")


def _shape(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    types: dict[str, pl.DataType] = {
        "DOUBLE": pl.Float64(),
        "DATE": pl.Date(),
        "TIMESTAMP": pl.Datetime("us"),
    }
    return frame.select(
        [pl.col(c).cast(types.get(FINDING_COLUMNS[c], pl.Utf8())) if c in frame.columns
         else pl.lit(None, dtype=types.get(FINDING_COLUMNS[c], pl.Utf8())).alias(c) for c in columns]
    )  # fmt: skip


def _state(ws: Workspace) -> dict[str, Any]:
    """What the stored findings were computed from: data imports and settings."""
    last_import = ws.sql(
        "SELECT coalesce(max(import_id), 0) AS n FROM imports WHERE status = 'loaded'"
    ).item()
    return {"import": int(last_import), "settings": read_settings(ws), "rules": sorted(RULES)}


def is_stale(ws: Workspace) -> bool:
    """True when data, settings or rules changed since the findings were computed."""
    load_builtin_rules()
    stored = ws.sql("SELECT value::VARCHAR AS v FROM settings WHERE key = ?", [_STATE_KEY])
    return stored.is_empty() or json.loads(stored.item()) != _state(ws)


def findings(
    ws: Workspace, *, rule: str | None = None, status: str | None = None, refresh: bool = True
) -> pl.DataFrame:
    """Stored findings (analysing first when data changed), biggest savings first."""
    if refresh and is_stale(ws):
        analyze(ws)
    if status is not None and status not in STATUSES:
        raise CloudOptimaError(f"unknown status '{status}'; use one of {', '.join(STATUSES)}")
    where, params = _filters(rule, status)
    return ws.sql(
        f"""SELECT * EXCLUDE (evidence), evidence::VARCHAR AS evidence FROM findings {where}
            ORDER BY monthly_savings DESC, rule, resource_id""",
        params,
    )


def _filters(rule: str | None, status: str | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if rule is not None:
        load_builtin_rules()
        _known(rule)
        clauses.append("rule = ?")
        params.append(rule)
    if status is not None:
        clauses.append("status = ?")
        params.append(status)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def set_status(
    ws: Workspace, finding: str, status: str, *, reason: str | None = None, until: date | None = None,
    on: date | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Dismiss (with a reason), snooze (until a date), resolve or reopen one finding."""
    _check_status(status, reason, until)
    if ws.sql("SELECT count(*) FROM findings WHERE finding_id = ?", [finding]).item() == 0:
        raise CloudOptimaError(
            f"no finding with id '{finding}'; list them with `cloudoptima findings`"
        )
    resolved_on = (on or date.today()) if status == "resolved" else None
    with ws.store.write() as con:
        con.execute(
            """UPDATE findings SET status = ?, status_reason = ?, snoozed_until = ?, resolved_on = ?,
                      status_changed_at = now()::TIMESTAMP WHERE finding_id = ?""",
            [status, reason, until if status == "snoozed" else None, resolved_on, finding],
        )
    return ws.sql("SELECT * EXCLUDE (evidence) FROM findings WHERE finding_id = ?", [finding]).row(
        0, named=True
    )


def _check_status(status: str, reason: str | None, until: date | None) -> None:
    if status not in STATUSES:
        raise CloudOptimaError(f"unknown status '{status}'; use one of {', '.join(STATUSES)}")
    if status == "dismissed" and not (reason and reason.strip()):
        raise CloudOptimaError("dismissing a finding needs a reason (--reason)")
    if status == "snoozed" and until is None:
        raise CloudOptimaError(
            "snoozing a finding needs a date to snooze until (--until YYYY-MM-DD)"
        )


def realized_savings(ws: Workspace, *, window_days: int = 30) -> pl.DataFrame:
    """For each resolved finding: the measured drop in the resource's daily cost.

    Compares the average daily cost over the ``window_days`` before the resolution
    day with the average since (days without any cost count as zero), per currency.
    """
    last = last_cost_day(ws)
    if last is None:
        return pl.DataFrame()
    return (
        ws.sql(
            """WITH resolved AS (
               SELECT finding_id, rule, resource_id, resource_name, BillingCurrency, cost_basis, monthly_savings,
                      resolved_on FROM findings WHERE status = 'resolved' AND resolved_on IS NOT NULL),
           daily AS (
               SELECT r.finding_id, c.ChargePeriodStart::DATE AS day,
                      sum(CASE WHEN r.cost_basis = 'effective' THEN c.EffectiveCost ELSE c.BilledCost END) AS cost
               FROM resolved r JOIN costs c ON c.ResourceId = r.resource_id
               WHERE c.ChargePeriodStart >= r.resolved_on - INTERVAL (?) DAY GROUP BY ALL),
           totals AS (
               SELECT r.finding_id,
                      CAST(coalesce(sum(d.cost) FILTER (WHERE d.day < r.resolved_on), 0) AS DOUBLE) AS before_total,
                      CAST(coalesce(sum(d.cost) FILTER (WHERE d.day > r.resolved_on), 0) AS DOUBLE) AS after_total
               FROM resolved r LEFT JOIN daily d USING (finding_id) GROUP BY r.finding_id)
           SELECT r.*, t.before_total / ? AS daily_before, date_diff('day', r.resolved_on, ?::DATE) AS days_after,
                  t.after_total / nullif(date_diff('day', r.resolved_on, ?::DATE), 0) AS daily_after
           FROM resolved r JOIN totals t USING (finding_id)""",
            [window_days, window_days, last, last],
        )
        .with_columns(
            ((pl.col("daily_before") - pl.col("daily_after")) * 30)
            .round(6)
            .alias("realized_monthly_savings")
        )
        .sort("realized_monthly_savings", descending=True, nulls_last=True)
    )


__all__ = [
    "STATUSES",
    "analyze",
    "finding_id",
    "findings",
    "realized_savings",
    "run_rules",
    "set_status",
]
