"""What a connection's identity can see: its subscriptions and the roles a sync needs.

The roles are judged from the identity's effective permissions on each subscription
(``Microsoft.Authorization/permissions``), which count roles given through groups and
management groups too: Reader lets it read resources, Cost Management Reader costs,
Monitoring Reader metrics (a role with ``*/read`` covers all three).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from cloudoptima.azure.problems import explain

if TYPE_CHECKING:
    from cloudoptima.azure.clients import AzureSession

PERMISSIONS_API = "2022-04-01"
_INACTIVE = {"disabled", "deleted"}


@dataclass(frozen=True)
class Need:
    """A role a sync needs, what it allows, and an action only it (or a wider role) grants."""

    role: str
    what: str
    action: str


NEEDS = (
    Need("Reader", "resources", "Microsoft.Compute/virtualMachines/read"),
    Need("Cost Management Reader", "costs", "Microsoft.CostManagement/query/read"),
    Need("Monitoring Reader", "metrics", "Microsoft.Insights/metrics/read"),
)


@dataclass(frozen=True)
class Subscription:
    """A subscription the identity can see."""

    id: str  # GUID, lower case
    name: str
    state: str = "Enabled"

    @property
    def label(self) -> str:
        """'Contoso Prod (1111…)': how messages name it."""
        return f"{self.name} ({self.id})" if self.name != self.id else self.id


@dataclass
class SubscriptionAccess:
    """Which needed roles the identity has on one subscription."""

    subscription: Subscription
    granted: dict[str, bool] = field(default_factory=dict)  # role -> has it
    error: str | None = None

    @property
    def missing(self) -> list[Need]:
        """The needs it lacks."""
        return [n for n in NEEDS if not self.granted.get(n.role, False)]


@dataclass
class AccessReport:
    """What ``connections test`` reports."""

    connection: str
    subscriptions: list[SubscriptionAccess] = field(default_factory=list)
    not_visible: list[str] = field(default_factory=list)  # configured ids it cannot see

    @property
    def ok(self) -> bool:
        """Signed in, sees every configured subscription, and has every role on each."""
        return (
            bool(self.subscriptions)
            and not self.not_visible
            and not any(s.missing or s.error for s in self.subscriptions)
        )

    def lines(self) -> list[str]:
        """The report in plain words, one line each."""
        count = len(self.subscriptions)
        lines = [f"Signed in. The identity sees {count} subscription(s) in scope."]
        for missing in self.not_visible:
            lines.append(
                f"  {missing}: not visible to this identity (no role on it, or another tenant)"
            )
        for access in self.subscriptions:
            lines.append("  " + _access_line(access))
        if self.ok:
            lines.append("Nothing is missing: a sync can read resources, metrics and costs.")
        return lines


def _access_line(access: SubscriptionAccess) -> str:
    label = access.subscription.label
    if access.error:
        return f"{label}: could not read its permissions: {access.error}"
    if not access.missing:
        return f"{label}: Reader, Cost Management Reader and Monitoring Reader are all granted"
    missing = "; ".join(f"{n.role} is missing, so it cannot read {n.what}" for n in access.missing)
    return f"{label}: {missing}"


def visible_subscriptions(session: AzureSession) -> list[Subscription]:
    """Every active subscription the identity can see, by name."""
    client = session.subscriptions()
    found = []
    for item in client.subscriptions.list():
        state = str(getattr(item.state, "value", item.state) or "Enabled")
        if state.lower() in _INACTIVE or not item.subscription_id:
            continue
        sub_id = str(item.subscription_id).lower()
        found.append(Subscription(sub_id, str(item.display_name or sub_id), state))
    return sorted(found, key=lambda s: (s.name.lower(), s.id))


def in_scope(
    configured: Sequence[str], visible: Sequence[Subscription]
) -> tuple[list[Subscription], list[str]]:
    """The subscriptions to sync, and the configured ones the identity cannot see."""
    if not configured:
        return list(visible), []
    by_id = {s.id: s for s in visible}
    return [by_id[c] for c in configured if c in by_id], [c for c in configured if c not in by_id]


def check_access(session: AzureSession, *, secret: str | None = None) -> AccessReport:
    """Sign in, list the subscriptions in scope and judge the roles on each."""
    visible = visible_subscriptions(session)
    chosen, not_visible = in_scope(session.connection.subscriptions, visible)
    report = AccessReport(session.connection.name, not_visible=not_visible)
    client = session.pipeline(signed=True)
    for subscription in chosen:
        access = SubscriptionAccess(subscription)
        try:
            rules = effective_permissions(client, session.cloud.arm_endpoint, subscription.id)
        except Exception as exc:  # every Azure error becomes a sentence in the report
            access.error = explain(exc, dataset="subscriptions", secret=secret)
        else:
            access.granted = {n.role: allows(rules, n.action) for n in NEEDS}
        report.subscriptions.append(access)
    return report


def effective_permissions(
    client: Any, arm_endpoint: str, subscription_id: str
) -> list[dict[str, Any]]:
    """The identity's permission rules on a subscription, every page."""
    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat

    url: str | None = (
        f"{arm_endpoint}/subscriptions/{subscription_id}/providers/"
        f"Microsoft.Authorization/permissions?api-version={PERMISSIONS_API}"
    )
    rules: list[dict[str, Any]] = []
    while url:
        response = client.send_request(HttpRequest("GET", url))
        if response.status_code != 200:
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        body = response.json()
        rules.extend(body.get("value") or [])
        url = body.get("nextLink")
    return rules


def allows(rules: Sequence[dict[str, Any]], action: str) -> bool:
    """True when some rule grants ``action`` and does not exclude it (wildcards allowed)."""
    wanted = action.lower()
    return any(
        _matches(rule.get("actions"), wanted) and not _matches(rule.get("notActions"), wanted)
        for rule in rules
    )


def _matches(patterns: Any, action: str) -> bool:
    return any(fnmatchcase(action, str(p).lower()) for p in patterns or [])
