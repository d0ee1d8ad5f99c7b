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


def translate_hub_error(
    exc: BaseException, *, kind: str, name: str, revision: str | None, filename: str | None = None
) -> RdDataError | None:
    """Return the rd_data error for `exc`, or None when it is not a Hub/network problem.

    Args:
        exc: What huggingface_hub or datasets raised.
        kind: "dataset" or "model" (used in the message).
        name: The repository id.
        revision: The requested revision, if any.
        filename: The requested file, if any.
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
    for error in chain:
        names = _names(error)
        offline_hint = "OfflineModeIsEnabled" in names or "OfflineModeIsEnabled" in str(error)
        if offline_hint or (hub_offline() and "LocalEntryNotFoundError" in names):
            return OfflineError(
                f"{what} is not available locally and offline mode is on (HF_HUB_OFFLINE); "
                "unset HF_HUB_OFFLINE and download it once"
            )
        if "ConnectError" in names or "ConnectTimeout" in names:
            return OfflineError(
                f"cannot reach {hub_endpoint()} to download {what} and it is not available "
                "locally; check the network (or HF_ENDPOINT)"
            )
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
