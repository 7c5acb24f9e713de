"""The token credential of a connection: a service principal or the default chain.

With custom endpoints the authority is trusted as given (instance discovery off, as
Azure Stack Hub needs), so the whole client-secret flow (OpenID configuration, token
request) runs against that host. The CA bundle of the connection is the trust store
of every TLS connection the credential opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudoptima.azure import INSTALL_HINT
from cloudoptima.azure.connections import AUTH_DEFAULT, Connection
from cloudoptima.errors import CloudOptimaError

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential


def make_credential(connection: Connection, secret: str | None) -> TokenCredential:
    """The azure-identity credential the SDK clients of ``connection`` sign in with."""
    try:
        from azure.identity import ClientSecretCredential, DefaultAzureCredential
    except ImportError:
        raise CloudOptimaError(INSTALL_HINT) from None
    cloud = connection.endpoints
    options: dict[str, Any] = {
        "authority": cloud.authority_host,
        "disable_instance_discovery": cloud.is_custom,
    }
    if connection.ca_bundle:
        options["connection_verify"] = connection.ca_bundle
    if connection.auth == AUTH_DEFAULT:
        return DefaultAzureCredential(
            exclude_interactive_browser_credential=True,
            **({"tenant_id": connection.tenant_id} if connection.tenant_id else {}),
            **options,
        )
    if not (connection.tenant_id and connection.client_id and secret):
        raise CloudOptimaError(
            f"the connection '{connection.name}' lacks its tenant, client id or secret; "
            "remove it and add it again"
        )
    return ClientSecretCredential(connection.tenant_id, connection.client_id, secret, **options)
