"""The offline engine: common FinOps questions answered with SQL it shows, no network.

It reads a question into a :class:`~cloudoptima.ai.intents.Query`, writes one SQL
statement over the curated views, runs it through the guard and the sandbox like any
other statement, and words the answer from the rows it got back. It never states a
figure the query did not return; when it cannot read a question, it says so and
suggests questions it can answer, built from the workspace's own names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

from cloudoptima.ai import wording
from cloudoptima.ai.answer import Answer, ChartSpec
from cloudoptima.ai.dates import Period
from cloudoptima.ai.entities import Catalog, load_catalog
from cloudoptima.ai.intents import Query, default_period, read_question
from cloudoptima.ai.sandbox import QueryResult, Sandbox
from cloudoptima.storage.sql import quote_ident, quote_literal

LABELS = {
    "service_name": "service",
    "service_category": "service_category",
    "subscription_name": "subscription",
    "resource_group": "resource_group",
    "resource_name": "resource",
    "resource_type": "resource_type",
    "region": "region",
}


def answer_offline(question: str, history: Sequence[str], sandbox: Sandbox) -> Answer:
    """Answer ``question``; ``history`` holds the earlier questions of the conversation."""
    catalog = load_catalog(lambda sql: sandbox.run(sql).frame)
    if catalog is None:
        return Answer(
            question, "The workspace holds no cost data yet, so there is nothing to ask about."
        )
    context = None
    for earlier in history:
        read = read_question(earlier, catalog, context)
        context = read if read.intent else context
    query = read_question(question, catalog, context)
    if query.unknown:
        return _cannot(question, catalog, f"I found nothing named '{query.unknown}' in the data.")
    if query.intent is None:
        return _cannot(question, catalog, "I could not tell what this question asks for.")
    return _ANSWERS[query.intent](question, query, catalog, sandbox)


# -- costs -------------------------------------------------------------------------
def _where(query: Query, period: Period) -> str:
    conditions = [f"day BETWEEN DATE '{period.start}' AND DATE '{period.end}'"]
    conditions += [f.cost_sql() for f in query.filters]
    return "\n  AND ".join(conditions)


def _period(query: Query, catalog: Catalog, index: int = 0) -> Period:
    chosen = (
        query.periods[index]
        if len(query.periods) > index
        else default_period(query, catalog.last_day)
    )
    return chosen.clipped(catalog.last_day)


def _outside(period: Period, catalog: Catalog) -> str | None:
    if period.end < catalog.first_day or period.start > catalog.last_day:
        return (
            f"The cost data covers {catalog.first_day} to {catalog.last_day}; "
            f"{period.describe()} is outside it, so I have no figure for it."
        )
    return None


def _total(question: str, query: Query, catalog: Catalog, sandbox: Sandbox) -> Answer:
    if query.dimension:
        return _top(question, replace(query, intent="top"), catalog, sandbox)
    period = _period(query, catalog)
    if outside := _outside(period, catalog):
        return Answer(question, outside)
    sql = f"""SELECT billing_currency, sum({query.metric}) AS cost
FROM daily_costs
WHERE {_where(query, period)}
GROUP BY billing_currency
ORDER BY billing_currency"""
    result = sandbox.run(sql)
    return _answer(question, result, wording.total(result.frame, query, period))


def _top(question: str, query: Query, catalog: Catalog, sandbox: Sandbox) -> Answer:
    period = _period(query, catalog)
    if outside := _outside(period, catalog):
        return Answer(question, outside)
    dimension = query.dimension or "resource_name"
    label = _label(dimension)
    sql = f"""SELECT {_dimension_sql(dimension)} AS {quote_ident(label)}, billing_currency,
       sum({query.metric}) AS cost
FROM daily_costs
WHERE {_where(query, period)}
GROUP BY 1, 2
QUALIFY row_number() OVER (PARTITION BY billing_currency ORDER BY cost DESC) <= {query.top}
ORDER BY billing_currency, cost DESC"""
    result = sandbox.run(sql)
    text = wording.top(result.frame, query, period, label)
    return _answer(
        question, result, text, ChartSpec("bar", label, "cost", title=f"Cost by {label}")
    )


def _trend(question: str, query: Query, catalog: Catalog, sandbox: Sandbox) -> Answer:
    period = _period(query, catalog)
    if outside := _outside(period, catalog):
        return Answer(question, outside)
    bucket = "day" if query.grain == "day" else f"date_trunc('{query.grain}', day)::DATE"
    sql = f"""SELECT {bucket} AS {query.grain}, billing_currency, sum({query.metric}) AS cost
