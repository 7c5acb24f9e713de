"""Azure connections of one organisation, kept in its workspace's state store.

A connection is a service principal (tenant, client id, client secret) or the default
credential chain (environment, managed identity, ``az login``), a scope (listed
subscriptions, or every one the identity can see), a cloud and an optional CA bundle
for TLS inspection. The client secret is stored only as Fernet ciphertext
(:mod:`cloudoptima.azure.secrets`); nothing here ever returns it except
:meth:`Connections.secret`, which the credential is built from.

Connections live in each organisation's own ``state.sqlite``, so another
organisation's admin, working in another workspace, can neither see nor use them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cloudoptima.azure.clouds import Cloud, resolve_cloud
from cloudoptima.azure.secrets import SecretBox, configured_key
from cloudoptima.errors import CloudOptimaError
from cloudoptima.storage.state import StateStore

AUTH_CLIENT_SECRET = "client-secret"
AUTH_DEFAULT = "default-credential"
AUTH_LABELS = {AUTH_CLIENT_SECRET: "service principal", AUTH_DEFAULT: "default credential"}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$")  # a GUID or a domain name


@dataclass(frozen=True)
class Connection:
    """One Azure connection, without its secret."""

    name: str
    auth: str  # client-secret | default-credential
    tenant_id: str | None = None
    client_id: str | None = None
    subscriptions: tuple[str, ...] = ()  # empty: every subscription the identity can see
    cloud: str = "public"  # public | usgov | china | custom
    arm_endpoint: str | None = None
    authority_host: str | None = None
    ca_bundle: str | None = None
    created_at: datetime | None = field(default=None, compare=False)
    created_by: str | None = field(default=None, compare=False)

    @property
    def endpoints(self) -> Cloud:
        """Resource Manager, the token authority and the token audience of this connection."""
        return resolve_cloud(
            None if self.cloud == "custom" else self.cloud, self.arm_endpoint, self.authority_host
        )

    def describe(self) -> dict[str, Any]:
        """What a list shows of it: never the secret."""
        return {
            "name": self.name,
            "sign_in": AUTH_LABELS[self.auth],
            "tenant_id": self.tenant_id or "",
            "client_id": self.client_id or "",
            "subscriptions": ", ".join(self.subscriptions) or "all it can see",
            "cloud": self.endpoints.arm_endpoint if self.cloud == "custom" else self.cloud,
            "ca_bundle": self.ca_bundle or "",
            "created_at": self.created_at,
            "created_by": self.created_by or "",
        }

    def config_json(self) -> str:
        """The stored configuration (no secret, no bookkeeping)."""
        keys = ("auth", "tenant_id", "client_id", "cloud", "arm_endpoint", "authority_host")
        config: dict[str, Any] = {key: getattr(self, key) for key in keys}
        config["subscriptions"] = list(self.subscriptions)
        config["ca_bundle"] = self.ca_bundle
        return json.dumps(config, sort_keys=True)


def new_connection(
    name: str,
    *,
    tenant_id: str | None = None,
    client_id: str | None = None,
    default_credential: bool = False,
    subscriptions: Sequence[str] = (),
    cloud: str | None = None,
    arm_endpoint: str | None = None,
    authority_host: str | None = None,
    ca_bundle: str | Path | None = None,
) -> Connection:
    """A validated connection; each problem is one sentence naming the field."""
    name = check_name(name)
    chosen = resolve_cloud(cloud, arm_endpoint, authority_host)
    tenant = _clean(tenant_id)
    client = _clean(client_id)
    if default_credential and client:
        raise CloudOptimaError("the default credential takes no client id; drop --client-id")
    if not default_credential and not (tenant and client):
        raise CloudOptimaError("a service principal needs --tenant-id and --client-id")
    if tenant and not _TENANT.match(tenant):
        raise CloudOptimaError(f"the tenant id '{tenant}' is not a GUID or a domain name")
    if client and not _GUID.match(client):
        raise CloudOptimaError(f"the client id '{client}' is not a GUID (the app's Application ID)")
    return Connection(
        name,
        AUTH_DEFAULT if default_credential else AUTH_CLIENT_SECRET,
        tenant,
        client,
        _subscriptions(subscriptions),
        chosen.name,
        chosen.arm_endpoint if chosen.is_custom else None,
        chosen.authority_host if chosen.is_custom else None,
        _ca_bundle(ca_bundle),
    )


def check_name(name: str) -> str:
    """A connection name: letters, digits, '.', '_' and '-' (it is typed on command lines)."""
    name = name.strip()
    if not _NAME.match(name):
        raise CloudOptimaError(
            f"'{name}' is not a usable connection name: use letters, digits, '.', '_' or '-' "
            "(at most 63, starting with a letter or digit)"
        )
    return name


def _clean(value: str | None) -> str | None:
    return value.strip() or None if value else None


def _subscriptions(values: Sequence[str]) -> tuple[str, ...]:
    found: list[str] = []
    for value in values:
        for part in re.split(r"[\s,;]+", value):
            sub = part.strip().lower().removeprefix("/subscriptions/")
            if not sub:
                continue
            if not _GUID.match(sub):
                raise CloudOptimaError(f"'{part}' is not a subscription id (a GUID)")
            if sub not in found:
                found.append(sub)
    return tuple(found)


def _ca_bundle(path: str | Path | None) -> str | None:
    if path is None or not str(path).strip():
        return None
    bundle = Path(path).expanduser().resolve()
    if not bundle.is_file():
        raise CloudOptimaError(f"the CA bundle {bundle} does not exist")
    text = bundle.read_text(encoding="ascii", errors="replace")
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise CloudOptimaError(f"the CA bundle {bundle} holds no PEM certificate")
    return str(bundle)


class Connections:
    """The Azure connections of one workspace's organisation."""

    def __init__(self, state: StateStore, key: str | None = None) -> None:
        self._state = state
        self._key = key

    def _box(self) -> SecretBox:
        return SecretBox(self._key if self._key is not None else configured_key())

    @property
    def can_store_secrets(self) -> bool:
        """True when an encryption key is configured."""
        return self._box().has_key

    def all(self) -> list[Connection]:
        """Every connection, by name."""
        return [_from_row(row) for row in self._state.connections()]

    def get(self, name: str) -> Connection:
        """The connection called ``name``, or a sentence saying which exist."""
        for connection in self.all():
            if connection.name == name:
                return connection
        raise CloudOptimaError(f"there is no Azure connection named '{name}'; {self._which()}")

    def pick(self, name: str | None) -> Connection:
        """``name``'s connection, or the only one when no name is given."""
        if name is not None:
            return self.get(name)
        connections = self.all()
        if len(connections) == 1:
            return connections[0]
        if not connections:
            raise CloudOptimaError(
                "there is no Azure connection yet; add one with `cloudoptima connections add`"
            )
        raise CloudOptimaError(f"there are several Azure connections; {self._which()}")

    def add(
        self, connection: Connection, secret: str | None = None, *, by: str | None = None
    ) -> Connection:
        """Store a new connection; a service principal's secret is encrypted first."""
        if connection.auth == AUTH_CLIENT_SECRET and not secret:
            raise CloudOptimaError("a service principal needs its client secret")
        if connection.auth == AUTH_DEFAULT and secret:
            raise CloudOptimaError("the default credential takes no client secret")
        token = self._box().encrypt(secret) if secret else None
        with self._state.transaction() as tx:
            added = tx.add_connection(
                connection.name, connection.config_json(), token, created_by=by
            )
        if not added:
            raise CloudOptimaError(
                f"an Azure connection named '{connection.name}' exists; remove it first to replace it"
            )
        return self.get(connection.name)

    def remove(self, name: str) -> None:
        """Delete a connection and its encrypted secret."""
        with self._state.transaction() as tx:
            removed = tx.remove_connection(name)
        if not removed:
            raise CloudOptimaError(f"there is no Azure connection named '{name}'; {self._which()}")

    def secret(self, name: str) -> str | None:
        """The decrypted client secret of ``name`` (None for the default credential)."""
        for row in self._state.connections():
            if row[0] == name:
                return self._box().decrypt(row[2], connection=name) if row[2] else None
        raise CloudOptimaError(f"there is no Azure connection named '{name}'; {self._which()}")

    def _which(self) -> str:
        names = [c.name for c in self.all()]
        return "name one of: " + ", ".join(names) if names else "there are none yet"


def _from_row(row: tuple[str, str, bytes | None, str, str | None]) -> Connection:
    name, config_text, _secret, created_at, created_by = row
    config = json.loads(config_text)
    return Connection(
        name,
        config["auth"],
        config.get("tenant_id"),
        config.get("client_id"),
        tuple(config.get("subscriptions") or ()),
        config.get("cloud") or "public",
        config.get("arm_endpoint"),
        config.get("authority_host"),
        config.get("ca_bundle"),
        datetime.fromisoformat(created_at),
        created_by,
    )
