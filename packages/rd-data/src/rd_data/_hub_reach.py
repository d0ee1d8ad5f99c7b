"""A quick check that the Hub endpoint can be reached at all, before a download starts.

When the Hub cannot be reached, huggingface_hub retries a failed metadata request five times with
backoff (about 23 s of "Retrying in ..." messages, with no setting to shorten it) before it
gives up, and `datasets` does the same for every dataset. One TCP connection to the endpoint
tells the clear cases (name not resolvable, connection refused, no route) in milliseconds.

The check only answers "unreachable" when the connection fails outright. It answers None (go on
and let the libraries decide) when it cannot tell: offline mode (the libraries never touch the
network then), a proxy in the way (reaching the proxy proves nothing; not reaching it is
reported by the libraries), or a connection that is merely slow.
"""

from __future__ import annotations

import socket
import urllib.parse
import urllib.request

from rd_data._hub_errors import hub_endpoint, hub_offline

__all__ = ["CONNECT_TIMEOUT", "hub_unreachable_reason"]

CONNECT_TIMEOUT = 5.0
"""Seconds to wait for the TCP connection; a slower one is left to the libraries."""


def _uses_proxy(scheme: str, host: str) -> bool:
    proxies = urllib.request.getproxies()
    if not (proxies.get(scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(host)


def hub_unreachable_reason(
    endpoint: str | None = None, timeout: float = CONNECT_TIMEOUT
) -> str | None:
    """Why `endpoint` (default: `HF_ENDPOINT` or https://huggingface.co) cannot be reached.

    Returns:
        A short reason ("Connection refused", "cannot resolve huggingface.co", ...) when a TCP
        connection to the endpoint fails outright; None when it succeeds or the check cannot
        tell (offline mode, a proxy, a timeout, an endpoint that is not http(s)).
    """
    if endpoint is None:
        if hub_offline():
            return None
        endpoint = hub_endpoint()
    url = urllib.parse.urlsplit(endpoint)
    try:
        port = url.port
    except ValueError:
        return None
    host = url.hostname
    if not host or url.scheme not in ("http", "https") or _uses_proxy(url.scheme, host):
        return None
    try:
        connection = socket.create_connection(
            (host, port or (443 if url.scheme == "https" else 80)), timeout=timeout
        )
    except socket.gaierror:
        return f"cannot resolve {host}"
    except TimeoutError:  # slow is not unreachable: huggingface_hub has longer timeouts
        return None
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    connection.close()
    return None
