"""Networking rules: orphaned public IPs and NICs, load balancers and gateways without backends."""

from __future__ import annotations

import polars as pl

from cloudoptima.analysis.rules import rule
from cloudoptima.analysis.rules.context import RuleContext
from cloudoptima.analysis.rules.shaping import az, fmt, output, with_cost

PUBLIC_IP = "microsoft.network/publicipaddresses"
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
    """A public IP with no IP configuration and no NAT gateway is billed for nothing."""
    ips = with_cost(ctx, ctx.resources(PUBLIC_IP).filter(pl.col("public_ip_associated") == False))  # noqa: E712
    return output(
        ips,
        savings=pl.col("monthly_cost"),
        description=fmt(
            "The {sku} public IP is attached to no network interface, load balancer or NAT gateway and cost "
            "{cost} in the last 30 days.",
            sku=pl.col("sku_name"),
            cost=pl.col("monthly_cost").round(2),
        ),
        evidence=["sku_name", "public_ip_associated"],
        remediation=az("az network public-ip delete --ids {id}"),
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


@rule(
    "idle_load_balancer",
    "Delete a load balancer with no backends",
    "Networking",
    impact="low",
    effort="low",
    risk="low",
)
def idle_load_balancer(ctx: RuleContext) -> pl.DataFrame:
    """No backend pool (or only empty ones): the load balancer balances nothing."""
    lbs = _idle_backends(ctx, LOAD_BALANCER)
    return output(
        lbs,
        savings=pl.col("monthly_cost"),
        description=fmt(
            "The {sku} load balancer has {pools} backend pool(s) and {targets} backend target(s), so it serves "
            "no traffic, yet cost {cost} in the last 30 days.",
            sku=pl.col("sku_name"),
            pools=pl.col("backend_pool_count"),
            targets=pl.col("backend_target_count"),
            cost=pl.col("monthly_cost").round(2),
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
            "The application gateway has {pools} backend pool(s) with {targets} target(s) and cost {cost} in "
            "the last 30 days.",
            pools=pl.col("backend_pool_count"),
            targets=pl.col("backend_target_count"),
            cost=pl.col("monthly_cost").round(2),
        ),
        evidence=["sku_name", "backend_pool_count", "backend_target_count"],
        remediation=az("az network application-gateway stop --ids {id}"),
    )
