"""Download Hugging Face datasets once into `assets/datasets/` and load them from there.

`download_dataset` runs `datasets.load_dataset` and `save_to_disk` into a hidden staging folder
next to the destination, and moves it into place only when it is complete, so an interrupted
download never leaves a half-written dataset behind. Later calls load from disk without the
network. Layout: `assets/datasets/<name>[/<config>]` with `org/name` written as `org__name`;
a DatasetDict keeps one folder per split, so single splits can be added one at a time.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rd_data._fs import MARKER, move_into_place, read_marker, staging_dir, write_json_atomic
from rd_data._hub_errors import translate_hub_error, unreachable_error
from rd_data._hub_reach import hub_unreachable_reason
from rd_data.errors import AssetNotFoundError, DatasetConfigError
from rd_data.paths import (
    dataset_folder_name,
    get_datasets_dir,
    validate_config_name,
    validate_repo_id,
)

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict

__all__ = ["dataset_dir", "download_dataset", "load_local_dataset", "save_dataset"]

_DICT_FILE = "dataset_dict.json"  # written by DatasetDict.save_to_disk
_STATE_FILE = "state.json"  # written by Dataset.save_to_disk


def _validate(name: str, config: str | None, split: str | None) -> None:
    validate_repo_id(name, "dataset name")
    if config is not None:
        validate_config_name(config, "config name")
    if split is not None:
        validate_config_name(split, "split name")


def dataset_dir(name: str, config: str | None = None) -> Path:
    """Return `assets/datasets/<name>[/<config>]` for a dataset id; creates nothing.

    Raises:
        InvalidNameError: `name` or `config` is empty, absolute or contains `..`.
    """
    _validate(name, config, None)
    folder = get_datasets_dir(create=False) / dataset_folder_name(name)
    return folder / config if config else folder


def _has_split(folder: Path, split: str) -> bool:
    return (folder / split / _STATE_FILE).is_file()


def _is_complete(folder: Path, revision: str | None) -> bool:
    marker = read_marker(folder)
    if not marker:  # saved by someone else (e.g. a paper generating its data): trust it
        return (folder / _DICT_FILE).is_file() or (folder / _STATE_FILE).is_file()
    if revision is not None and marker.get("revision") != revision:
        return False
    return bool(marker.get("complete"))


def saved_dataset_path(
    name: str, config: str | None = None, split: str | None = None, revision: str | None = None
) -> Path | None:
    """The saved folder `download_dataset` would load (no network), or None if it must download."""
    folder = dataset_dir(name, config)
    if split is None:
        return folder if _is_complete(folder, revision) else None
    if not _has_split(folder, split):
        return None
    if revision is not None and read_marker(folder).get("revision") != revision:
        return None
    return folder / split


def load_local_dataset(
    name: str, config: str | None = None, split: str | None = None
) -> Dataset | DatasetDict:
    """Load a dataset saved under `assets/datasets/`; never touches the network.

    Args:
        name: Hub id (`squad`, `wmt/wmt14`) or local dataset name.
        config: Config (subset) name, e.g. `de-en`.
        split: Load only this split (a `Dataset`); default: every saved split (`DatasetDict`).

    Returns:
        The `DatasetDict` (or `Dataset` when `split` is given or the folder holds one).

    Raises:
        InvalidNameError: A name is empty, absolute or contains `..` (checked before any I/O).
        AssetNotFoundError: Nothing is saved there yet; the message names the command to run.
    """
    _validate(name, config, split)
    folder = dataset_dir(name, config)
    target = folder / split if split else folder
    if split and not _has_split(folder, split) and (folder / _STATE_FILE).is_file():
        target = folder  # a single saved Dataset: it is the split asked for
    if not ((target / _DICT_FILE).is_file() or (target / _STATE_FILE).is_file()):
        command = f"rd-download-dataset --name {name}"
        command += f" --config {config}" if config else ""
        command += f" --split {split}" if split else ""
        raise AssetNotFoundError(f"dataset not found at {target}; download it with `{command}`")
    import datasets

    return datasets.load_from_disk(str(target))


def save_dataset(dataset: Dataset | DatasetDict, folder: str | Path) -> Path:
    """`dataset.save_to_disk(folder)`, all or nothing: for datasets made locally.

    The dataset is written into a hidden staging folder beside `folder` and renamed into place
    when complete (replacing a previous `folder`), so an interrupted or failing save leaves no
    half-written dataset; `datasets.load_from_disk(folder)` (or `load_local_dataset` for a folder
    under `dataset_dir(...)`) reads it back.

    Returns:
        `folder`, absolute.
    """
    folder = Path(folder).absolute()
    with staging_dir(folder.parent, folder.name) as staging:
        dataset.save_to_disk(str(staging / "data"))
        move_into_place(staging / "data", folder)
    return folder


def _save_split(dataset: Dataset, folder: Path, split: str, marker: dict[str, Any]) -> None:
    """Add one split to `folder` (creating it), keeping the DatasetDict index up to date."""
    with staging_dir(get_datasets_dir(), dataset_folder_name(marker["name"])) as staging:
        dataset.save_to_disk(str(staging / split))
        move_into_place(staging / split, folder / split)
    splits = sorted(p.name for p in folder.iterdir() if (p / _STATE_FILE).is_file())
    write_json_atomic(folder / _DICT_FILE, {"splits": splits})
    previous = read_marker(folder)
    marker["complete"] = bool(previous.get("complete")) and previous.get("revision") == marker.get(
        "revision"
    )
    marker["splits"] = splits
    write_json_atomic(folder / MARKER, marker)


def download_dataset(
    name: str,
    config: str | None = None,
    split: str | None = None,
    revision: str | None = None,
    force: bool = False,
) -> Dataset | DatasetDict:
    """Download a Hub dataset into `assets/datasets/` once and return it loaded from disk.

    The first call runs `datasets.load_dataset` (with its progress bars) and `save_to_disk`;
    later calls load the saved copy and make no request. Set `force=True` to download again.

    Args:
        name: Hub id, e.g. `squad` or `wmt/wmt14`.
        config: Config (subset) name, e.g. `de-en`.
        split: Download only this split (returned as a `Dataset`); other splits can be added later.
        revision: Branch, tag or commit on the Hub (default: main).
        force: Download again even if a saved copy exists.

    Returns:
        The dataset, memory-mapped from `dataset_dir(name, config)`.

    Raises:
        InvalidNameError: A name is empty, absolute or contains `..` (checked before any I/O).
        RepoNotFoundError, GatedRepoError, RevisionNotFoundError: The Hub refused.
        DatasetConfigError: `config` is missing (the dataset has several) or unknown.
        OfflineError: Offline mode (or the Hub cannot be reached) and no saved copy.
        DownloadError: The transfer failed part-way; nothing was written to assets/.
    """
    _validate(name, config, split)
    folder = dataset_dir(name, config)
    saved = saved_dataset_path(name, config, split, revision) is not None
    if saved and not force:
        return load_local_dataset(name, config, split)
    unreachable = hub_unreachable_reason()
    if unreachable is not None:  # fail at once, not after ~23 s of retries by datasets
        raise unreachable_error("dataset", name, unreachable, cache_checked=False, kept=saved)

    import datasets

    marker: dict[str, Any] = {
        "name": name,
        "config": config,
        "revision": revision,
        "source": "huggingface",
        "downloaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    try:
        loaded = datasets.load_dataset(name, config, split=split, revision=revision)
        if split is not None:
            _save_split(loaded, folder, split, marker)
            return load_local_dataset(name, config, split)
        with staging_dir(get_datasets_dir(), dataset_folder_name(name)) as staging:
            loaded.save_to_disk(str(staging / "data"))
            splits = json.loads((staging / "data" / _DICT_FILE).read_text()).get("splits", [])
            write_json_atomic(
                staging / "data" / MARKER, {**marker, "complete": True, "splits": splits}
            )
            move_into_place(staging / "data", folder)
    except Exception as exc:
        error = translate_hub_error(exc, kind="dataset", name=name, revision=revision)
        message = " ".join(str(exc).split())
        if error is None and isinstance(exc, ValueError) and "config" in message.lower():
            # datasets: "Config name is missing ...", "BuilderConfig 'x' not found ..."
            error = DatasetConfigError(f"dataset '{name}': {message}")
        if error is None:
            raise
        raise error from exc
    return load_local_dataset(name, config)
