"""Client secrets encrypted at rest with Fernet under ``connections.encryption_key``.

The key comes from the settings (env ``CLOUDOPTIMA__CONNECTIONS__ENCRYPTION_KEY`` or a
secrets file), never from the workspace, so a copied ``state.sqlite`` holds only
ciphertext. Messages never contain a secret or the key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudoptima.azure import INSTALL_HINT
from cloudoptima.errors import CloudOptimaError

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

MAKE_KEY = (
    'make one with `python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"` and set it as connections.encryption_key '
    "(env CLOUDOPTIMA__CONNECTIONS__ENCRYPTION_KEY, or [connections] in .streamlit/secrets.toml)"
)


def configured_key() -> str | None:
    """The encryption key of the settings, or None when none is configured."""
    from cloudoptima.settings import load_settings

    key = load_settings().connections.encryption_key
    return key.get_secret_value().strip() or None if key else None


class SecretBox:
    """Encrypts and decrypts connection secrets with one Fernet key."""

    def __init__(self, key: str | None) -> None:
        self._key = key

    @property
    def has_key(self) -> bool:
        """True when a key is configured (it may still be malformed)."""
        return bool(self._key)

    def encrypt(self, secret: str) -> bytes:
        """The Fernet token of ``secret``; refused without a key."""
        if not self._key:
            raise CloudOptimaError(
                "a client secret cannot be stored without an encryption key: " + MAKE_KEY
            )
        return self._fernet().encrypt(secret.encode("utf-8"))

    def decrypt(self, token: bytes, *, connection: str) -> str:
        """The secret of ``connection`` in clear, for the credential only."""
        from cryptography.fernet import InvalidToken

        if not self._key:
            raise CloudOptimaError(
                f"the secret of connection '{connection}' is encrypted but no encryption key "
                "is configured; set connections.encryption_key to the key it was stored with"
            )
        try:
            return self._fernet().decrypt(token).decode("utf-8")
        except InvalidToken:
            raise CloudOptimaError(
                f"the secret of connection '{connection}' cannot be decrypted with the configured "
                "connections.encryption_key: it was stored under another key. Restore that key, "
                "or remove the connection and add it again"
            ) from None

    def _fernet(self) -> Fernet:
        try:
            from cryptography.fernet import Fernet
        except ImportError:  # pragma: no cover - the azure extra brings it
            raise CloudOptimaError(INSTALL_HINT) from None
        try:
            return Fernet(str(self._key).encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise CloudOptimaError(
                "connections.encryption_key is not a Fernet key (32 url-safe base64-encoded "
                "bytes); " + MAKE_KEY
            ) from None
