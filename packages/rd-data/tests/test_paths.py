"""Where assets live, and which names are refused before any I/O."""

from __future__ import annotations

import pytest

import rd_data


def test_rd_assets_dir_wins_and_folders_are_created_on_demand(tmp_path, monkeypatch) -> None:
    root = tmp_path / "big-disk" / "assets"
    monkeypatch.setenv("RD_ASSETS_DIR", str(root))

    assert not root.exists()
    assert rd_data.get_assets_dir() == root
    assert rd_data.get_datasets_dir() == root / "datasets"
    assert rd_data.get_models_dir() == root / "models"
    assert rd_data.get_outputs_dir() == root / "outputs"
    assert all((root / name).is_dir() for name in ("datasets", "models", "outputs"))


def test_workspace_root_is_found_by_walking_up_to_the_uv_workspace(tmp_path, monkeypatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["packages/*"]\n')
    member = tmp_path / "packages" / "x"
    member.mkdir(parents=True)
    (member / "pyproject.toml").write_text('[project]\nname = "x"\n')
    monkeypatch.delenv("RD_ASSETS_DIR", raising=False)
    monkeypatch.chdir(member)

    assert rd_data.get_assets_dir(create=False) == tmp_path / "assets"


def test_outside_a_workspace_assets_go_to_a_per_user_cache(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("RD_ASSETS_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("rd_data.paths.find_workspace_root", lambda start=None: None)

    root = rd_data.get_assets_dir(create=False)

    assert root.name == "assets"
    assert str(root).startswith(str(tmp_path))
    assert "rd-data" in root.parts


def test_org_name_becomes_one_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RD_ASSETS_DIR", str(tmp_path))

    assert (
        rd_data.dataset_dir("wmt/wmt14", "de-en") == tmp_path / "datasets" / "wmt__wmt14" / "de-en"
    )
    assert rd_data.dataset_dir("squad") == tmp_path / "datasets" / "squad"
    assert (
        rd_data.model_dir("google/flan-t5-small")
        == tmp_path / "models" / "google" / "flan-t5-small"
    )
    assert rd_data.model_dir("bert-base-uncased") == tmp_path / "models" / "bert-base-uncased"


BAD_NAMES = ["", " ", "../x", "x/..", "/etc/passwd", "~/x", "a/b/c", "a\\..\\b", "..", "org/.."]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_invalid_names_are_refused_before_any_io(name: str, tmp_path, monkeypatch) -> None:
    root = tmp_path / "assets"
    monkeypatch.setenv("RD_ASSETS_DIR", str(root))

    with pytest.raises(rd_data.InvalidNameError):
        rd_data.download_dataset(name)
    with pytest.raises(rd_data.InvalidNameError):
        rd_data.download_model(name)
    with pytest.raises(rd_data.InvalidNameError):
        rd_data.load_local_dataset(name)
    assert not root.exists()


@pytest.mark.parametrize(
    ("kwargs", "what"),
    [
        ({"config": "../de-en"}, "config"),
        ({"config": ""}, "config"),
        ({"split": "train[:10%]"}, "split"),
        ({"split": "a/b"}, "split"),
    ],
)
def test_invalid_config_and_split_are_refused(kwargs, what: str, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RD_ASSETS_DIR", str(tmp_path / "assets"))

    with pytest.raises(rd_data.InvalidNameError, match=what):
        rd_data.download_dataset("squad", **kwargs)
    assert not (tmp_path / "assets").exists()


@pytest.mark.parametrize("filename", ["", "../config.json", "/abs.bin", "a/../../b", "C:/x"])
def test_invalid_model_file_names_are_refused(filename: str, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RD_ASSETS_DIR", str(tmp_path / "assets"))

    with pytest.raises(rd_data.InvalidNameError):
        rd_data.download_model("org/model", filename=filename)
    assert not (tmp_path / "assets").exists()


def test_nested_model_file_names_are_allowed(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RD_ASSETS_DIR", str(tmp_path))
    target = rd_data.model_dir("org/model") / "onnx" / "model.onnx"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"x")

    assert rd_data.download_model("org/model", filename="onnx/model.onnx") == target


def test_errors_share_one_base_class() -> None:
    for name in ("InvalidNameError", "RepoNotFoundError", "GatedRepoError", "OfflineError"):
        assert issubclass(getattr(rd_data, name), rd_data.RdDataError)
    assert issubclass(rd_data.InvalidNameError, ValueError)
