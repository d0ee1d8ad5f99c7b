"""Exceptions raised by rd_data for problems a user can cause and fix.

Every one of them derives from `RdDataError`, carries a one-line message that says what to do,
and is what the CLIs turn into one line on stderr with exit code 2. Messages never contain a
token.
"""

from __future__ import annotations

__all__ = [
    "AssetNotFoundError",
    "DatasetConfigError",
    "DownloadError",
    "GatedRepoError",
    "InvalidNameError",
    "LinkError",
    "OfflineError",
    "RdDataError",
    "RemoteFileNotFoundError",
    "RepoNotFoundError",
    "RevisionNotFoundError",
    "UploadError",
]


class RdDataError(Exception):
    """Base class of every error rd_data raises on purpose."""


class InvalidNameError(RdDataError, ValueError):
    """A dataset/model id, config, split or file name that is empty, absolute or escapes assets/."""


class RepoNotFoundError(RdDataError):
    """The Hub has no such repository (or it is private and no token was given)."""


class GatedRepoError(RdDataError):
    """The repository is gated: the user must accept its terms and authenticate."""


class RevisionNotFoundError(RdDataError):
    """The repository exists but the branch, tag or commit does not."""


class DatasetConfigError(RdDataError, ValueError):
    """The dataset needs a config name, or has no config of that name."""


class CorpusError(RdDataError, ValueError):
    """A local corpus cannot be imported as it is; the message names the file and line."""


class RemoteFileNotFoundError(RdDataError):
    """The repository exists but holds no such file."""


class OfflineError(RdDataError, ConnectionError):
    """Offline mode is on (or the Hub is unreachable) and the asset is not available locally."""


class DownloadError(RdDataError):
    """A download failed part-way (connection cut, server error); nothing was left in assets/."""


class UploadError(RdDataError):
    """An upload to the Hub was refused or failed (no token, no write access, a transfer error)."""


class AssetNotFoundError(RdDataError, FileNotFoundError):
    """A local asset (e.g. a dataset under assets/datasets) does not exist yet."""


class LinkError(RdDataError):
    """A link could not be created without destroying something that is not such a link."""
