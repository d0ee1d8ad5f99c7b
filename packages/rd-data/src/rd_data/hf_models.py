"""Download Hugging Face model repositories into `assets/models/<org>/<name>`; upload one.

Files come through the Hugging Face cache (`HF_HOME`), which resumes interrupted transfers, and
are then hard-linked (or copied) into a hidden staging folder that is moved into place only when
every file is there: an interrupted download never leaves a partial model in assets/.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rd_data._fs import (
    MARKER,
    link_or_copy,
    move_into_place,
    read_marker,
    staging_dir,
    write_json_atomic,
)
from rd_data._hub_errors import (
    hub_endpoint,
    hub_offline,
    translate_hub_error,
    unreachable_error,
    upload_error,
)
from rd_data._hub_reach import hub_unreachable_reason
from rd_data.errors import AssetNotFoundError
from rd_data.paths import get_models_dir, validate_relative_path, validate_repo_id

__all__ = ["download_model", "model_dir", "upload_model"]


def model_dir(repo_id: str) -> Path:
    """Return `assets/models/<org>/<name>` (or `assets/models/<name>`); creates nothing.

    Raises:
        InvalidNameError: `repo_id` is empty, absolute or contains `..`.
    """
    validate_repo_id(repo_id, "model id")
    return get_models_dir(create=False).joinpath(*repo_id.split("/"))


def download_model(
    repo_id: str,
    filename: str | None = None,
    revision: str | None = None,
    force: bool = False,
) -> Path:
    """Download a model repository (or one file of it) into `assets/models/` once.

    A second call returns the local path without any request (unless `force`).

    Args:
        repo_id: Hub id, e.g. `bert-base-uncased` or `google/flan-t5-small`.
        filename: Download only this file (e.g. `config.json`); default: the whole snapshot.
        revision: Branch, tag or commit (default: main).
        force: Download again even if a local copy exists.

    Returns:
        The model folder, or the downloaded file when `filename` is given.

    Raises:
        InvalidNameError: `repo_id`/`filename` is empty, absolute or contains `..` (before any I/O).
        RepoNotFoundError, GatedRepoError, RevisionNotFoundError, RemoteFileNotFoundError: The
            Hub refused.
        OfflineError: Offline mode (or the Hub cannot be reached) and no local copy, neither in
            assets/ nor in the Hugging Face cache.
        DownloadError: The transfer failed part-way; nothing was written to assets/.
    """
    validate_repo_id(repo_id, "model id")
    if filename is not None:
        validate_relative_path(filename, "file name")
    target = model_dir(repo_id)
    marker = read_marker(target)
    same_revision = revision is None or marker.get("revision") == revision
    saved = same_revision and (
        bool(marker.get("complete")) if filename is None else (target / filename).is_file()
    )
    if saved and not force:
        return target if filename is None else target / filename

    # An unreachable Hub would cost ~23 s of retries before huggingface_hub looks in its cache:
    # look there at once (`local_files_only`), and fail with OfflineError if it is not there.
    # A forced download that cannot reach the Hub (unreachable, or offline mode) keeps the saved
    # copy instead of replacing it with the cache's, which may hold only part of the snapshot.
    unreachable = hub_unreachable_reason()
    cache_only = unreachable is not None or hub_offline()
    if saved and cache_only:
        reason = unreachable or "offline mode: HF_HUB_OFFLINE is set"
        raise unreachable_error("model", repo_id, reason, kept=True)
    info: dict[str, Any] = {
        "repo_id": repo_id,
        "revision": revision,
        "source": "huggingface",
        "downloaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    cached = _fetch(repo_id, filename, revision, unreachable)
    if filename is None:
        # From the cache alone the snapshot may hold only the files fetched before: not
        # complete, so the next call with the Hub in reach downloads the rest.
        _place_snapshot(cached, target, {**info, "complete": not cache_only})
        return target
    # One file: it is complete in the HF cache, so placing it is a link (or copy) and a rename.
    if not same_revision and target.exists():
        with staging_dir(get_models_dir(), repo_id.replace("/", "__")) as staging:
            move_into_place(staging, target)  # a different revision: start the folder afresh
    link_or_copy(cached, target / filename)
    previous = read_marker(target)
    keep_complete = bool(previous.get("complete")) and previous.get("revision") == revision
    write_json_atomic(target / MARKER, {**info, "complete": keep_complete})
    return target / filename


def _fetch(
    repo_id: str, filename: str | None, revision: str | None, unreachable: str | None
) -> Path:
    """The snapshot folder (or the one file) in the Hugging Face cache, downloaded if needed;
    from the cache alone when the Hub is `unreachable`. Hub errors become RdDataErrors."""
    from huggingface_hub import hf_hub_download, snapshot_download

    local_only = unreachable is not None
    try:
        if filename is None:
            return Path(snapshot_download(repo_id, revision=revision, local_files_only=local_only))
        return Path(
            hf_hub_download(repo_id, filename, revision=revision, local_files_only=local_only)
        )
    except Exception as exc:
        error = translate_hub_error(
            exc,
            kind="model",
            name=repo_id,
            revision=revision,
            filename=filename,
            unreachable=unreachable,
        )
        if error is None:
            raise
        raise error from exc


def _place_snapshot(snapshot: Path, target: Path, info: dict[str, Any]) -> None:
    """Link (or copy) every file of a cached snapshot into `target`, all at once."""
    label = str(info["repo_id"]).replace("/", "__")
    with staging_dir(get_models_dir(), label) as staging:
        for path in sorted(p for p in snapshot.rglob("*") if p.is_file()):
            link_or_copy(path, staging / path.relative_to(snapshot))
        write_json_atomic(staging / MARKER, {**info, "commit": snapshot.name})
        move_into_place(staging, target)


def upload_model(
    folder: str | Path, repo_id: str, *, private: bool = False, message: str | None = None
) -> str:
    """Upload every file of `folder` to the Hub model repository `repo_id` in one commit.

    The repository is created when it does not exist (`private` then applies). The token is
    huggingface_hub's: `HF_TOKEN` or the one `hf auth login` saved; it is never printed.
    Hidden files (rd-data's download marker among them) stay behind.

    Returns:
        The URL of the commit.

    Raises:
        InvalidNameError: `repo_id` is not a Hub id (before any I/O).
        AssetNotFoundError: `folder` is not a folder or holds no files.
        UploadError: no token, no write access, or the transfer failed (one line).
        OfflineError: the Hub cannot be reached.
    """
    validate_repo_id(repo_id, "model id")
    folder = Path(folder)
    if not folder.is_dir() or not any(p.is_file() for p in folder.iterdir()):
        raise AssetNotFoundError(f"{folder} is not a folder with files to upload")
    from huggingface_hub import HfApi

    api = HfApi(endpoint=hub_endpoint())
    try:
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        info = api.upload_folder(
            folder_path=folder,
            repo_id=repo_id,
            repo_type="model",
            commit_message=message or f"Upload {folder.name} with rd-push-model",
            ignore_patterns=[".*", "**/.*"],
        )
    except Exception as exc:
        error = upload_error(exc, repo_id)
        if error is None:
            raise
        raise error from exc
    return str(info.commit_url)
