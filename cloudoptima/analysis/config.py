"""Workspace settings for the analyses: thresholds, windows, required tags.

Settings are data (datasette's habit): one table of keys with defaults, each with
the anchor tool it comes from. A workspace stores only the values it overrides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudoptima.errors import CloudOptimaError
from cloudoptima.reference.currencies import is_currency


@dataclass(frozen=True)
class Setting:
    """One analysis setting and where its default comes from."""

    key: str
    default: Any
    description: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "required_tags", ["env", "team", "costcenter"], "Tag keys every costed resource must carry."
    ),
    Setting(
        "cost_window_days",
        30,
        "Days of real cost behind monthly savings (Azure Optimization Engine: 30).",
    ),
    Setting(
        "metric_window_days", 7, "Days of metrics behind a finding (Advisor and AOE default: 7)."
    ),
    # idle_vm: Advisor shutdown rule, P95 of max CPU < 3 %; AOE shutdown network threshold 10 Mbps.
    Setting(
        "idle_vm.cpu_p95_percent", 3.0, "Idle when P95 of hourly max CPU is below this (Advisor)."
    ),
    Setting(
        "idle_vm.network_out_mb_per_hour",
        100.0,
        "…and the busiest hour sends less than this many MB (per-minute metrics are summed per hour).",
    ),
    # Coverage before judging a VM (idle_vm and rightsize_vm): Advisor looks back 7 days.
    Setting(
        "idle_vm.min_metric_days",
        7,
        "Days with CPU metrics a VM needs before it is called idle or oversized (Advisor: 7).",
    ),
    Setting(
        "idle_vm.min_metric_coverage",
        0.8,
        "…and the share of hours with metrics from the first one to the end of the window.",
    ),
    # rightsize_vm: Advisor user-facing limits on the target size (CPU 40 %, memory 60 %).
    Setting(
        "rightsize_vm.target_cpu_p95_percent", 40.0, "P95 CPU the smaller size may reach (Advisor)."
    ),
    Setting(
        "rightsize_vm.target_memory_p95_percent",
        60.0,
        "P95 memory use the smaller size may reach (Advisor).",
    ),
    Setting(
        "long_deallocated_vm.days",
        30,
        "Days without compute cost (AOE LongDeallocatedVmsIntervalDays: 30).",
    ),
    Setting(
        "unattached_disk.min_age_days",
        7,
        "Days since a disk was detached (LastOwnershipUpdateTime) before it is flagged (Advisor: 30).",
    ),
    Setting(
        "underused_premium_disk.percent",
        5.0,
        "Max IOPS and MB/s under this share of the tier limit (AOE: 5).",
    ),
    Setting(
        "old_snapshot.days", 90, "Snapshots older than this many days (Steampipe Thrifty: 90)."
    ),
    Setting(
        "underused_app_service_plan.cpu_p99_percent", 30.0, "P99 of max CPU below this (AOE: 30)."
    ),
    Setting(
        "underused_app_service_plan.memory_p99_percent", 50.0, "P99 memory below this (AOE: 50)."
    ),
    Setting(
        "underused_app_service_plan.target_peak_percent",
        75.0,
        "The smaller SKU must carry the peak CPU and memory below this (AOE degraded threshold: 75).",
    ),
    Setting(
        "storage_tiering.min_capacity_gb",
        100.0,
        "Hot accounts holding at least this much (OptScale: 100 GB).",
    ),
    Setting(
        "storage_tiering.max_transactions_per_day",
        10000.0,
        "…with fewer transactions per day than this.",
    ),
    Setting(
        "idle_sql_database.dtu_p99_percent",
        40.0,
        "P99 of max DTU use below this (AOE PerfThresholdDtuPercentage: 40).",
    ),
    Setting(
        "idle_sql_database.target_peak_percent",
        75.0,
        "The smaller objective must carry the peak DTU use below this (AOE DtuDegradedPercentage: 75).",
    ),
    Setting(
        "reservation_candidate.min_hours_per_day",
        23.5,
        "Hours a VM must run every day of the window.",
    ),
    Setting(
        "reservation_candidate.term_years",
        1,
        "Reservation and savings plan term to recommend, in years: 1 or 3 (Advisor offers both).",
    ),
    Setting(
        "reservation_candidate.discounts",
        {},
        "Family -> reservation discount for the term, overriding the built-in table.",
    ),
    Setting(
        "budgets",
        {},
        'Monthly budget per billing currency, e.g. {"USD": 15000}: the forecast burn.',
    ),
    Setting(
        "series_budgets",
        {},
        "Monthly budgets set for one subscription, service or tag value, e.g. "
        '{"SubAccountName=Contoso Prod": {"USD": 8000}, "tag:team=data": {"USD": 2000}}: '
        "each applies to that series' forecast only.",
    ),
)
DEFAULTS: dict[str, Any] = {s.key: s.default for s in SETTINGS}
# Settings no rule reads: changing them must not recompute findings.
VIEW_ONLY = frozenset({"budgets", "series_budgets"})


def resolve_settings(stored: dict[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with a workspace's stored values (unknown keys are ignored)."""
    values = dict(DEFAULTS)
    values.update({key: value for key, value in stored.items() if key in DEFAULTS})
    return values


