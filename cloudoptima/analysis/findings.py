"""The findings engine: run the rule catalogue, carry each finding's history, derive its status.

A finding's id is its rule plus a hash of its resource id, so it is the same in every
run. Findings are computed by the write that makes them stale (an import, a settings
change) and stored; reading them only joins the stored findings with the statuses
users set. A finding that stops matching (or whose resource is gone) resolves
itself; one a user resolved opens again when a later analysis still finds it, and
a snooze ends on its date.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

import polars as pl

from cloudoptima.analysis.dimensions import last_cost_day
from cloudoptima.analysis.rules import (
    OPTIONAL_OUTPUT,
    RULE_OUTPUT,
    RULES,
    Rule,
    load_builtin_rules,
)
from cloudoptima.analysis.rules.context import RuleContext
from cloudoptima.errors import CloudOptimaError
from cloudoptima.storage.reader import Reader
from cloudoptima.storage.schema import FINDING_COLUMNS
from cloudoptima.storage.state import STORED_FINDING_COLUMNS

STATUSES = ("open", "dismissed", "snoozed", "resolved")
GONE_REASON = "no longer matches the rule, or the resource is gone"


def finding_id(rule_id: str, resource_id: str) -> str:
    """Stable id of a finding: the same rule on the same resource gives the same id."""
    digest = hashlib.sha1(resource_id.lower().encode(), usedforsecurity=False).hexdigest()[:12]
    return f"{rule_id}:{digest}"


def fingerprint(settings: dict[str, Any]) -> str:
    """What findings were computed from besides the data: rule settings and the catalogue."""
    load_builtin_rules()
    text = json.dumps({"settings": settings, "rules": sorted(RULES)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_rules(
    reader: Reader, settings: dict[str, Any], rules: list[str] | None = None
) -> pl.DataFrame:
    """Evaluate the catalogue; return the current matches with the columns findings share."""
    load_builtin_rules()
    as_of = last_cost_day(reader) or date.today()
    ctx = RuleContext(reader, settings, as_of)
    selected = [RULES[r] for r in (rules or sorted(RULES)) if _known(r)]
    frames = [_with_rule_columns(rule.evaluate(ctx), rule) for rule in selected]
    empty = pl.DataFrame(schema={**RULE_OUTPUT, **OPTIONAL_OUTPUT})
    matches = pl.concat(frames, how="vertical") if frames else empty
    return _describe_resources(ctx, matches, as_of)


def _known(rule_id: str) -> bool:
    if rule_id not in RULES:
        raise CloudOptimaError(f"unknown rule '{rule_id}'; rules: {', '.join(sorted(RULES))}")
    return True


def _with_rule_columns(frame: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    optional = [
        (pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c)
        for c, t in OPTIONAL_OUTPUT.items()
    ]
    frame = frame.select([pl.col(c).cast(t) for c, t in RULE_OUTPUT.items()] + optional)
    facts = {
        "rule": rule.id,
        "title": rule.title,
        "category": rule.category,
        "impact": rule.impact,
        "effort": rule.effort,
        "risk": rule.risk,
    }
    return frame.with_columns(pl.lit(value).alias(name) for name, value in facts.items())


def _describe_resources(ctx: RuleContext, matches: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Name each finding's resource and state its cost: what the rule said, else the inventory
    and the resource's monthly cost (one currency, the basis its savings came from)."""
    names = ctx.resources().select(
        "resource_id",
        pl.col("name").alias("resource_name"),
        pl.col("type").alias("resource_type"),
        "subscription_id",
        "resource_group",
        "location",
    )
    cost = ctx.monthly_cost().select(
        "resource_id", pl.col("currency").alias("BillingCurrency"), "cost_basis", "monthly_cost"
    )
    known = matches.join(names, on="resource_id", how="left", suffix="_known")
    known = known.join(cost, on="resource_id", how="left", suffix="_known")
    frame = known.with_columns(
        pl.coalesce(column, f"{column}_known").alias(column) for column in OPTIONAL_OUTPUT
    ).drop(f"{column}_known" for column in OPTIONAL_OUTPUT)
    frame = _fill_currency(ctx, frame)
    ids = [finding_id(r, i) for r, i in zip(frame["rule"], frame["resource_id"], strict=True)]
    return frame.with_columns(
        pl.Series("finding_id", ids, dtype=pl.String),
        pl.col("resource_name").fill_null(pl.col("resource_id").str.split("/").list.last()),
        pl.col("monthly_cost").fill_null(0.0),
        (pl.col("monthly_savings") * 12).round(6).alias("annual_savings"),
        pl.col("cost_basis").fill_null("billed"),
        pl.lit(as_of).alias("last_seen"),
    )


