"""Networking rules: orphaned public IPs and NICs, load balancers and gateways without backends."""

from __future__ import annotations

import polars as pl

from cloudoptima.analysis.rules import rule
from cloudoptima.analysis.rules.context import RuleContext
from cloudoptima.analysis.rules.ownership import parent_id, prop
from cloudoptima.analysis.rules.shaping import az, fmt, money, output, with_cost

PUBLIC_IP = "microsoft.network/publicipaddresses"
PUBLIC_IP_PREFIX = "microsoft.network/publicipprefixes"
NIC = "microsoft.network/networkinterfaces"
LOAD_BALANCER = "microsoft.network/loadbalancers"
APP_GATEWAY = "microsoft.network/applicationgateways"


@rule(
    "orphaned_public_ip",
    "Delete an unassociated public IP",
    "Networking",
    impact="low",
    effort="low",
    risk="low",
)
def orphaned_public_ip(ctx: RuleContext) -> pl.DataFrame:
    """A public IP with no IP configuration and no NAT gateway is billed for nothing;
    so is one whose only configuration belongs to an orphaned NIC (FinOps hubs).

    An IP taken from a public IP prefix that something uses (a NAT gateway, a load
    balancer's outbound frontend) stays: the prefix is the unit that is in use.
    """
    ips = _with_holder(ctx, ctx.resources(PUBLIC_IP)).with_columns(
        prop("$.publicIPPrefix.id").str.to_lowercase().alias("public_ip_prefix")
    )
    ips = ips.filter(
        (pl.col("public_ip_associated") == False)  # noqa: E712
        | pl.col("orphaned_nic").is_not_null()
    )
    prefixes = _prefix_use(ctx)
    ips = ips.join(prefixes, on="public_ip_prefix", how="left").filter(
        ~pl.col("prefix_in_use").fill_null(False)
    )
    ips = with_cost(ctx, ips)
    held = (
        pl.when(pl.col("orphaned_nic").is_not_null())
        .then(
            pl.concat_str(
                pl.lit("is held only by the network interface "),
                pl.col("orphaned_nic").str.split("/").list.last(),
                pl.lit(", which belongs to no VM,"),
            )
        )
        .otherwise(pl.lit("is attached to no network interface, load balancer or NAT gateway"))
    )
    prefix_note = (
        pl.when(pl.col("public_ip_prefix").is_not_null() & pl.col("prefix_in_use").is_null())
        .then(
            pl.lit(
                " It comes from a public IP prefix the inventory does not list; check the prefix first."
            )
        )
        .otherwise(pl.lit(""))
    )
    return output(
        ips,
        savings=pl.col("monthly_cost"),
        description=fmt(
            "The {sku} public IP {held} and costs {cost} a month.{note}",
            sku=pl.col("sku_name"),
            held=held,
            cost=money("monthly_cost"),
            note=prefix_note,
        ),
        evidence=["sku_name", "public_ip_associated", "orphaned_nic", "public_ip_prefix"],
        remediation=pl.when(pl.col("orphaned_nic").is_not_null())
        .then(
            pl.concat_str(
                pl.lit("az network nic delete --ids "),
                pl.col("orphaned_nic"),
                pl.lit(" && "),
                az("az network public-ip delete --ids {id}"),
            )
        )
        .otherwise(az("az network public-ip delete --ids {id}")),
        confidence=pl.when(pl.col("public_ip_prefix").is_not_null())
        .then(pl.lit("medium"))
        .otherwise(pl.lit("high")),
    )


def _with_holder(ctx: RuleContext, ips: pl.DataFrame) -> pl.DataFrame:
    """Add ``orphaned_nic``: the NIC holding the IP, when that NIC itself is orphaned."""
    holder = parent_id(prop("$.ipConfiguration.id"), "ipconfigurations")
    orphans = ctx.resources(NIC).filter(pl.col("nic_attached") == False)  # noqa: E712
    return (
        ips.with_columns(holder.alias("_holder"))
        .join(
            orphans.select(
                pl.col("resource_id").alias("_holder"), pl.col("resource_id").alias("orphaned_nic")
            ),
            on="_holder",
            how="left",
        )
        .drop("_holder")
    )


