"""Azure failures as one plain sentence, never carrying a secret or a traceback."""

from __future__ import annotations

from urllib.parse import urlsplit

# What each dataset needs, in the words and roles the README uses.
ROLE_FOR = {
    "inventory": "Reader",
    "metrics": "Monitoring Reader",
    "costs": "Cost Management Reader",
    "subscriptions": "Reader",
}


def explain(exc: BaseException, *, dataset: str, secret: str | None = None) -> str:
    """A sentence saying what went wrong with ``dataset``'s calls and what to do."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    from cloudoptima.errors import CloudOptimaError

    if isinstance(exc, CloudOptimaError):
        text = str(exc)
    elif isinstance(exc, ClientAuthenticationError) and getattr(exc, "status_code", None) is None:
        text = f"sign-in failed: {_first_line(exc)}"
    elif isinstance(exc, HttpResponseError) and exc.status_code is not None:
        text = _http(exc, dataset)
    elif isinstance(exc, ServiceRequestError | ServiceResponseError):
        text = _network(exc)
    else:
        text = f"{type(exc).__name__}: {_first_line(exc)}"
    return scrub(text, secret)


def scrub(text: str, secret: str | None) -> str:
    """``text`` with the secret masked: defence in depth, Azure never echoes it."""
    return text.replace(secret, "***") if secret else text


def _http(exc: object, dataset: str) -> str:
    status = getattr(exc, "status_code", None)
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None) or getattr(exc, "reason", "") or ""
    message = getattr(error, "message", None) or _first_line(exc)
    if status == 403:
        role = ROLE_FOR.get(dataset, "Reader")
        return (
            f"access denied ({code}): the identity has no role that lets it read {dataset} "
            f"here; grant it {role} on the subscription"
        )
    if status == 401:
        return f"Azure refused the sign-in token ({code}): {_first_line(message)}"
    if status == 429:
        return "Azure kept throttling the calls after every retry; run the sync again later"
    return f"Azure answered {status} {code}: {_first_line(message)}".rstrip(": ")


def _network(exc: BaseException) -> str:
    text = _first_line(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return (
            "the TLS certificate of Azure's endpoint is not trusted (a proxy that inspects TLS?); "
            "give the connection its CA bundle with --ca-bundle"
        )
    return f"could not reach Azure: {text}"


def _first_line(value: object) -> str:
    lines = [line.strip() for line in str(value).splitlines() if line.strip()]
    return lines[0][:400] if lines else ""


def host_of(url: str) -> str:
    """The host of a URL, for messages."""
    return urlsplit(url).netloc or url
