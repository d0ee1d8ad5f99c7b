"""`link_asset` / `rd-link`: relative symlinks from a paper to an asset, never destructive."""

from __future__ import annotations

import os

import pytest

import rd_data
from rd_data.cli import link_main


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A workspace with assets/datasets/wmt__wmt14/de-en and papers/transformer."""
    monkeypatch.setenv("RD_ASSETS_DIR", str(tmp_path / "assets"))
    (tmp_path / "assets" / "datasets" / "wmt__wmt14" / "de-en").mkdir(parents=True)
    (tmp_path / "papers" / "transformer").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_link_is_relative_and_resolves_to_the_dataset(workspace) -> None:
    link = rd_data.link_asset("papers/transformer", "wmt/wmt14", config="de-en")

    assert link == workspace / "papers" / "transformer" / "data"
    assert os.readlink(link) == "../../assets/datasets/wmt__wmt14/de-en"
    assert link.resolve() == (workspace / "assets/datasets/wmt__wmt14/de-en").resolve()


def test_linking_twice_is_a_no_op(workspace) -> None:
    first = rd_data.link_asset("papers/transformer", "wmt/wmt14", config="de-en")
    inode = os.lstat(first).st_ino

    second = rd_data.link_asset("papers/transformer", "wmt/wmt14", config="de-en")

    assert second == first
    assert os.lstat(second).st_ino == inode


def test_a_link_to_another_dataset_is_replaced(workspace) -> None:
    (workspace / "assets" / "datasets" / "other").mkdir()
    rd_data.link_asset("papers/transformer", "other")

    link = rd_data.link_asset("papers/transformer", "wmt/wmt14", config="de-en")

    assert os.readlink(link).endswith("wmt__wmt14/de-en")


def test_a_real_folder_is_never_replaced(workspace) -> None:
    data = workspace / "papers" / "transformer" / "data"
    data.mkdir()
    (data / "precious.txt").write_text("keep me")

    with pytest.raises(rd_data.LinkError, match="not a symlink"):
        rd_data.link_asset("papers/transformer", "wmt/wmt14", config="de-en")
    assert (data / "precious.txt").read_text() == "keep me"


def test_missing_asset_names_the_download_command(workspace) -> None:
    with pytest.raises(rd_data.AssetNotFoundError, match="rd-download-dataset --name squad"):
        rd_data.link_asset("papers/transformer", "squad")
    assert not (workspace / "papers" / "transformer" / "data").exists()


def test_models_can_be_linked_too(workspace) -> None:
    (workspace / "assets" / "models" / "org" / "m").mkdir(parents=True)

    link = rd_data.link_asset("papers/transformer", "org/m", kind="model", link_name="model")

    assert os.readlink(link) == "../../assets/models/org/m"


def test_cli_prints_the_link_and_reports_errors_in_one_line(workspace, capsys) -> None:
    assert link_main(["papers/transformer", "wmt/wmt14", "--config", "de-en"]) == 0
    assert "../../assets/datasets/wmt__wmt14/de-en" in capsys.readouterr().out

    (workspace / "papers" / "transformer" / "data").unlink()
    (workspace / "papers" / "transformer" / "data").write_text("a file")
    assert link_main(["papers/transformer", "wmt/wmt14", "--config", "de-en"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