def _fill_currency(ctx: RuleContext, frame: pl.DataFrame) -> pl.DataFrame:
    """A resource with no cost of its own (a deallocated VM) is billed like its subscription."""
    billing = ctx.reader.sql(
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


def carry_history(previous: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
    """The findings to store after a run: current matches plus those that stopped matching.

    A match keeps the day it was first seen; a finding of ``previous`` that no longer
    matches is kept with ``gone_on``, the last cost day of this run (or the day it
    first went missing, when it was already gone).
    """
    as_of = current.get_column("last_seen").max() if current.height else None
    first = previous.select("finding_id", pl.col("first_seen").alias("_first"))
    matched = (
        current.join(first, on="finding_id", how="left")
        .with_columns(
            pl.coalesce("_first", "last_seen").alias("first_seen"),
            pl.lit(None, dtype=pl.Date).alias("gone_on"),
        )
        .drop("_first")
    )
    gone = previous.filter(~pl.col("finding_id").is_in(current.get_column("finding_id").implode()))
    gone = gone.with_columns(pl.coalesce("gone_on", pl.lit(as_of, dtype=pl.Date)).alias("gone_on"))
    columns = [pl.col(c).cast(t) for c, t in STORED_FINDING_COLUMNS.items()]
    return pl.concat([matched.select(columns), gone.select(columns)], how="vertical")


def with_status(
    stored: pl.DataFrame, statuses: pl.DataFrame, *, computed_at: datetime, today: date
) -> pl.DataFrame:
    """Stored findings with the status each has now: a pure function of what was stored.

    ``statuses`` are the statuses users set; ``computed_at`` is when the stored findings
    were computed. Which rule applies to a finding decides every lifecycle column.
    """
    frame = stored.join(statuses, on="finding_id", how="left")
    matched, user = pl.col("gone_on").is_null(), pl.col("status").fill_null("open")
    case = (
        pl.when(~matched & (user == "resolved"))
        .then(pl.lit("resolved by user"))
        .when(~matched)
        .then(pl.lit("gone"))
        .when((user == "resolved") & (pl.col("changed_at") < computed_at))
        .then(pl.lit("reopened"))
        .when((user == "snoozed") & (pl.col("snoozed_until") <= today))
        .then(pl.lit("woken"))
        .otherwise(pl.lit("as set"))
    )
    frame = frame.with_columns(case.alias("_case"))
    kept = pl.col("_case").is_in(["as set", "resolved by user"])
    frame = frame.with_columns(
        _by_case(
            {"gone": pl.lit("resolved"), "reopened": pl.lit("open"), "woken": pl.lit("open")}, user
        ).alias("status"),
        _by_case(
            {
                "gone": pl.lit(GONE_REASON),
                "reopened": pl.lit("matched again after it was resolved"),
                "woken": pl.lit("snooze ended"),
            },
            pl.col("reason"),
        ).alias("status_reason"),
        pl.when(kept & (user == "snoozed")).then(pl.col("snoozed_until")).alias("snoozed_until"),
        _by_case(
            {
                "gone": pl.col("gone_on"),
                "reopened": pl.lit(None, dtype=pl.Date),
                "woken": pl.lit(None, dtype=pl.Date),
            },
            pl.col("resolved_on"),
        ).alias("resolved_on"),
        pl.when(kept)
        .then(pl.col("changed_at"))
        .otherwise(None)
        .fill_null(pl.lit(computed_at))
        .alias("status_changed_at"),
    )
    return frame.select(list(FINDING_COLUMNS)).sort(
        ["monthly_savings", "rule", "resource_id"], descending=[True, False, False]
    )


def _by_case(values: dict[str, pl.Expr], otherwise: pl.Expr) -> pl.Expr:
    """``values[case]`` for the rows of each named case, ``otherwise`` for the rest."""
    expression = otherwise
    for case, value in reversed(values.items()):
        expression = pl.when(pl.col("_case") == case).then(value).otherwise(expression)
    return expression


def filter_findings(
    frame: pl.DataFrame, *, rule: str | None, status: str | None, currency: str | None
) -> pl.DataFrame:
    """Only the findings of one rule, status and billing currency (each optional)."""
    check_status_name(status)
    if rule is not None:
        load_builtin_rules()
        _known(rule)
        frame = frame.filter(pl.col("rule") == rule)
    if status is not None:
        frame = frame.filter(pl.col("status") == status)
    if currency is not None:
        frame = frame.filter(pl.col("BillingCurrency") == currency)
    return frame


def check_status_name(status: str | None) -> None:
    """Refuse an unknown status name."""
    if status is not None and status not in STATUSES:
        raise CloudOptimaError(f"unknown status '{status}'; use one of {', '.join(STATUSES)}")


def check_status_change(
    status: str, reason: str | None, until: date | None, *, today: date
) -> None:
    """Refuse a status change that lacks what it needs (a reason, a future snooze date)."""
    check_status_name(status)
    if status == "dismissed" and not (reason and reason.strip()):
        raise CloudOptimaError("dismissing a finding needs a reason (--reason)")
    if status == "snoozed" and until is None:
        raise CloudOptimaError(
            "snoozing a finding needs a date to snooze until (--until YYYY-MM-DD)"
        )
    if status == "snoozed" and until is not None and until <= today:
        raise CloudOptimaError(
            f"a snooze must end in the future, and {until.isoformat()} is not after today "
            f"({today.isoformat()})"
        )


def realized_savings(
    reader: Reader, resolved: pl.DataFrame, *, window_days: int = 30
) -> pl.DataFrame:
    """For each resolved finding in ``resolved``: the measured drop in its resource's daily cost.

    Compares the average daily cost over the ``window_days`` before the resolution
    day with the average since (days without any cost count as zero), per currency.
    """
    last = last_cost_day(reader)
    columns = [
        "finding_id",
        "rule",
        "resource_id",
        "resource_name",
        "BillingCurrency",
        "cost_basis",
        "monthly_savings",
        "resolved_on",
    ]
    resolved = resolved.filter(pl.col("resolved_on").is_not_null()).select(columns)
    if last is None or resolved.is_empty():
        return pl.DataFrame()
    rows = [list(r) for r in resolved.iter_rows()]
    marks = ", ".join(["(?, ?, ?, ?, ?, ?, ?::DOUBLE, ?::DATE)"] * len(rows))
    params = [v for row in rows for v in row]
    frame = reader.sql(
        _REALIZED_SQL.format(values=marks, names=", ".join(columns)),
        [*params, window_days, window_days, last, last],
    )
    return frame.with_columns(
        ((pl.col("daily_before") - pl.col("daily_after")) * 30)
        .round(6)
        .alias("realized_monthly_savings")
    ).sort("realized_monthly_savings", descending=True, nulls_last=True)


_REALIZED_SQL = """
WITH resolved({names}) AS (VALUES {values}),
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
FROM resolved r JOIN totals t USING (finding_id)"""


__all__ = [
    "STATUSES",
    "carry_history",
    "check_status_change",
    "filter_findings",
    "finding_id",
    "fingerprint",
    "realized_savings",
    "run_rules",
    "with_status",
]
