"""Turn what huggingface_hub / datasets raise into rd_data's one-line errors.

Classes are matched by name along the exception chain (`__cause__`/`__context__`) so this module
imports neither library and keeps working when they move an exception between modules.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from rd_data.errors import (
    DownloadError,
    GatedRepoError,
    OfflineError,
    RdDataError,
    RemoteFileNotFoundError,
    RepoNotFoundError,
    RevisionNotFoundError,
    UploadError,
)

_TRUE = {"1", "true", "yes", "on"}
_LOGIN = "run `hf auth login` or set the HF_TOKEN environment variable"


def hub_offline() -> bool:
    """True when `HF_HUB_OFFLINE` (or `HF_DATASETS_OFFLINE`) asks for offline mode."""
    return any(
        os.environ.get(var, "").strip().lower() in _TRUE
        for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    )


def hub_endpoint() -> str:
    """The Hub URL in use (`HF_ENDPOINT`, default https://huggingface.co)."""
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# Failures to open a connection to the Hub (httpx, urllib3/requests, the socket module).
_CONNECTION_FAILURES = {
    "ConnectError",  # httpx
    "ConnectTimeout",  # httpx, requests
    "ConnectTimeoutError",  # urllib3
    "NewConnectionError",  # urllib3 (wrapped by requests' ConnectionError)
    "NameResolutionError",  # urllib3
    "ProxyError",  # httpx, requests: the proxy would not connect to the Hub
    "ConnectionRefusedError",
    "gaierror",
}


def _is_connection_failure(error: BaseException) -> bool:
    if _names(error) & _CONNECTION_FAILURES:
        return True
    # datasets raises the builtin ConnectionError("Couldn't reach 'x' on the Hub (...)") and
    # drops the cause (`raise ... from None`) once it found nothing in its cache either.
    return type(error).__name__ == "ConnectionError" and str(error).startswith("Couldn't reach")


def unreachable_error(
    kind: str,
    name: str,
    reason: str | None = None,
    *,
    cache_checked: bool = True,
    kept: bool = False,
) -> OfflineError:
    """The OfflineError for a Hub that cannot be reached.

    Args:
        kind: "dataset" or "model".
        name: The repository id.
        reason: Why it cannot be reached, if known.
        cache_checked: False when the Hugging Face cache was not looked at: the message then
            says that HF_HUB_OFFLINE=1 would use a copy there.
        kept: A download was forced over a copy already saved in assets/, which stays as it was.
    """
    because = f" ({reason})" if reason else ""
    if kept:
        return OfflineError(
            f"cannot reach {hub_endpoint()}{because} to download {kind} '{name}' again; the copy "
            "saved in assets/ is unchanged; drop --force (force=True) to use it"
        )
    if cache_checked:
        return OfflineError(
            f"cannot reach {hub_endpoint()}{because} to download {kind} '{name}' and it is not "
            "available locally; check the network (or HF_ENDPOINT)"
        )
    return OfflineError(
        f"cannot reach {hub_endpoint()}{because} to download {kind} '{name}' and it is not "
        "saved in assets/; check the network (or HF_ENDPOINT), or set HF_HUB_OFFLINE=1 to use "
        "a copy in the Hugging Face cache"
    )


def translate_hub_error(
    exc: BaseException,
    *,
    kind: str,
    name: str,
    revision: str | None,
    filename: str | None = None,
    unreachable: str | None = None,
) -> RdDataError | None:
    """Return the rd_data error for `exc`, or None when it is not a Hub/network problem.

    Args:
        exc: What huggingface_hub or datasets raised.
        kind: "dataset" or "model" (used in the message).
        name: The repository id.
        revision: The requested revision, if any.
        filename: The requested file, if any.
        unreachable: Why the Hub could not be reached, when a check before the call found it
            unreachable and the call only looked in the local cache.
    """
    what = f"{kind} '{name}'"
    rev = revision or "main"
    chain = list(_chain(exc))
    for error in chain:
        names = _names(error)
        if "GatedRepoError" in names:
            return GatedRepoError(
                f"{what} is gated: accept its terms on the Hub page, then {_LOGIN}"
            )
        if "RevisionNotFoundError" in names:
            return RevisionNotFoundError(f"{what} has no revision '{rev}' on {hub_endpoint()}")
        if "RepositoryNotFoundError" in names:
            return RepoNotFoundError(
                f"{what} was not found on {hub_endpoint()} (if it is private, {_LOGIN})"
            )
        if "RemoteEntryNotFoundError" in names:
            return RemoteFileNotFoundError(f"{what} has no file '{filename}' at revision '{rev}'")
        if "DatasetNotFoundError" in names:
            message = str(error)
            if "gated" in message.lower():
                return GatedRepoError(
                    f"{what} is gated: accept its terms on the Hub page, then {_LOGIN}"
                )
            if message.startswith("Revision"):
                return RevisionNotFoundError(f"{what} has no revision '{rev}' on {hub_endpoint()}")
            return RepoNotFoundError(
                f"{what} was not found on {hub_endpoint()} (if it is private, {_LOGIN})"
            )
    offline_hint = any(
        "OfflineModeIsEnabled" in _names(error) or "OfflineModeIsEnabled" in str(error)
        for error in chain
    )
    not_local = any("LocalEntryNotFoundError" in _names(error) for error in chain)
    no_connection = any(_is_connection_failure(error) for error in chain)
    if offline_hint or (hub_offline() and (not_local or no_connection)):
        return OfflineError(
            f"{what} is not available locally and offline mode is on (HF_HUB_OFFLINE); "
            "unset HF_HUB_OFFLINE and download it once"
        )
    if no_connection or (unreachable is not None and not_local):
        return unreachable_error(kind, name, unreachable)
    for error in chain:
        names = _names(error)
        if names & {
            "HfHubHTTPError",
            "HTTPError",
            "TransportError",
            "RemoteProtocolError",
            "ReadError",
            "TimeoutException",
            "ChunkedEncodingError",
        } or ("OSError" in names and "Consistency check failed" in str(error)):
            return DownloadError(
                f"downloading {what} failed ({_first_line(error)}); nothing was written to "
                "assets/, run the command again to retry"
            )
    return None


def upload_error(exc: BaseException, repo_id: str) -> RdDataError | None:
    """The rd_data error for what an upload to `repo_id` raised (None: not a Hub problem)."""
    chain = list(_chain(exc))
    if any(_is_connection_failure(error) for error in chain):
        return OfflineError(f"cannot reach {hub_endpoint()} to upload model '{repo_id}'")
    for error in chain:
        names = _names(error)
        status = getattr(getattr(error, "response", None), "status_code", None)
        if "LocalTokenNotFoundError" in names or status == 401:
            return UploadError(f"uploading model '{repo_id}' needs a Hub token: {_LOGIN}")
        if status == 403:
            return UploadError(
                f"your Hub token may not write to '{repo_id}' ({_first_line(error)})"
            )
        if names & {"HfHubHTTPError", "HTTPError", "TransportError", "RemoteProtocolError"}:
            return UploadError(f"uploading model '{repo_id}' failed ({_first_line(error)})")
    return None
