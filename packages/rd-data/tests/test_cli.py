"""The console scripts: declared, quick --help, one-line errors with exit code 2."""

from __future__ import annotations

import subprocess
import sys
import time
from importlib.metadata import entry_points

import pytest

from rd_data import cli


def test_console_scripts_point_at_the_cli_functions() -> None:
    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert scripts["rd-download-dataset"] == "rd_data.cli:download_dataset_main"
    assert scripts["rd-download-model"] == "rd_data.cli:download_model_main"
    assert scripts["rd-link"] == "rd_data.cli:link_main"


def test_help_answers_at_once_without_heavy_imports() -> None:
    code = (
        "import sys\n"
        "from rd_data.cli import download_dataset_main\n"
        "try:\n    download_dataset_main(['--help'])\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('torch', 'datasets', 'huggingface_hub') if m in sys.modules))"
    )
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "--name" in result.stdout and "--config" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert time.perf_counter() - start < 20  # generous: the CI machine is shared


@pytest.mark.parametrize(
    ("main", "argv"),
    [
        (cli.download_dataset_main, ["--name", "../x"]),
        (cli.download_dataset_main, ["--name", "squad", "--config", "/etc"]),
        (cli.download_model_main, ["--repo-id", "/abs/path"]),
        (cli.download_model_main, ["--repo-id", ""]),
        (cli.download_model_main, ["--repo-id", "org/m", "--filename", "../../x"]),
    ],
)
def test_bad_names_are_one_line_and_exit_code_2(main, argv, capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RD_ASSETS_DIR", str(tmp_path / "assets"))

    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: invalid") or captured.err.startswith("error: ")
    assert captured.err.count("\n") == 1
    assert not (tmp_path / "assets").exists()


def test_usage_errors_are_one_line_and_exit_code_2(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.download_model_main([])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1
