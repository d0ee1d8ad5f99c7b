"""`<run>/model/` is a model to share: translate/evaluate take it, or its Hub id once pushed with
rd-push-model and downloaded with rd-download-model (through rd-data's loopback hub)."""

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


def rd_data_cli(command: str, *args: str, env: dict[str, str]) -> None:
    """An rd-data console script (`rd-push-model ...`) in a subprocess with `env`."""
    function = command.removeprefix("rd-").replace("-", "_") + "_main"
    code = f"import sys; from rd_data.cli import {function}; sys.exit({function}(sys.argv[1:]))"
    result = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_a_pushed_model_downloaded_by_its_hub_id_translates_and_evaluates(
    finished_run: tuple[Path, str], tmp_path: Path
) -> None:
    run_dir, _ = finished_run
    hub_server = _loopback_hub_module()
    hub = hub_server.LoopbackHub()
    repo_id = "org/number-words-mt"
    try:
        assets = tmp_path / "assets"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE"))}
        env |= {
            "HF_ENDPOINT": hub.url,
            "HF_HOME": str(tmp_path / "hf"),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "NO_PROXY": "127.0.0.1,localhost",
            "RD_ASSETS_DIR": str(assets),
        }
        rd_data_cli("rd-push-model", str(run_dir / "model"), "--repo-id", repo_id,
                    env={**env, "HF_TOKEN": "hf_test"})  # fmt: skip
        pushed = hub.repos[("model", repo_id)].files
        assert set(pushed) == {p.name for p in (run_dir / "model").iterdir()}
        never = run_cli("cli_translate", repo_id, "elf", assets=assets, check=False)
        assert never.returncode == 2
        assert f"download it with `uv run rd-download-model --repo-id {repo_id}`" in never.stderr
        rd_data_cli("rd-download-model", "--repo-id", repo_id, env=env)
    finally:
        hub.close()

    assert translations(repo_id, assets) == translations(run_dir, run_dir.parents[2])
    evaluated = run_cli("evaluate", repo_id, assets=assets)
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
