"""Live Azure: connections with encrypted secrets, and sync of inventory, metrics and costs.

A connection (:mod:`~cloudoptima.azure.connections`) is kept in the organisation's own
state store; its client secret is encrypted with ``connections.encryption_key``
(:mod:`~cloudoptima.azure.secrets`). A sync (:mod:`~cloudoptima.azure.sync`) fetches with
the Azure SDKs and writes what it fetched as files ingest already reads (Resource Graph
JSON, Azure Monitor metrics JSON, a FOCUS CSV, Cost Details CSVs), which the workspace
imports through its one way in. Nothing here imports the workspace.
"""

from __future__ import annotations

INSTALL_HINT = "live Azure needs the azure extra: pip install 'cloudoptima[azure]'"


def require_sdk() -> None:
    """Raise a one-sentence install hint when the Azure SDKs are not installed."""
    from importlib.util import find_spec

    from cloudoptima.errors import CloudOptimaError

    for module in ("azure.identity", "azure.mgmt.resourcegraph", "azure.mgmt.costmanagement"):
        try:
            found = find_spec(module) is not None
        except ModuleNotFoundError:  # the parent package "azure" is missing
            found = False
        if not found:
            raise CloudOptimaError(INSTALL_HINT)
