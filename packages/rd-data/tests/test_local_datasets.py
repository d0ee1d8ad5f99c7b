"""Datasets already under assets/ are loaded from disk: no network, clear errors when missing."""

from __future__ import annotations

from pathlib import Path

import pytest

import rd_data

datasets = pytest.importorskip("datasets")


@pytest.fixture
def assets(tmp_path, monkeypatch):
    monkeypatch.setenv("RD_ASSETS_DIR", str(tmp_path / "assets"))
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    return tmp_path / "assets"


def _save(folder, **splits) -> None:
    datasets.DatasetDict(
        {name: datasets.Dataset.from_dict(columns) for name, columns in splits.items()}
    ).save_to_disk(str(folder))


def test_a_saved_dataset_is_returned_without_network(assets) -> None:
    _save(rd_data.dataset_dir("number-words", "en-de"), train={"src": ["one"], "tgt": ["eins"]})

    ds = rd_data.download_dataset("number-words", "en-de")

    assert ds["train"]["tgt"][0] == "eins"
    assert rd_data.load_local_dataset("number-words", "en-de", split="train").num_rows == 1


def test_missing_dataset_names_the_command_to_run(assets) -> None:
    with pytest.raises(rd_data.AssetNotFoundError) as info:
        rd_data.load_local_dataset("wmt/wmt14", "de-en", split="train")

    assert "rd-download-dataset --name wmt/wmt14 --config de-en --split train" in str(info.value)
    assert isinstance(info.value, FileNotFoundError)


def test_save_dataset_writes_all_or_nothing_and_replaces_a_previous_save(
    assets, monkeypatch
) -> None:
    folder = rd_data.dataset_dir("made-here")
    first = datasets.DatasetDict({"train": datasets.Dataset.from_dict({"x": [1, 2]})})
    assert rd_data.save_dataset(first, folder) == folder.absolute()
    assert rd_data.load_local_dataset("made-here", split="train")["x"] == [1, 2]

    def fail_halfway(self, path, *args, **kwargs):
        (Path(path) / "half-written").mkdir(parents=True)
        raise OSError("disk full")

    second = datasets.DatasetDict({"train": datasets.Dataset.from_dict({"x": [3]})})
    with monkeypatch.context() as patch, pytest.raises(OSError, match="disk full"):
        patch.setattr(datasets.DatasetDict, "save_to_disk", fail_halfway)
        rd_data.save_dataset(second, folder)
    # The failed save left the previous dataset untouched and no staging folder behind.
    assert rd_data.load_local_dataset("made-here", split="train")["x"] == [1, 2]
    assert sorted(p.name for p in folder.parent.iterdir()) == [folder.name]

    rd_data.save_dataset(second, folder)
    assert rd_data.load_local_dataset("made-here", split="train")["x"] == [3]
    assert sorted(p.name for p in folder.parent.iterdir()) == [folder.name]