FROM daily_costs
WHERE {_where(query, period)}
GROUP BY ALL
ORDER BY billing_currency, {query.grain}"""
    result = sandbox.run(sql)
    chart = ChartSpec("line", query.grain, "cost", title=f"Cost per {query.grain}")
    return _answer(question, result, wording.trend(result.frame, query, period), chart)


def _compare(question: str, query: Query, catalog: Catalog, sandbox: Sandbox) -> Answer:
    first = _period(query, catalog)
    second = _period(query, catalog, 1) if len(query.periods) > 1 else None
    if second is None:
        first, second = first.before(), first
    if outside := _outside(first, catalog) or _outside(second, catalog):
        return Answer(question, outside)
    names = (first.label, second.label)
    group, label = _group(query.dimension)
    sums = ",\n       ".join(
        f"coalesce(sum({query.metric}) FILTER (WHERE day BETWEEN DATE '{p.start}' AND DATE '{p.end}'), 0) AS {quote_ident(n)}"
        for p, n in zip((first, second), names, strict=True)
    )
    span = Period(min(first.start, second.start), max(first.end, second.end), "", "range")
    sql = f"""SELECT {group}billing_currency,
       {sums},
       {quote_ident(names[1])} - {quote_ident(names[0])} AS change
FROM daily_costs
WHERE {_where(query, span)}
GROUP BY ALL
ORDER BY billing_currency, {quote_ident(names[1])} DESC"""
    result = sandbox.run(sql)
    text = wording.compare(result.frame, query, first, second, label)
    chart = (
        ChartSpec("bar", label, "change", title=f"Change from {names[0]} to {names[1]}")
        if label
        else None
    )
    return _answer(question, result, text, chart)


def _increase(question: str, query: Query, catalog: Catalog, sandbox: Sandbox) -> Answer:
    current = _period(query, catalog)
    previous = _same_days_before(current)
    dimension = query.dimension or "service_name"
    label = _label(dimension)
    span = Period(previous.start, current.end, "", "range")
    window = "day BETWEEN DATE '{}' AND DATE '{}'"
    sql = f"""SELECT {_dimension_sql(dimension)} AS {quote_ident(label)}, billing_currency,
       coalesce(sum({query.metric}) FILTER (WHERE {window.format(previous.start, previous.end)}), 0) AS before,
       coalesce(sum({query.metric}) FILTER (WHERE {window.format(current.start, current.end)}), 0) AS now,
       now - before AS increase,
       round(100 * (now - before) / nullif(before, 0), 1) AS increase_pct
FROM daily_costs
WHERE {_where(query, span)}
GROUP BY 1, 2
HAVING increase > 0
QUALIFY row_number() OVER (PARTITION BY billing_currency ORDER BY increase DESC) <= {query.top}
ORDER BY billing_currency, increase DESC"""
    result = sandbox.run(sql)
    text = wording.increase(result.frame, query, current, previous, label)
    return _answer(question, result, text, ChartSpec("bar", label, "increase", title="Increase"))


def _same_days_before(period: Period) -> Period:
    """Month to date compares with the same days of the month before; others with the period before."""
    if period.unit == "month" and (period.end + timedelta(days=1)).day != 1:
        whole = period.before()
        end = min(whole.end, whole.start + timedelta(days=period.days - 1))
        return Period(whole.start, end, f"the same days of {whole.label}", "range")
    return period.before()


def _untagged(question: str, query: Query, catalog: Catalog, sandbox: Sandbox) -> Answer:
    period = _period(query, catalog)
    if outside := _outside(period, catalog):
        return Answer(question, outside)
    if query.missing_tag:
        condition = f"json_extract_string(tags, {quote_literal('$.' + chr(34) + query.missing_tag + chr(34))}) IS NULL"
    else:
        condition = "(tags IS NULL OR json_keys(tags) = [])"
    group, label = _group(query.dimension)
    sql = f"""SELECT {group}billing_currency,
       coalesce(sum({query.metric}) FILTER (WHERE {condition}), 0) AS untagged_cost,
       sum({query.metric}) AS total_cost,
       round(100 * untagged_cost / nullif(total_cost, 0), 1) AS untagged_pct
FROM daily_costs
WHERE {_where(query, period)}
GROUP BY ALL
ORDER BY billing_currency, untagged_cost DESC"""
    result = sandbox.run(sql)
    text = wording.untagged(result.frame, query, period, label)
    chart = ChartSpec("bar", label, "untagged_cost", title="Untagged cost") if label else None
    return _answer(question, result, text, chart)


# -- findings, forecasts, inventory --------------------------------------------------
def _savings(question: str, query: Query, catalog: Catalog, sandbox: Sandbox) -> Answer:
    conditions = ["status = 'open'", "monthly_savings > 0"]
    if query.rule:
        conditions.append(f"rule = {quote_literal(query.rule)}")
    # Services and storage words name the rule ("idle VMs"); findings filter by place and tag.
    kept = tuple(f for f in query.filters if f.finding_sql(catalog.subscription_ids))
    query = replace(query, filters=kept)
    conditions += [str(f.finding_sql(catalog.subscription_ids)) for f in kept]
    where = "\n  AND ".join(conditions)
    if query.rule or query.listing:
        sql = f"""SELECT resource_name, resource_group, title, monthly_savings,
       billing_currency, target, finding_id
FROM findings
WHERE {where}
ORDER BY monthly_savings DESC"""
        result = sandbox.run(sql)
        return _answer(question, result, wording.finding_list(result.frame, query))
    sql = f"""SELECT rule, billing_currency, count(*) AS findings,
       sum(monthly_savings) AS monthly_savings
