"""Names in a question matched against the data's own names: services, subscriptions,
resource groups, resources, regions and tag values.

Matching is deterministic: an exact name first ("rg-prod-data", "vm-web-01"), then the
synonyms FinOps people use (VM / virtual machines / compute, disk / storage,
RG / resource group), then the distinctive words of a name next to its kind ("the
production subscription", "env prod", "in prod"), then a close spelling of a
resource or resource group name. A filter carries its own SQL predicate, built with
:func:`~cloudoptima.storage.sql.quote_literal` from the data's name, never from the
question's text.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from cloudoptima.storage.sql import quote_literal

KINDS = {
    "service": "service_name",
    "category": "service_category",
    "subscription": "subscription_name",
    "resource_group": "resource_group",
    "resource": "resource_name",
    "region": "region",
}
ENVIRONMENT_WORDS = ("prod", "production", "dev", "test", "qa", "staging", "shared", "uat")
_TAG_KEY_SYNONYMS = {"environment": "env", "cost center": "costcenter", "cost centre": "costcenter"}


@dataclass(frozen=True)
class Catalog:
    """The names a workspace's cost data holds, and the days it covers."""

    first_day: date
    last_day: date
    currencies: tuple[str, ...]
    names: dict[str, tuple[str, ...]]  # kind (see KINDS) -> names
    resource_types: tuple[str, ...]
    subscription_ids: dict[str, str]  # subscription name -> id (lower-case GUID)
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key -> values


def load_catalog(run: Callable[[str], pl.DataFrame]) -> Catalog | None:
    """The catalog of the workspace ``run`` queries; None when it holds no cost rows."""
    span = run("SELECT min(day) AS first, max(day) AS last FROM daily_costs").row(0)
    if span[0] is None:
        return None
    names = run(
        "SELECT kind, name FROM ("
        + " UNION ALL ".join(
            f"SELECT DISTINCT '{kind}' AS kind, {column} AS name FROM daily_costs"
            for kind, column in {
                **KINDS,
                "type": "resource_type",
                "currency": "billing_currency",
            }.items()
        )
        + ") WHERE name IS NOT NULL ORDER BY kind, name"
    )
    by_kind: dict[str, tuple[str, ...]] = {}
    for (kind,), group in names.group_by(["kind"], maintain_order=True):
        by_kind[str(kind)] = tuple(str(n) for n in group["name"])
    subs = run(
        "SELECT DISTINCT subscription_name, subscription_id FROM daily_costs "
        "WHERE subscription_name IS NOT NULL"
    )
    return Catalog(
        first_day=span[0],
        last_day=span[1],
        currencies=by_kind.pop("currency", ()),
        names={kind: by_kind.get(kind, ()) for kind in KINDS},
        resource_types=by_kind.get("type", ()),
        subscription_ids={str(r[0]): str(r[1]) for r in subs.iter_rows()},
        tags=_tag_values(run),
    )


def _tag_values(run: Callable[[str], pl.DataFrame]) -> dict[str, tuple[str, ...]]:
    frame = run(
        """SELECT key, json_extract_string(tags, '$."' || replace(key, '"', '\\"') || '"') AS value
           FROM (SELECT DISTINCT tags, unnest(json_keys(tags)) AS key FROM daily_costs
                 WHERE tags IS NOT NULL)
           GROUP BY ALL ORDER BY key, value"""
    )
    values: dict[str, list[str]] = {}
    for key, value in frame.iter_rows():
        if value:
            values.setdefault(str(key), []).append(str(value))
    return {key: tuple(vals[:200]) for key, vals in values.items()}