def rule_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings findings depend on: every one except those that only shape a view."""
    return {key: value for key, value in settings.items() if key not in VIEW_ONLY}


def validate_setting(key: str, value: Any) -> Any:
    """Check a value against its default's type; return it normalised."""
    if key not in DEFAULTS:
        raise CloudOptimaError(f"unknown setting '{key}'; known settings: {', '.join(DEFAULTS)}")
    default = DEFAULTS[key]
    if isinstance(default, bool) or isinstance(value, bool):
        ok = isinstance(value, bool) and isinstance(default, bool)
    elif isinstance(default, int | float):
        ok = isinstance(value, int | float)
        value = type(default)(value) if ok else value
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise CloudOptimaError(f"setting '{key}' needs a {type(default).__name__}, not {value!r}")
    if key == "budgets":
        return _budgets(value)
    if key == "series_budgets":
        return _series_budgets(value)
    if key in _CHOICES and value not in _CHOICES[key]:
        raise CloudOptimaError(
            f"setting '{key}' must be one of {', '.join(map(str, _CHOICES[key]))}, not {value!r}"
        )
    if key.endswith("_coverage") and not 0.0 <= value <= 1.0:
        raise CloudOptimaError(f"setting '{key}' is a share between 0 and 1, not {value!r}")
    return value


_CHOICES: dict[str, tuple[Any, ...]] = {"reservation_candidate.term_years": (1, 3)}


def _series_budgets(value: dict[str, Any]) -> dict[str, dict[str, float]]:
    """``DIMENSION=VALUE`` keys (a FOCUS column or tag:KEY) to budgets per currency."""
    checked = {}
    for series, budgets in value.items():
        dimension, _, name = str(series).partition("=")
        if not (dimension.strip() and name.strip()) or not isinstance(budgets, dict):
            raise CloudOptimaError(
                f"a series budget is keyed 'DIMENSION=VALUE' (e.g. 'ServiceName=Storage') with "
                f"budgets per currency, not {series!r}: {budgets!r}"
            )
        checked[f"{dimension.strip()}={name.strip()}"] = _budgets(budgets)
    return checked


def _budgets(value: dict[str, Any]) -> dict[str, float]:
    """Currency codes to non-negative monthly amounts."""
    budgets = {}
    for currency, amount in value.items():
        if not (is_currency(currency) and isinstance(amount, int | float) and amount >= 0):
            raise CloudOptimaError(
                f"a budget needs an ISO 4217 currency and an amount >= 0, not {currency!r}: {amount!r}"
            )
        budgets[currency.upper()] = float(amount)
    return budgets