FROM findings
WHERE {where}
GROUP BY ALL
ORDER BY billing_currency, monthly_savings DESC"""
    result = sandbox.run(sql)
    chart = ChartSpec("bar", "rule", "monthly_savings", title="Monthly savings by rule")
    return _answer(question, result, wording.savings(result.frame, query), chart)


def _forecast(question: str, query: Query, catalog: Catalog, sandbox: Sandbox) -> Answer:
    notes = (
        ["The forecast covers the whole workspace; it is not split by the names in the question."]
        if query.filters
        else []
    )
    if query.next_month:
        start = (catalog.last_day.replace(day=28) + timedelta(days=4)).replace(day=1)
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        sql = f"""SELECT billing_currency, count(*) AS days, sum(forecast) AS forecast
FROM forecasts
WHERE day BETWEEN DATE '{start}' AND DATE '{end}'
GROUP BY billing_currency
ORDER BY billing_currency"""
        result = sandbox.run(sql)
        return _answer(question, result, wording.next_month(result.frame, start, notes))
    sql = """SELECT month, billing_currency, actual_to_date, forecast_rest, projected, lower_80,
       upper_80, days_remaining
FROM forecast_month_end
ORDER BY billing_currency"""
    result = sandbox.run(sql)
    return _answer(question, result, wording.month_end(result.frame, catalog.last_day, notes))


def _count(question: str, query: Query, catalog: Catalog, sandbox: Sandbox) -> Answer:
    types = {
        "microsoft.compute/virtualmachines": r"\bvms?\b|virtual machine",
        "microsoft.compute/disks": r"disk",
        "microsoft.storage/storageaccounts": r"storage account",
        "microsoft.sql/servers/databases": r"database",
        "microsoft.compute/snapshots": r"snapshot",
        "microsoft.network/publicipaddresses": r"public ip",
    }
    wanted = [t for t, words in types.items() if re.search(words, question.lower())]
    kind = f"WHERE type = {quote_literal(wanted[0])}" if wanted else ""
    split = "power_state" if wanted[:1] == ["microsoft.compute/virtualmachines"] else "type"
    if wanted[:1] == ["microsoft.compute/disks"]:
        split = "disk_state"
    sql = f"""SELECT coalesce({split}, '(unknown)') AS {split}, count(*) AS resources
FROM resources
{kind}
GROUP BY ALL
ORDER BY resources DESC, {split}"""
    result = sandbox.run(sql)
    return _answer(
        question, result, wording.count(result.frame, split, wanted[0] if wanted else None)
    )


# -- helpers ---------------------------------------------------------------------------
def _dimension_sql(dimension: str) -> str:
    if dimension.startswith("tag:"):
        key = dimension[4:]
        path = quote_literal('$."' + key.replace('"', '\\"') + '"')
        return f"coalesce(json_extract_string(tags, {path}), '(untagged)')"
    return f"coalesce({quote_ident(dimension)}, '(none)')"


def _label(dimension: str) -> str:
    return dimension[4:] if dimension.startswith("tag:") else LABELS.get(dimension, dimension)


def _group(dimension: str | None) -> tuple[str, str | None]:
    if not dimension:
        return "", None
    label = _label(dimension)
    return f"{_dimension_sql(dimension)} AS {quote_ident(label)}, ", label


def _answer(
    question: str, result: QueryResult, text: str, chart: ChartSpec | None = None
) -> Answer:
    if result.frame.is_empty() or (chart and chart.x not in result.frame.columns):
        chart = None
    return Answer(question, text, result.sql, result.frame, chart, "offline")


def _cannot(question: str, catalog: Catalog, reason: str) -> Answer:
    ideas = suggestions(catalog)
    text = (
        reason
        + " I never guess a figure. Questions I can answer:\n"
        + "\n".join(f"- {s}" for s in ideas)
    )
    return Answer(question, text, suggestions=tuple(ideas))


def example_questions(last_day: date | None) -> list[str]:
    """Questions the offline engine answers, their months named after ``last_day``."""
    last = last_day or date.today()
    previous = (last.replace(day=1) - timedelta(days=1)).strftime("%B")
    return [
        "How much did we spend on storage last month?",
        "Top 5 resource groups this month",
        "Daily cost of virtual machines over the last 30 days",
        f"Compare {previous} and {last.strftime('%B')} by service",
        "Biggest increases by service this month",
        "What will we spend this month?",
        "How much can we save?",
        "List idle VMs",
        "Untagged spend last month",
    ]


def suggestions(catalog: Catalog) -> list[str]:
    """:func:`example_questions`, plus some with the workspace's own names in them."""
    ideas = example_questions(catalog.last_day)
    if catalog.names["service"]:
        ideas.append(f"How much did {catalog.names['service'][0]} cost year to date?")
    if catalog.names["resource_group"]:
        ideas.append(f"Cost of resource group {catalog.names['resource_group'][0]} last month")
    return ideas


_ANSWERS = {
    "total": _total,
    "top": _top,
    "trend": _trend,
    "compare": _compare,
    "increase": _increase,
    "untagged": _untagged,
    "savings": _savings,
    "forecast": _forecast,
    "count": _count,
}