def _prefix_use(ctx: RuleContext) -> pl.DataFrame:
    """Public IP prefixes of the inventory and whether a NAT gateway or load balancer uses them."""
    prefixes = ctx.resources(PUBLIC_IP_PREFIX)
    used = prop("$.natGateway.id", "$.loadBalancerFrontendIpConfiguration.id").is_not_null()
    return prefixes.select(
        pl.col("resource_id").alias("public_ip_prefix"), used.alias("prefix_in_use")
    )


@rule(
    "orphaned_nic",
    "Delete an orphaned network interface",
    "Networking",
    impact="low",
    effort="low",
    risk="low",
)
def orphaned_nic(ctx: RuleContext) -> pl.DataFrame:
    """A NIC with no VM, private endpoint or private link service (free, but clutter and IPs)."""
    nics = with_cost(ctx, ctx.resources(NIC).filter(pl.col("nic_attached") == False))  # noqa: E712
    return output(
        nics,
        savings=pl.col("monthly_cost"),
        description=pl.lit(
            "The network interface belongs to no VM, private endpoint or private link service. NICs are "
            "free, but an orphan holds a private IP and keeps its public IP and security rules alive."
        ),
        evidence=["nic_attached"],
        remediation=az("az network nic delete --ids {id}"),
        confidence="high",
    )


def _idle_backends(ctx: RuleContext, arm_type: str) -> pl.DataFrame:
    return with_cost(
        ctx,
        ctx.resources(arm_type).filter(
            (pl.col("backend_pool_count") == 0) | (pl.col("backend_target_count") == 0)
        ),
    )


# A load balancer forwards without a backend pool through inbound NAT rules (or pools),
# and sends its backends' outbound traffic through outbound rules (Orphaned Resources
# workbook: idle only with no backend pool *and* no inbound NAT rule).
_IN_USE_WITHOUT_POOLS = r'"(?i:inboundNatRules|inboundNatPools|outboundRules)"\s*:\s*\[\s*\{'


def _forwards_without_pools() -> pl.Expr:
    return pl.col("properties").fill_null("").str.contains(_IN_USE_WITHOUT_POOLS)


@rule(
    "idle_load_balancer",
    "Delete a load balancer with no backends",
    "Networking",
    impact="low",
    effort="low",
    risk="low",
)
def idle_load_balancer(ctx: RuleContext) -> pl.DataFrame:
    """No backend pool (or only empty ones) and no NAT or outbound rule: it forwards nothing."""
    lbs = _idle_backends(ctx, LOAD_BALANCER).filter(~_forwards_without_pools())
    return output(
        lbs,
        savings=pl.col("monthly_cost"),
        description=fmt(
            "The {sku} load balancer has {pools} backend pool(s), {targets} backend target(s) and no inbound "
            "NAT or outbound rule, so it serves no traffic, yet costs {cost} a month.",
            sku=pl.col("sku_name"),
            pools=pl.col("backend_pool_count"),
            targets=pl.col("backend_target_count"),
            cost=money("monthly_cost"),
        ),
        evidence=["sku_name", "backend_pool_count", "backend_target_count"],
        remediation=az("az network lb delete --ids {id}"),
    )


@rule(
    "idle_app_gateway",
    "Stop or delete an application gateway with no backends",
    "Networking",
    impact="medium",
    effort="low",
    risk="low",
)
def idle_app_gateway(ctx: RuleContext) -> pl.DataFrame:
    """Backend pools without any target: the gateway routes to nowhere."""
    gateways = _idle_backends(ctx, APP_GATEWAY)
    return output(
        gateways,
        savings=pl.col("monthly_cost"),
        description=fmt(
            "The application gateway has {pools} backend pool(s) with {targets} target(s) and costs {cost} "
            "a month.",
            pools=pl.col("backend_pool_count"),
            targets=pl.col("backend_target_count"),
            cost=money("monthly_cost"),
        ),
        evidence=["sku_name", "backend_pool_count", "backend_target_count"],
        remediation=az("az network application-gateway stop --ids {id}"),
    )
