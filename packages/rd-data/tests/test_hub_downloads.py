"""Downloads through the real huggingface_hub and datasets code, against the loopback hub.

Each test runs the library in a subprocess whose HF_ENDPOINT points at the loopback server and
whose HF_HOME and RD_ASSETS_DIR are fresh temp folders (see conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[3] / "tools"


def _assets(env: dict[str, str]) -> Path:
    return Path(env["RD_ASSETS_DIR"])


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def test_model_download_through_the_seed_script_fills_assets_models(run, hub) -> None:
    result = run.script(TOOLS / "download_hf_model.py", "--repo-id", "org/tiny-model")

    assert result.returncode == 0, result.stderr
    target = _assets(run.env) / "models" / "org" / "tiny-model"
    assert result.stdout.strip().splitlines()[-1] == str(target)
    files = hub.repos[("model", "org/tiny-model")].files
    assert (target / "config.json").read_bytes() == files["config.json"]
    assert (target / "model.safetensors").read_bytes() == files["model.safetensors"]


def test_second_model_download_makes_no_request(run, hub) -> None:
    first = run.cli("rd-download-model", "--repo-id", "org/tiny-model")
    assert first.returncode == 0, first.stderr
    requests_after_first = len(hub.requests)
    assert requests_after_first > 0

    second = run.cli("rd-download-model", "--repo-id", "org/tiny-model")

    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert len(hub.requests) == requests_after_first


def test_model_single_file_download(run) -> None:
    result = run.cli(
        "rd-download-model", "--repo-id", "org/tiny-model", "--filename", "config.json"
    )

    assert result.returncode == 0, result.stderr
    target = _assets(run.env) / "models" / "org" / "tiny-model"
    assert result.stdout.strip() == str(target / "config.json")
    assert not (target / "model.safetensors").exists()


def test_dataset_download_saves_to_disk_and_is_reused_without_network(run, hub) -> None:
    result = run.script(TOOLS / "download_hf_dataset.py", "--name", "org/pairs")
    assert result.returncode == 0, result.stderr
    target = _assets(run.env) / "datasets" / "org__pairs"
    assert result.stdout.strip().splitlines()[-1] == str(target)
    assert {"dataset_dict.json", "train", "validation"} <= set(_listing(target))
    requests_after_first = len(hub.requests)

    again = run.python(  # online, through the API and the CLI function
        "import sys, rd_data\n"
        "from rd_data.cli import download_dataset_main\n"
        "ds = rd_data.download_dataset('org/pairs')\n"
        "assert ds['validation']['tgt'][0] == 'sieben'\n"
        "sys.exit(download_dataset_main(['--name', 'org/pairs']))"
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout == result.stdout
    assert len(hub.requests) == requests_after_first  # the second call made no request

    offline = run.python(
        "import json, rd_data\n"
        "ds = rd_data.download_dataset('org/pairs')\n"
        "local = rd_data.load_local_dataset('org/pairs', split='validation')\n"
        "print(json.dumps([list(ds['train']['src']), list(local['tgt'])]))",
        HF_HUB_OFFLINE="1",
    )
    assert offline.returncode == 0, offline.stderr
    assert json.loads(offline.stdout.strip().splitlines()[-1]) == [
        ["one", "two three", "four five six"],
        ["sieben"],
    ]
    assert len(hub.requests) == requests_after_first


def test_dataset_config_and_single_split_download(run) -> None:
    result = run.cli(
        "rd-download-dataset", "--name", "org/multi", "--config", "de-en", "--split", "validation"
    )

    assert result.returncode == 0, result.stderr
    target = _assets(run.env) / "datasets" / "org__multi" / "de-en"
    assert result.stdout.strip() == str(target / "validation")
    assert (target / "validation" / "state.json").is_file()
    assert not (target / "train").exists()


# --- errors: one subprocess tries every failing case through the API --------------------------

_ERROR_SCRIPT = """
import json, os, sys
from pathlib import Path
import rd_data

