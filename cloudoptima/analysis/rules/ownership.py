"""Who owns a resource: platforms that manage VMs, and references between resources.

Rules read these from the Resource Graph row (``properties``, ``tags``, ``managedBy``,
the resource group), as the FinOps toolkit and the Orphaned Resources workbook do.
"""

from __future__ import annotations

import polars as pl

# Resource groups a platform creates and owns (prefixes, any case): AKS node resource
# groups (MC_<group>_<cluster>_<region>), Service Fabric managed clusters (SFC_<id>),
# Databricks managed groups (databricks-rg-<workspace>-<suffix>).
PLATFORM_GROUPS = {"mc_": "AKS", "sfc_": "Service Fabric", "databricks-rg-": "Databricks"}
# Tag keys (prefixes, any case) platforms put on the VMs they run.
PLATFORM_TAGS = {
    "aks-managed-": "AKS",
    "databricks-instance-name": "Databricks",
    "databricksenvironment": "Databricks",
}
# Tags that name the platform (Databricks tags its VMs Vendor=Databricks; the Service
# Fabric cluster templates tag resourceType=Service Fabric).
PLATFORM_TAG_VALUES = {
    '"vendor":"databricks"': "Databricks",
    '"resourcetype":"service fabric"': "Service Fabric",
}


def prop(*paths: str) -> pl.Expr:
    """The first of ``paths`` (JSONPath into ``properties``) that is set, as text.

    ARM spells keys in camelCase and az CLI sometimes capitalises them differently
    (``LastOwnershipUpdateTime``), so callers pass each spelling.
    """
    return pl.coalesce([pl.col("properties").str.json_path_match(path) for path in paths])


def has_tag_key(prefix: str) -> pl.Expr:
    """Whether the resource has a tag whose key starts with ``prefix`` (any case)."""
    pattern = '"' + _regex_escape(prefix.lower()) + r'[^"]*"\s*:'
    return pl.col("tags").fill_null("{}").str.to_lowercase().str.contains(pattern)


def platform_manager() -> pl.Expr:
    """Which platform manages a VM (AKS, Databricks, a scale set, Service Fabric, or another
    resource through ``managedBy``), or null when it is the customer's own.

    Batch pools and Service Fabric node types run on scale sets: their VMs are either
    uniform instances (another resource type, never judged as VMs) or flexible ones,
    which carry ``properties.virtualMachineScaleSet``.

    Deallocating or resizing such a VM behind the platform's back breaks the platform,
    and the platform recreates it anyway; the change belongs in the platform's own
    settings (node pool size, cluster policy, pool size).
    """
    group = pl.col("resource_group").fill_null("").str.to_lowercase()
    tags = pl.col("tags").fill_null("{}").str.to_lowercase().str.replace_all(r"\s*:\s*", ":")
    managed_by = pl.col("managed_by").fill_null("")
    signals: list[tuple[pl.Expr, pl.Expr]] = [
        (prop("$.virtualMachineScaleSet.id").is_not_null(), pl.lit("a virtual machine scale set")),
        *((group.str.starts_with(p), pl.lit(name)) for p, name in PLATFORM_GROUPS.items()),
        *((has_tag_key(p), pl.lit(name)) for p, name in PLATFORM_TAGS.items()),
        *(
            (tags.str.contains(text, literal=True), pl.lit(name))
            for text, name in PLATFORM_TAG_VALUES.items()
        ),
        (managed_by != "", pl.concat_str(pl.lit("the resource "), managed_by)),
    ]
    return pl.coalesce([pl.when(signal).then(label) for signal, label in signals])


def referenced_ids(frame: pl.DataFrame, arm_type: str) -> set[str]:
    """Lower-cased ids of resources of ``arm_type`` that the ``properties`` of ``frame`` name."""
    if frame.is_empty():
        return set()
    provider, _, kind = arm_type.lower().partition("/")
    pattern = (
        rf'/subscriptions/[^"]+?/providers/{_regex_escape(provider)}/{_regex_escape(kind)}/[^"/]+'
    )
    found = (
        frame.select(pl.col("properties").fill_null("").str.to_lowercase().str.extract_all(pattern))
        .explode("properties")
        .drop_nulls()
        .get_column("properties")
    )
    return set(found.to_list())


def parent_id(reference: pl.Expr, child_segment: str) -> pl.Expr:
    """The id of the resource that owns a sub-resource id (a NIC of its IP configuration)."""
    lowered = reference.str.to_lowercase()
    return lowered.str.split(f"/{child_segment}/").list.first()


def _regex_escape(text: str) -> str:
    return "".join("\\" + ch if ch in r".^$*+?()[]{}|\\" else ch for ch in text)
