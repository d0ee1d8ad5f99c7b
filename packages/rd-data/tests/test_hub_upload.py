"""`rd-push-model` / `upload_model` against the loopback hub: one commit, the token never shown."""

from __future__ import annotations

import json
from pathlib import Path

TOKEN = "hf_loopbackSecretToken1234"


def model_folder(root: Path) -> Path:
    folder = root / "run" / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "config.json").write_text('{"d_model": 8}')
    (folder / "model.safetensors").write_bytes(bytes(range(256)) * 40)
    (folder / "README.md").write_text("---\nlibrary_name: rd-models\n---\n# a model\n")
    (folder / "sub" / "notes.txt").write_text("nested files go too\n")
    (folder / ".rd-data.json").write_text("{}")  # hidden: rd-data's own marker stays behind
    return folder


def test_push_uploads_the_folder_and_a_download_gives_it_back(run, hub, tmp_path: Path) -> None:
    folder = model_folder(tmp_path)
    result = run.cli("rd-push-model", str(folder), "--repo-id", "me/pushed", HF_TOKEN=TOKEN)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(hub.url) and "/commit/" in result.stdout
    assert TOKEN not in result.stdout + result.stderr
    assert hub.tokens and set(hub.tokens) == {TOKEN}  # every write request carried it
    assert any(r.startswith("POST /api/repos/create") for r in hub.requests)

    files = hub.repos[("model", "me/pushed")].files
    local = {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }
    assert files == local

    again = run.cli("rd-push-model", str(folder), "--repo-id", "me/pushed", HF_TOKEN=TOKEN)
    assert again.returncode == 0, again.stderr  # an existing repository gets a new commit

    downloaded = run.cli("rd-download-model", "--repo-id", "me/pushed")
    assert downloaded.returncode == 0, downloaded.stderr
    target = Path(downloaded.stdout.strip())
    assert (target / "model.safetensors").read_bytes() == local["model.safetensors"]
    assert json.loads((target / "config.json").read_text()) == {"d_model": 8}


def test_push_without_a_token_is_one_line_that_says_how_to_log_in(run, hub, tmp_path) -> None:
    folder = model_folder(tmp_path)
    result = run.cli("rd-push-model", str(folder), "--repo-id", "me/anonymous")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "needs a Hub token: run `hf auth login` or set the HF_TOKEN" in result.stderr
    assert ("model", "me/anonymous") not in hub.repos


def test_push_refuses_an_empty_or_missing_folder_and_a_bad_id(run, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for folder, repo_id in ((tmp_path / "empty", "me/x"), (tmp_path / "nope", "me/x")):
        result = run.cli("rd-push-model", str(folder), "--repo-id", repo_id, HF_TOKEN=TOKEN)
        assert result.returncode == 2
        assert result.stderr == f"error: {folder} is not a folder with files to upload\n"
    bad = run.cli("rd-push-model", str(model_folder(tmp_path)), "--repo-id", "../x")
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and "model id" in bad.stderr
