"""The rule catalogue: every recommendation rule, built-in or user-added, registers here.

A rule is a small function from a :class:`RuleContext` to a frame with one row per
matching resource (columns in :data:`RULE_OUTPUT`). The findings engine adds the
shared columns (ids, names, cost basis, currency, lifecycle) to every rule's output.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from cloudoptima.analysis.rules.context import RuleContext
from cloudoptima.errors import CloudOptimaError

# What a rule returns: one row per resource that matches.
RULE_OUTPUT: dict[str, pl.DataType] = {
    "resource_id": pl.Utf8(),
    "monthly_savings": pl.Float64(),
    "description": pl.Utf8(),
    "evidence": pl.Utf8(),  # JSON object text with the figures that triggered the rule
    "target": pl.Utf8(),  # the size, tier or SKU to move to, when there is one
    "remediation": pl.Utf8(),  # an az CLI command
    "confidence": pl.Utf8(),  # high | medium | low
}

# What a rule may add: a finding that stands for no single inventory resource (a
# reservation recommendation for a group of VMs) names itself, and any rule may state
# the cost its savings came from. The engine fills what a rule leaves out from the
# inventory and from RuleContext.monthly_cost().
OPTIONAL_OUTPUT: dict[str, pl.DataType] = {
    "resource_name": pl.Utf8(),
    "resource_type": pl.Utf8(),
    "subscription_id": pl.Utf8(),
    "resource_group": pl.Utf8(),
    "location": pl.Utf8(),
    "BillingCurrency": pl.Utf8(),
    "cost_basis": pl.Utf8(),
    "monthly_cost": pl.Float64(),
}

Evaluate = Callable[[RuleContext], pl.DataFrame]


@dataclass(frozen=True)
class Rule:
    """A recommendation rule and the facts every finding of it shares."""

    id: str
    title: str
    category: str  # Compute | Storage | Networking | Web | Databases | Governance | Rate
    impact: str  # high | medium | low
    effort: str
    risk: str
    evaluate: Evaluate


RULES: dict[str, Rule] = {}
BUILTIN_MODULES = ("compute", "storage", "network", "platform", "governance", "commitments")


def register(rule: Rule) -> Rule:
    """Add a rule to the catalogue; ids are a public contract and must stay unique."""
    if rule.id in RULES and RULES[rule.id] is not rule:
        raise CloudOptimaError(f"a rule with id '{rule.id}' is already registered")
    RULES[rule.id] = rule
    return rule


def rule(
    rule_id: str, title: str, category: str, *, impact: str, effort: str, risk: str
) -> Callable[[Evaluate], Evaluate]:
    """Decorator form of :func:`register` for rule functions."""

    def wrap(evaluate: Evaluate) -> Evaluate:
        register(Rule(rule_id, title, category, impact, effort, risk, evaluate))
        return evaluate

    return wrap


def load_builtin_rules() -> dict[str, Rule]:
    """Import the built-in rule modules (registration happens on import)."""
    for module in BUILTIN_MODULES:
        importlib.import_module(f"cloudoptima.analysis.rules.{module}")
    return RULES


def empty_output() -> pl.DataFrame:
    """A rule result with no rows."""
    return pl.DataFrame(schema=RULE_OUTPUT)


__all__ = [
    "OPTIONAL_OUTPUT",
    "RULES",
    "RULE_OUTPUT",
    "Rule",
    "RuleContext",
    "empty_output",
    "load_builtin_rules",
    "register",
    "rule",
]