cases = {
    "model_not_found": lambda: rd_data.download_model("org/missing"),
    "dataset_not_found": lambda: rd_data.download_dataset("org/missing"),
    "model_gated": lambda: rd_data.download_model("org/gated-model"),
    "dataset_gated": lambda: rd_data.download_dataset("org/gated-pairs"),
    "model_bad_revision": lambda: rd_data.download_model("org/tiny-model", revision="v9"),
    "dataset_bad_revision": lambda: rd_data.download_dataset("org/pairs", revision="v9"),
    "dataset_config_missing": lambda: rd_data.download_dataset("org/multi"),
    "dataset_config_unknown": lambda: rd_data.download_dataset("org/multi", "xx-yy"),
    "model_missing_file": lambda: rd_data.download_model("org/tiny-model", filename="nope.bin"),
    "model_cut_mid_file": lambda: rd_data.download_model("org/flaky-model"),
    "dataset_cut_mid_file": lambda: rd_data.download_dataset("org/flaky-pairs"),
}
assets = Path(os.environ["RD_ASSETS_DIR"])
results = {}
for name, call in cases.items():
    try:
        call()
        outcome = ["no error", ""]
    except Exception as exc:
        outcome = [type(exc).__name__, str(exc)]
    listing = sorted(str(p.relative_to(assets)) for p in assets.rglob("*")) if assets.exists() else []
    results[name] = outcome + [listing]
print("RESULTS " + json.dumps(results))
"""


@pytest.fixture(scope="module")
def error_results(module_runner, hub) -> dict[str, list]:
    """Run every failing case once: {case: [exception class, message, files left in assets/]}.

    The extra key "served_cut" lists the files whose download the hub really cut mid-body.
    """
    result = module_runner.python(_ERROR_SCRIPT, HF_TOKEN="hf_do_not_print_me")
    assert result.returncode == 0, result.stderr
    assert "hf_do_not_print_me" not in result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULTS "))
    return {**json.loads(line[len("RESULTS ") :]), "served_cut": sorted(hub.served_cut)}


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("model_not_found", "RepoNotFoundError"),
        ("dataset_not_found", "RepoNotFoundError"),
        ("model_gated", "GatedRepoError"),
        ("dataset_gated", "GatedRepoError"),
        ("model_bad_revision", "RevisionNotFoundError"),
        ("dataset_bad_revision", "RevisionNotFoundError"),
        ("dataset_config_missing", "DatasetConfigError"),
        ("dataset_config_unknown", "DatasetConfigError"),
        ("model_missing_file", "RemoteFileNotFoundError"),
        ("model_cut_mid_file", "DownloadError"),
        ("dataset_cut_mid_file", "DownloadError"),
    ],
)
def test_hub_failures_raise_clear_errors_and_leave_nothing_in_assets(
    error_results, case: str, error: str
) -> None:
    kind, message, listing = error_results[case]
    assert kind == error, message
    assert "\n" not in message
    # Failures leave no dataset, no model and no staging folder behind: at most empty roots.
    assert [p for p in listing if p not in ("datasets", "models", "models/org")] == []


def test_the_cut_cases_were_really_cut_mid_file(error_results) -> None:
    assert error_results["served_cut"] == [
        "dataset:org/flaky-pairs:data/train-00000-of-00001.parquet",
        "model:org/flaky-model:model.safetensors",
    ]


def test_gated_error_tells_how_to_authenticate(error_results) -> None:
    for case in ("model_gated", "dataset_gated"):
        message = error_results[case][1]
        assert "hf auth login" in message
        assert "HF_TOKEN" in message


def test_cli_reports_missing_repo_in_one_line_with_exit_code_2(run) -> None:
    result = run.cli("rd-download-model", "--repo-id", "org/missing")

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("error: model 'org/missing' was not found")
    assert result.stdout == ""


def test_cli_gated_repo_never_prints_the_token(run) -> None:
    token = "hf_secret_value_for_the_test"
    result = run.cli("rd-download-model", "--repo-id", "org/gated-model", HF_TOKEN=token)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip().splitlines()[-1].startswith("error: model 'org/gated-model' is gated")
    )
    assert token not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["rd-download-dataset", "--name", "org/pairs"],
        ["rd-download-model", "--repo-id", "org/tiny-model"],
    ],
)
def test_offline_with_nothing_local_fails_cleanly(run, hub, argv: list[str]) -> None:
    result = run.cli(*argv, HF_HUB_OFFLINE="1")

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "offline" in last
    assert hub.requests == []
    assert [p for p in _listing(_assets(run.env)) if p not in ("datasets", "models")] == []
