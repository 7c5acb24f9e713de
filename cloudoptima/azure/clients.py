"""SDK clients of one connection, sharing its credential, endpoints, trust store and retries.

Retries are azure-core's :class:`~azure.core.pipeline.policies.RetryPolicy`, widened
in two ways: the read-only POSTs of Resource Graph and Cost Management queries are
retried like GETs, and Cost Management's own throttling headers
(``x-ms-ratelimit-microsoft.costmanagement-*-retry-after``) count as ``Retry-After``.
A per-try policy watches the ``x-ms-ratelimit-remaining-*`` headers and pauses the
connection's calls before Resource Manager starts refusing them.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import RetryPolicy, SansIOHTTPPolicy

from cloudoptima.azure.connections import Connection
from cloudoptima.azure.credentials import make_credential
from cloudoptima.azure.options import Tuning

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.mgmt.compute import ComputeManagementClient
    from azure.mgmt.costmanagement import CostManagementClient
    from azure.mgmt.monitor import MonitorManagementClient
    from azure.mgmt.resource.subscriptions import SubscriptionClient
    from azure.mgmt.resourcegraph import ResourceGraphClient

_COST_RETRY_AFTER = re.compile(r"^x-ms-ratelimit-microsoft\.costmanagement-[a-z]+-retry-after$")
_REMAINING = re.compile(r"^x-ms-ratelimit-remaining-")


@dataclass
class CallStats:
    """What the connection's calls went through: retries and throttling pauses."""

    retries: int = 0
    pauses: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, what: str) -> None:
        """Add one retry or pause (calls run on several threads)."""
        with self._lock:
            setattr(self, what, getattr(self, what) + 1)


class ReadRetryPolicy(RetryPolicy[Any, Any]):
    """azure-core's retry policy for read-only calls (see the module docstring)."""

    def __init__(self, stats: CallStats, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._stats = stats
        # Resource Graph and Cost Management queries are POSTs that change nothing.
        self._method_whitelist = frozenset({*self._method_whitelist, "POST"})

    def get_retry_after(self, response: PipelineResponse[Any, Any]) -> float | None:
        """``Retry-After`` and its kin, else the longest Cost Management throttling wait."""
        found = super().get_retry_after(response)
        if found is not None:
            return found
        waits = [
            float(value)
            for name, value in response.http_response.headers.items()
            if _COST_RETRY_AFTER.match(name.lower()) and value.strip().replace(".", "", 1).isdigit()
        ]
        return max(waits) if waits else None

    def increment(self, settings: dict[str, Any], response: Any = None, error: Any = None) -> bool:
        """Count the retry, then let azure-core decide whether one is left."""
        self._stats.count("retries")
        return bool(super().increment(settings, response=response, error=error))


class ThrottlePolicy(SansIOHTTPPolicy[Any, Any]):
    """Pause every call of the connection when Resource Manager's quota runs low."""

    def __init__(self, tuning: Tuning, stats: CallStats) -> None:
        self._tuning = tuning
        self._stats = stats
        self._resume_at = 0.0
        self._lock = threading.Lock()

    def on_request(self, request: PipelineRequest[Any]) -> None:
        """Wait out a pause another call asked for."""
        wait = self._resume_at - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def on_response(
        self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]
    ) -> None:
        """Ask for a pause when any ``x-ms-ratelimit-remaining-*`` counter is near zero."""
        for name, value in response.http_response.headers.items():
            low = value.strip().isdigit() and int(value) <= self._tuning.remaining_floor
            if low and _REMAINING.match(name.lower()):
                with self._lock:
                    self._resume_at = time.monotonic() + self._tuning.pause_s
                self._stats.count("pauses")
                return


class AzureSession:
    """The credential and SDK clients of one connection for one sync or test."""

    def __init__(
        self, connection: Connection, secret: str | None, tuning: Tuning | None = None
    ) -> None:
        self.connection = connection
        self.cloud = connection.endpoints
        self.tuning = tuning or Tuning()
        self.stats = CallStats()
        self.credential: TokenCredential = make_credential(connection, secret)
        self._throttle = ThrottlePolicy(self.tuning, self.stats)

    def options(self) -> dict[str, Any]:
        """Keyword arguments every SDK client of this connection gets (a new retry policy each:
        a policy instance belongs to one pipeline)."""
        tuning = self.tuning
        options: dict[str, Any] = {
            "base_url": self.cloud.arm_endpoint,
            "credential_scopes": [self.cloud.scope],
            "retry_policy": ReadRetryPolicy(
                self.stats,
                retry_total=tuning.retry_total,
                retry_backoff_factor=tuning.retry_backoff,
                retry_backoff_max=tuning.retry_backoff_max,
            ),
            "per_retry_policies": [self._throttle],
            "read_timeout": tuning.read_timeout_s,
        }
        if self.connection.ca_bundle:
            options["connection_verify"] = self.connection.ca_bundle
        return options

    def subscriptions(self) -> SubscriptionClient:
        """Subscriptions and tenants the identity can see."""
        from azure.mgmt.resource.subscriptions import SubscriptionClient

        return SubscriptionClient(self.credential, **self.options())

    def resource_graph(self) -> ResourceGraphClient:
        """Azure Resource Graph queries."""
        from azure.mgmt.resourcegraph import ResourceGraphClient

        return ResourceGraphClient(self.credential, **self.options())

    def compute(self, subscription_id: str) -> ComputeManagementClient:
        """VM instance views of one subscription."""
        from azure.mgmt.compute import ComputeManagementClient

        return ComputeManagementClient(self.credential, subscription_id, **self.options())

    def monitor(self, subscription_id: str) -> MonitorManagementClient:
        """Azure Monitor metrics (the subscription id only satisfies the constructor)."""
        from azure.mgmt.monitor import MonitorManagementClient

        return MonitorManagementClient(self.credential, subscription_id, **self.options())

    def costs(self) -> CostManagementClient:
        """Cost Management queries and Cost Details reports."""
        from azure.mgmt.costmanagement import CostManagementClient

        return CostManagementClient(self.credential, **self.options())

    def pipeline(self, *, signed: bool) -> Any:
        """A bare azure-core client with the same retries and trust store, for calls no SDK
        wraps (effective permissions) or that must carry no token (report blobs: SAS URLs)."""
        from azure.core import PipelineClient
        from azure.core.pipeline.policies import (
            ContentDecodePolicy,
            HeadersPolicy,
            RedirectPolicy,
            UserAgentPolicy,
        )
        from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

        options = self.options()
        policies: list[Any] = [
            HeadersPolicy(),
            UserAgentPolicy(sdk_moniker="cloudoptima"),
            ContentDecodePolicy(),
            RedirectPolicy(),
            options["retry_policy"],
            self._throttle,
        ]
        if signed:
            policies.append(ARMChallengeAuthenticationPolicy(self.credential, self.cloud.scope))
        transport_options = {
            key: options[key] for key in ("connection_verify", "read_timeout") if key in options
        }
        return PipelineClient(self.cloud.arm_endpoint, policies=policies, **transport_options)

    def close(self) -> None:
        """Release the credential's connections."""
        close = getattr(self.credential, "close", None)
        if callable(close):
            close()


def raw_json(pipeline_response: Any, _deserialized: Any, _headers: Any) -> Any:
    """``cls=`` hook of SDK operations: the response body exactly as Azure sent it."""
    return pipeline_response.http_response.json()