@dataclass(frozen=True)
class Filter:
    """One condition of a question: a kind, the data's value and its SQL predicate."""

    kind: str  # a key of KINDS, or "tag", "storage"
    value: str
    label: str
    key: str | None = None  # the tag key of a tag filter
    values: tuple[str, ...] = ()  # resource types of the storage subject

    def cost_sql(self) -> str:
        """The predicate over ``daily_costs``."""
        if self.kind == "tag":
            return f"json_extract_string(tags, {_json_path(self.key or '')}) = {quote_literal(self.value)}"
        if self.kind == "storage":
            types = ", ".join(quote_literal(t) for t in self.values)
            return f"(service_category = 'Storage' OR resource_type IN ({types or 'NULL'}))"
        if self.kind == "resource_group":
            return f"lower(resource_group) = {quote_literal(self.value.lower())}"
        return f"{KINDS[self.kind]} = {quote_literal(self.value)}"

    def finding_sql(self, subscription_ids: dict[str, str]) -> str | None:
        """The predicate over ``findings`` (None when findings cannot be filtered so)."""
        if self.kind == "tag":
            return self.cost_sql()
        if self.kind == "resource_group":
            return self.cost_sql()
        if self.kind == "resource":
            return f"lower(resource_name) = {quote_literal(self.value.lower())}"
        if self.kind == "subscription" and self.value in subscription_ids:
            return f"subscription_id = {quote_literal(subscription_ids[self.value])}"
        return None


def _json_path(key: str) -> str:
    return quote_literal('$."' + key.replace('"', '\\"') + '"')


