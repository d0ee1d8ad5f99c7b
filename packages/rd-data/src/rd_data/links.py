"""Relative symlinks from a paper or project to an asset: `papers/<x>/data -> ../../assets/...`.

A relative link keeps working when the whole checkout moves; the `data` links are git-ignored.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from rd_data.errors import AssetNotFoundError, LinkError
from rd_data.hf_datasets import dataset_dir
from rd_data.hf_models import model_dir
from rd_data.paths import validate_config_name

__all__ = ["link_asset"]


def link_asset(
    member_dir: str | Path,
    name: str,
    *,
    config: str | None = None,
    kind: Literal["dataset", "model"] = "dataset",
    link_name: str = "data",
) -> Path:
    """Create `<member_dir>/<link_name>` as a relative symlink to a dataset (or model) in assets/.

    Idempotent: a link that already points there is left alone; a symlink pointing elsewhere is
    replaced (atomically); anything that is not a symlink is never touched.

    Args:
        member_dir: The paper or project folder, e.g. `papers/transformer`.
        name: Dataset id (`wmt/wmt14`, a local name) or, with `kind="model"`, a model id.
        config: Dataset config (sub-folder), e.g. `de-en`.
        kind: "dataset" (`assets/datasets/...`) or "model" (`assets/models/...`).
        link_name: Name of the link inside `member_dir`.

    Returns:
        The link path.

    Raises:
        InvalidNameError: A bad name (before any I/O).
        AssetNotFoundError: `member_dir` or the asset does not exist.
        LinkError: `<member_dir>/<link_name>` exists and is not a symlink.
    """
    validate_config_name(link_name, "link name")
    if kind == "dataset":
        target = dataset_dir(name, config)
        hint = f"rd-download-dataset --name {name}" + (f" --config {config}" if config else "")
    elif kind == "model":
        if config is not None:
            raise LinkError("--config applies to datasets only")
        target = model_dir(name)
        hint = f"rd-download-model --repo-id {name}"
    else:
        raise ValueError(f"kind must be 'dataset' or 'model', not {kind!r}")
    member = Path(member_dir).absolute()
    if not member.is_dir():
        raise AssetNotFoundError(f"folder {member_dir} does not exist")
    if not target.exists():
        raise AssetNotFoundError(f"{target} does not exist; create it first with `{hint}`")
    link = member / link_name
    relative = os.path.relpath(os.path.realpath(target), os.path.realpath(member))
    if link.is_symlink():
        if os.readlink(link) == relative or link.resolve() == target.resolve():
            return link
    elif link.exists():
        raise LinkError(f"{link} exists and is not a symlink; move it away first")
    tmp = link.with_name(f".{link_name}.{os.getpid()}.tmp")
    if tmp.is_symlink():
        tmp.unlink()
    os.symlink(relative, tmp, target_is_directory=True)
    os.replace(tmp, link)
    return link
