"""Azure clouds by name, or custom endpoints (Azure Stack Hub, a test server on loopback)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from cloudoptima.errors import CloudOptimaError

CLOUD_NAMES = ("public", "usgov", "china")


@dataclass(frozen=True)
class Cloud:
    """Where Resource Manager and the token authority of one cloud live."""

    name: str  # public | usgov | china | custom
    arm_endpoint: str
    authority_host: str
    scope: str  # the Resource Manager audience a token is asked for

    @property
    def is_custom(self) -> bool:
        """True for custom endpoints: the authority is trusted as given (no instance discovery)."""
        return self.name == "custom"


# Audiences as azure-mgmt-core's get_arm_endpoints gives them.
CLOUDS = {
    "public": Cloud(
        "public",
        "https://management.azure.com",
        "https://login.microsoftonline.com",
        "https://management.azure.com/.default",
    ),
    "usgov": Cloud(
        "usgov",
        "https://management.usgovcloudapi.net",
        "https://login.microsoftonline.us",
        "https://management.core.usgovcloudapi.net/.default",
    ),
    "china": Cloud(
        "china",
        "https://management.chinacloudapi.cn",
        "https://login.chinacloudapi.cn",
        "https://management.chinacloudapi.cn/.default",
    ),
}


def resolve_cloud(
    name: str | None, arm_endpoint: str | None = None, authority_host: str | None = None
) -> Cloud:
    """A named cloud, or custom endpoints when both URLs are given (they go together)."""
    if arm_endpoint or authority_host:
        if not (arm_endpoint and authority_host):
            raise CloudOptimaError("custom endpoints need both --arm-endpoint and --authority-host")
        if name not in (None, "custom"):
            raise CloudOptimaError(f"give either --cloud {name} or custom endpoints, not both")
        arm = _https_url(arm_endpoint, "--arm-endpoint")
        return Cloud(
            "custom", arm, _https_url(authority_host, "--authority-host"), arm + "/.default"
        )
    name = name or "public"
    if name not in CLOUDS:
        raise CloudOptimaError(f"unknown cloud '{name}'; use one of {', '.join(CLOUD_NAMES)}")
    return CLOUDS[name]


def _https_url(url: str, option: str) -> str:
    """A base URL without a trailing slash; bearer tokens only ever travel over HTTPS."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.netloc:
        raise CloudOptimaError(
            f"{option} must be an https:// URL such as https://management.local.azurestack.external"
        )
    if parts.query or parts.fragment:
        raise CloudOptimaError(f"{option} must be a plain base URL, without ? or #")
    return f"https://{parts.netloc}{parts.path}".rstrip("/")