def normalise(text: str) -> str:
    """Lower case, punctuation other than - _ . = turned into spaces, spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9\-_.=\s]", " ", text.lower())).strip()


@dataclass
class Matcher:
    """Finds filters in one normalised question; remembers which words it used."""

    catalog: Catalog
    text: str
    filters: list[Filter] = field(default_factory=list)
    used: list[tuple[int, int]] = field(default_factory=list)

    def run(self) -> list[Filter]:
        """Every filter found, the most specific first."""
        self._exact_names()
        self._tags()
        self._synonyms()
        self._named_by_kind()
        self._close_spellings()
        return self.filters

    # -- the steps -------------------------------------------------------------------
    def _exact_names(self) -> None:
        candidates = [
            (name, kind)
            for kind in ("resource", "resource_group", "subscription", "service", "region")
            for name in self.catalog.names[kind]
        ]
        candidates += [
            (c, "category")
            for c in self.catalog.names["category"]
            if len(c) > 4 and c.lower() not in ("storage", "compute")  # synonyms of their own
        ]
        for name, kind in sorted(candidates, key=lambda c: -len(c[0])):
            wanted = normalise(name)
            if len(wanted) < 3:
                continue
            for match in re.finditer(rf"(?<![\w\-.]){re.escape(wanted)}s?(?![\w\-])", self.text):
                self._add(match.span(), Filter(kind, name, f"{_KIND_LABEL[kind]} {name}"))

    def _synonyms(self) -> None:
        services = self.catalog.names["service"]
        vm_service = next((s for s in services if s.lower() == "virtual machines"), None)
        for match in re.finditer(
            r"(?<![\w-])(?:vms?|virtual\s+machines?|compute)(?![\w-])", self.text
        ):
            if vm_service:
                self._add(match.span(), Filter("service", vm_service, f"service {vm_service}"))
            elif "Compute" in self.catalog.names["category"]:
                self._add(match.span(), Filter("category", "Compute", "service category Compute"))
        for match in re.finditer(r"\b(?:managed\s+)?(?:storage|disks?)\b", self.text):
            types = tuple(
                t for t in self.catalog.resource_types if re.search("disk|snapshot", t, re.I)
            )
            label = "storage (storage services, disks and snapshots)"
            self._add(match.span(), Filter("storage", "storage", label, values=types))
        for service in services:
            phrase = normalise(re.sub(r"^(azure|microsoft)\s+", "", service, flags=re.I))
            aliases = [re.escape(phrase), *_SERVICE_ALIASES.get(phrase, [])]
            for match in re.finditer(rf"\b(?:{'|'.join(aliases)})s?\b", self.text):
                self._add(match.span(), Filter("service", service, f"service {service}"))

    def _named_by_kind(self) -> None:
        subs = self.catalog.names["subscription"]
        common = _common_prefix([normalise(s) for s in subs]) if len(subs) > 1 else ""
        for match in re.finditer(
            r"\b([\w-]+)\s+(?:subscription|sub)\b|\b(?:subscription|sub)\s+([\w-]+)", self.text
        ):
            word = match.group(1) or match.group(2)
            for sub in subs:
                words = normalise(sub)[len(common) :].replace("-", " ").split()
                if any(w.startswith(word) or word.startswith(w) for w in words if len(word) > 2):
                    self._add(match.span(), Filter("subscription", sub, f"subscription {sub}"))
                    break
        for match in re.finditer(r"((?:[\w-]+\s+){1,3})(?:resource\s+group|rg)\b", self.text):
            words = match.group(1).split()
            for size in range(len(words), 0, -1):
                wanted = "-".join(words[-size:])
                for rg in self.catalog.names["resource_group"]:
                    if rg.lower() in (wanted, f"rg-{wanted}"):
                        self._add(
                            match.span(), Filter("resource_group", rg, f"resource group {rg}")
                        )

    def _tags(self) -> None:
        keys = {k.lower(): k for k in self.catalog.tags}
        text = self.text
        for synonym, key in _TAG_KEY_SYNONYMS.items():
            text = text.replace(synonym, key.ljust(len(synonym)))
        for lower, key in keys.items():
            values = {v.lower(): v for v in self.catalog.tags[key]}
            after = rf"\b{re.escape(lower)}\s*(?:=|:|\s)\s*([\w\-.]+)"  # "env prod", "env=prod"
            before = rf"\b([\w\-.]+)\s+{re.escape(lower)}\b"  # "research team"
            for pattern in (after, before):
                for match in re.finditer(pattern, text):
                    if match.group(1) in values:
                        self._add(match.span(), self._tag(key, values[match.group(1)]))
            if lower in ("env", "environment"):
                for match in re.finditer(r"\b(?:in|for)\s+([\w-]+)", text):
                    if match.group(1) in values and match.group(1) in ENVIRONMENT_WORDS:
                        self._add(match.span(1), self._tag(key, values[match.group(1)]))

    def _close_spellings(self) -> None:
        names = {
            n.lower(): (n, kind)
            for kind in ("resource", "resource_group")
            for n in self.catalog.names[kind]
        }
        for match in re.finditer(r"[a-z][\w\-.]*[\-\d][\w\-.]*", self.text):
            if self._is_used(match.span()) or len(match.group()) < 5:
                continue
            close = difflib.get_close_matches(match.group(), list(names), n=1, cutoff=0.85)
            if close:
                name, kind = names[close[0]]
                self._add(match.span(), Filter(kind, name, f"{_KIND_LABEL[kind]} {name}"))

    # -- bookkeeping -----------------------------------------------------------------
    def _tag(self, key: str, value: str) -> Filter:
        return Filter("tag", value, f"tag {key} = {value}", key=key)

    def _is_used(self, span: tuple[int, int]) -> bool:
        return any(span[0] < end and start < span[1] for start, end in self.used)

    def _add(self, span: tuple[int, int], found: Filter) -> None:
        if self._is_used(span):
            return
        self.used.append(span)
        if found not in self.filters:
            self.filters.append(found)


def _common_prefix(names: list[str]) -> str:
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    return prefix[: prefix.rfind(" ") + 1] if " " in prefix else ""


_KIND_LABEL = {
    "service": "service",
    "category": "service category",
    "subscription": "subscription",
    "resource_group": "resource group",
    "resource": "resource",
    "region": "region",
}
_SERVICE_ALIASES: dict[str, list[str]] = {
    "sql database": [r"sql", r"databases?"],
    "app service": [r"web\s+apps?", r"app\s+services?"],
    "application gateway": [r"app(?:lication)?\s+gateways?", r"gateways?"],
    "virtual network": [r"vnets?", r"public\s+ips?"],
    "monitor": [r"log\s+analytics", r"monitoring"],
    "kubernetes service": [r"aks", r"kubernetes"],
}
