"""`translate` turns sentences (arguments or stdin lines) into one translation per line."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from datasets import load_from_disk
from paper_transformer.cli_translate import main
from paper_transformer_testing import TINY, cli_command, cli_env, run_cli


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def translate(run_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m paper_transformer.cli_translate RUN_DIR ARGS` with `stdin` piped in."""
    return subprocess.run(
        cli_command("cli_translate", str(run_dir), *args),
        input=stdin,
        capture_output=True,
        text=True,
        env=cli_env(run_dir.parents[2]),
    )


@pytest.fixture(scope="module")
def test_split(finished_run: tuple[Path, str]) -> tuple[list[str], list[str]]:
    """The tiny run's test sources and the hypotheses `train` wrote for them, line by line."""
    run_dir, _ = finished_run
    variant = f"{TINY['data']['train_size']}-{TINY['data']['valid_size']}-"
    (folder,) = (run_dir.parents[2] / "datasets" / "number_words").glob(f"{variant}*")
    sources = [row["de"] for row in load_from_disk(str(folder))["test"]["translation"]]
    hypotheses = (run_dir / "hypotheses.test.txt").read_text().splitlines()
    assert len(sources) == len(hypotheses) == TINY["data"]["test_size"]
    return sources, hypotheses


def test_stdin_gives_what_train_decoded_and_writes_nothing(
    finished_run: tuple[Path, str], test_split: tuple[list[str], list[str]]
) -> None:
    # train decoded the test split with the config's beam (TINY: 2, α 0.6) and the weights of
    # the last step (eval.average_last 1), which is what translate loads by default.
    run_dir, _ = finished_run
    sources, hypotheses = test_split
    before = snapshot(run_dir.parents[2])
    result = translate(run_dir, stdin="".join(f"{s}\n" for s in sources))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == hypotheses
    assert result.stdout.count("\n") == len(sources)
    assert snapshot(run_dir.parents[2]) == before  # the run (and the assets) untouched


class Stdin(io.TextIOWrapper):
    """A piped (or, with `tty`, a terminal's) stdin holding `text`, for in-process calls."""

    def __init__(self, text: str, tty: bool = False) -> None:
        super().__init__(io.BytesIO(text.encode()), encoding="utf-8")
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def call(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *argv: str,
    stdin: str = "",
    tty: bool = False,
) -> tuple[int, str, str]:
    """`translate ARGV` in this process: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "stdin", Stdin(stdin, tty))
    try:
        code = main(list(argv))
    except SystemExit as exit:  # argparse
        code = int(exit.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_arguments_and_stdin_agree_in_order(
    finished_run: tuple[Path, str],
    test_split: tuple[list[str], list[str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_dir, _ = finished_run
    sources, hypotheses = test_split
    picked = [sources[7], "", sources[0], sources[3]]  # an empty line gives an empty line
    expected = "".join(f"{line}\n" for line in [hypotheses[7], "", hypotheses[0], hypotheses[3]])
    by_args = call(monkeypatch, capsys, str(run_dir), "--beam", "2", "--", *picked)
    by_stdin = call(monkeypatch, capsys, str(run_dir), "--beam", "2",
                    stdin="\r\n".join(picked) + "\r\n")  # fmt: skip
    assert by_args == by_stdin == (0, expected, "")
    # options after the sentences, and no final newline on stdin
    assert call(monkeypatch, capsys, str(run_dir), picked[2], "--lenpen", "0.6") == (
        0, f"{hypotheses[0]}\n", ""
    )  # fmt: skip
    assert call(monkeypatch, capsys, str(run_dir), stdin=picked[2]) == (0, f"{hypotheses[0]}\n", "")


def test_greedy_from_one_checkpoint(
    finished_run: tuple[Path, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_dir, _ = finished_run
    checkpoint = run_dir / "checkpoints" / "step_00000040"
    code, out, err = call(monkeypatch, capsys, str(checkpoint), "--beam", "1", "--device", "cpu",
                          stdin="elf\nzwölf\n")  # fmt: skip
    assert (code, err) == (0, "")
    assert len(out.splitlines()) == 2
    assert call(monkeypatch, capsys, str(run_dir)) == (0, "", "")  # no lines in, no lines out


def test_help_answers_without_torch(tmp_path: Path) -> None:
    result = run_cli("cli_translate", "--help", assets=tmp_path / "assets")
    assert result.stdout.startswith("usage: translate [-h]")
    assert "--average-last" in result.stdout and "--lenpen" in result.stdout
    probe = "import sys; from paper_transformer import cli_translate; print('torch' in sys.modules)"
    imports = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert imports.stdout == "False\n", imports.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--beam", "0"], "--beam must be at least 1"),
        (["--beam", "x"], "argument --beam: invalid int value: 'x'"),
        (["--lenpen", "-1"], "--lenpen must be at least 0"),
        (["--average-last", "0"], "--average-last must be at least 1"),
        (["--device", "tpu"], "--device: unknown device 'tpu' (auto, cpu, cuda, cuda:N or mps)"),
    ],
)
def test_bad_options_are_one_line(
    finished_run: tuple[Path, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    run_dir, _ = finished_run
    result = call(monkeypatch, capsys, str(run_dir), *args, "elf")
    assert result == (2, "", f"translate: error: {message}\n")


def test_not_a_run_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert call(monkeypatch, capsys, str(tmp_path), "elf") == (
        2, "", f"translate: error: {tmp_path} is neither a run directory, a checkpoint of one, "
        "nor a model folder (config.json, model.safetensors, tokenizer.json, config.yaml)\n",
    )  # fmt: skip


def test_no_sentences_and_a_terminal_is_one_line(
    finished_run: tuple[Path, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_dir, _ = finished_run
    assert call(monkeypatch, capsys, str(run_dir), tty=True) == (
        2, "", "translate: error: no sentences: give them as arguments or one per line on stdin\n"
    )  # fmt: skip
