"""`<run>/model/` is a shareable model: translate/evaluate take it, or its Hub id once downloaded."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from paper_transformer.model_folder import FILES
from paper_transformer_testing import read_jsonl, run_cli

from rd_models import Transformer

SENTENCES = ["dreihundertzwölftausendvierhundertfünf", "siebenundzwanzigtausendeins", "elf"]
HUB_SERVER = Path(__file__).parents[3] / "packages" / "rd-data" / "tests" / "hub_server.py"


def _loopback_hub_module():
    """rd-data's hub-compatible test server (its tests start the same one)."""
    spec = importlib.util.spec_from_file_location("rd_data_tests_hub_server", HUB_SERVER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def translations(path: str | Path, assets: Path) -> list[str]:
    return run_cli("cli_translate", str(path), *SENTENCES, assets=assets).stdout.splitlines()


def test_the_model_folder_translates_as_its_run_does(finished_run: tuple[Path, str]) -> None:
    run_dir, _ = finished_run
    folder = run_dir / "model"
    assert all((folder / name).is_file() for name in (*FILES, "README.md", "run.json"))
    assets = run_dir.parents[2]
    expected = translations(run_dir, assets)
    assert len(expected) == len(SENTENCES) and translations(folder, assets) == expected
    model = Transformer.from_pretrained(folder)
    assert sum(p.numel() for p in model.parameters()) > 0

    test = [r for r in read_jsonl(run_dir / "metrics.jsonl") if r["split"] == "test"][-1]
    card = (folder / "README.md").read_text()
    assert card.startswith("---\nlanguage:\n- de\n- en\n") and "library_name: rd-models" in card
    assert f"| bleu | {test['bleu']:.2f} |" in card
    run = json.loads((folder / "run.json").read_text())
    assert run["step"] == test["step"] and run["test"]["bleu"] == test["bleu"]
    assert not {"hostname", "cwd", "argv"} & set(run)  # nothing private goes into a share


def test_a_hub_id_downloaded_with_rd_download_model_translates_and_evaluates(
    finished_run: tuple[Path, str], tmp_path: Path
) -> None:
    run_dir, _ = finished_run
    hub_server = _loopback_hub_module()
    hub = hub_server.LoopbackHub()
    try:
        files = {p.name: p.read_bytes() for p in (run_dir / "model").iterdir()}
        hub.add("model", "org/number-words-mt", hub_server.Repo(files))
        assets = tmp_path / "assets"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE"))}
        env |= {
            "HF_ENDPOINT": hub.url,
            "HF_HOME": str(tmp_path / "hf"),
            "RD_ASSETS_DIR": str(assets),
        }
        env |= {"NO_PROXY": "127.0.0.1,localhost", "HF_HUB_DISABLE_TELEMETRY": "1"}
        never = run_cli("cli_translate", "org/number-words-mt", "elf", assets=assets, check=False)
        assert never.returncode == 2
        assert "download it with `uv run rd-download-model --repo-id org/number-words-mt`" in (
            never.stderr
        )
        download = "from rd_data.cli import download_model_main as m; raise SystemExit(m())"
        subprocess.run(
            [sys.executable, "-c", download, "--repo-id", "org/number-words-mt"],
            env=env, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    finally:
        hub.close()

    assert translations("org/number-words-mt", assets) == translations(run_dir, run_dir.parents[2])
    evaluated = run_cli("evaluate", "org/number-words-mt", assets=assets)
    out = assets / "outputs" / "transformer" / "evaluate-org__number-words-mt"
    assert str(out) in evaluated.stdout
    train_test = [r for r in read_jsonl(run_dir / "metrics.jsonl") if r["split"] == "test"][-1]
    (record,) = read_jsonl(out / "metrics.jsonl")
    assert (record["step"], record["bleu"]) == (train_test["step"], train_test["bleu"])
    assert not (assets / "models" / "org" / "number-words-mt" / "metrics.jsonl").exists()


def test_a_model_folder_has_no_checkpoints_to_average(finished_run: tuple[Path, str]) -> None:
    run_dir, _ = finished_run
    result = run_cli(
        "cli_translate", str(run_dir / "model"), "--average-last", "2", "elf",
        assets=run_dir.parents[2], check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == (
        f"translate: error: --average-last: {run_dir / 'model'} is a model folder, "
        "it has no checkpoints\n"
    )


@pytest.mark.parametrize("name", ["../up", "not/a/real/id"])
def test_a_path_that_is_neither_file_nor_id_is_one_line(tmp_path: Path, name: str) -> None:
    result = run_cli("cli_translate", name, "elf", assets=tmp_path, check=False)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"translate: error: {name} ")
