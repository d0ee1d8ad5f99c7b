"""tools/new_paper.py scaffolds members that lint clean, declare what they import, and train.

The template (tools/scaffold/template/) comes in 4 variants: with or without rd-models and rd-viz
(rd-training and rd-data are always used). The end-to-end test scaffolds into a temporary copy of the workspace (sources and uv.lock, no
environments) and runs the new members' smoke tests there with `uv run --package`, each in an
environment holding exactly what the member declares.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import check_imports
import new_paper
import pytest
from workspace import WORKSPACE_ROOT, Member, find_members, read_toml

VARIANTS = [
    new_paper.parse_uses(",".join(optional))
    for r in range(len(new_paper.OPTIONAL) + 1)
    for optional in itertools.combinations(new_paper.OPTIONAL, r)
]
"""Every variant the scaffold has: each set of optional pieces, with the pieces always used."""


def variant_id(uses: tuple[str, ...]) -> str:
    return "+".join(p for p in uses if p in new_paper.OPTIONAL) or "core"


def render(tmp_path: Path, name: str, uses: tuple[str, ...], project: bool = False) -> Path:
    folder = tmp_path / name
    for relative, text in new_paper.render_files(name, uses, project).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


# ----------------------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    "name", ["Bad", "under_score", "1st", "a--b", "trailing-", "with space", "x" * 41, "class"]
)
def test_invalid_names_are_refused_with_one_line(name: str, capsys: pytest.CaptureFixture) -> None:
    assert new_paper.main([name, "--no-lock"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid name" in err


def test_an_existing_member_is_refused(capsys: pytest.CaptureFixture) -> None:
    assert new_paper.main(["transformer", "--no-lock"]) == 2
    assert "papers/transformer already exists" in capsys.readouterr().err


def test_an_existing_distribution_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["other/*"]\n')
    (tmp_path / "other" / "x").mkdir(parents=True)
    (tmp_path / "other" / "x" / "pyproject.toml").write_text('[project]\nname = "paper-demo"\n')
    with pytest.raises(new_paper.ScaffoldError, match="already named paper-demo"):
        new_paper.validate_name("demo", tmp_path, project=False)


def test_unknown_pieces_are_refused(capsys: pytest.CaptureFixture) -> None:
    assert new_paper.main(["fresh-name", "--uses", "models,tokenizers", "--no-lock"]) == 2
    assert "unknown tokenizers" in capsys.readouterr().err
    assert not (WORKSPACE_ROOT / "papers" / "fresh-name").exists()


def test_uses_accepts_rd_prefixes_and_any_order_and_always_adds_training_and_data() -> None:
    assert new_paper.parse_uses("viz, rd-models") == ("models", "training", "data", "viz")
    assert new_paper.parse_uses("rd-data,training") == ("training", "data")
    assert new_paper.parse_uses("") == ("training", "data")
    assert len(VARIANTS) == 4


def test_marked_lines_are_kept_without_their_marker_or_dropped() -> None:
    values = new_paper.placeholder_values("demo", ("training", "data", "viz"), project=False)
    text = "a = 1\nb = 2  # uses: viz\nc = 3  # without: viz\nd = 4  # uses: models\n"
    assert new_paper.render_text(text, values, ("training", "data", "viz")) == "a = 1\nb = 2\n"
    assert new_paper.render_text(text, values, ("training", "data")) == "a = 1\nc = 3\n"
    with pytest.raises(ValueError, match="no optional piece 'vis'"):
        new_paper.render_text("x = 1  # uses: vis\n", values, ())


def test_the_template_is_fully_substituted_and_declares_its_placeholders() -> None:
    for uses in VARIANTS:
        for relative, text in new_paper.render_files("demo", uses, project=False).items():
            assert "paper_template" not in relative + text, relative
            assert "{{" not in text and "# uses:" not in text and "# without:" not in text
    assert not (new_paper.TEMPLATE / "pyproject.toml").exists()  # no workspace member
    testpaths = read_toml(WORKSPACE_ROOT / "pyproject.toml")["tool"]["pytest"]["ini_options"]
    assert not any("scaffold" in p for p in testpaths["testpaths"])


# ----------------------------------------------------------------------------- every variant
@pytest.mark.parametrize("uses", VARIANTS, ids=variant_id)
def test_scaffold_declares_exactly_the_chosen_pieces(tmp_path: Path, uses: tuple) -> None:
    folder = render(tmp_path, "demo", uses)
    project = read_toml(folder / "pyproject.toml")["project"]
    rd = {d for d in project["dependencies"] if d.startswith("rd-")}
    assert rd == {f"rd-{p}" for p in uses}
    # The plain model saves with safetensors itself; rd-models' Transformer does it for the other.
    assert ("safetensors>=0.4" in project["dependencies"]) == ("models" not in uses)
    model = (folder / "src/paper_demo/model.py").read_text()
    assert ("from rd_models import Transformer" in model) == ("models" in uses)
    assert project["name"] == "paper-demo" and project["version"] == "0.1.0"
    assert set(project["scripts"]) == {"demo-train", "demo-evaluate"}
    member = Member(name="paper-demo", path=folder, pyproject=read_toml(folder / "pyproject.toml"))
    assert member.import_names == ["paper_demo"]
    assert check_imports.check_member(member, find_members()) == []
    for name in ["README.md", "CHANGELOG.md", "src/paper_demo/py.typed", "tests/test_smoke.py"]:
        assert (folder / name).is_file()
    assert "rd-link papers/demo" in (folder / "README.md").read_text()


def test_every_variant_passes_ruff_also_with_the_longest_name(tmp_path: Path) -> None:
    longest = "x" * new_paper.MAX_NAME_LENGTH  # `project_xxx...` is the longest import name
    for i, uses in enumerate(VARIANTS):
        render(tmp_path, f"d-{variant_id(uses).replace('+', '-')}", uses)
        render(tmp_path / f"long{i}", longest, uses, project=True)
    config = str(WORKSPACE_ROOT / "pyproject.toml")
    ruff = [sys.executable, "-m", "ruff"]
    check = subprocess.run([*ruff, "check", "--config", config, str(tmp_path)], capture_output=True)
    assert check.returncode == 0, check.stdout.decode()
    fmt = subprocess.run(
        [*ruff, "format", "--check", "--config", config, str(tmp_path)], capture_output=True
    )
    assert fmt.returncode == 0, fmt.stdout.decode()


# ----------------------------------------------------------------------------- end to end
def copy_workspace(dest: Path) -> Path:
    """The workspace's sources and lock, without environments, caches, assets or git."""
    ignore = shutil.ignore_patterns(
        ".venv", ".venvs", ".git", "assets", "__pycache__", "*_cache", "dist", "*.egg-info", "data"
    )
    shutil.copytree(WORKSPACE_ROOT, dest, ignore=ignore, symlinks=True)
    return dest


UV_RUN = ["uv", "run", "--quiet", "--exact", "--package"]


def uv_env() -> dict[str, str]:
    # The copy's fresh environment may cache bytecode: each later process then skips compiling
    # torch's sources again (~2.5 s each where PYTHONDONTWRITEBYTECODE is set).
    drop = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    # One torch thread: tiny models on a shared 2-core machine run several times faster.
    return {**env, "OMP_NUM_THREADS": "1"}


@pytest.mark.slow
def test_scaffolded_members_train_and_pass_their_tests(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws")
    env = uv_env()
    scaffolds = [
        ("paper-demo", ["demo"], "rd-models, rd-training, rd-data, rd-viz"),  # the default: all
        ("project-bare", ["bare", "--project", "--uses", "data"], "rd-training, rd-data"),
    ]
    for dist, args, uses in scaffolds:
        made = subprocess.run(
            [sys.executable, "tools/new_paper.py", *args],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
        )
        assert made.returncode == 0, made.stderr
        assert f"({dist}, uses {uses} and torch); updated uv.lock" in made.stdout
        assert f'name = "{dist}"' in (root / "uv.lock").read_text()
    lock = subprocess.run(["uv", "lock", "--check"], cwd=root, env=env, capture_output=True)
    assert lock.returncode == 0, lock.stderr.decode()

    for dist, folder in [("paper-demo", "papers/demo"), ("project-bare", "projects/bare")]:
        result = subprocess.run(
            [
                *UV_RUN,
                dist,
                "--group",
                "dev",
                "pytest",
                f"{folder}/tests",
                "-q",
                "-p",
                "no:cacheprovider",
            ],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert "5 passed" in result.stdout

    def demo(command: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*UV_RUN, "paper-demo", f"demo-{command}", *args],
            cwd=root,
            env={**env, "RD_ASSETS_DIR": str(tmp_path / "assets")},
            capture_output=True,
            text=True,
            timeout=600,
        )

    # Out of the box: the default `train` learns the task; `evaluate` measures the saved model.
    trained = demo("train")
    assert trained.returncode == 0, trained.stderr[-3000:]
    accuracy = trained.stdout.split("test exact match ")[1].split("%")[0]
    assert float(accuracy) > 90, trained.stdout
    run_dir = trained.stdout.split("run directory: ")[1].strip()
    evaluated = demo("evaluate", run_dir)
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert evaluated.stdout == f"exact match {accuracy}% on 256 test sequences\n"

    # A researcher's mistakes: one line, exit code 2, nothing written; a used run name is refused.
    runs = tmp_path / "assets" / "outputs" / "demo"
    before = sorted(runs.iterdir())
    for override, message in [
        ("optim.lr=-1", "optim.lr must be a finite number > 0, got -1"),
        ("training.max_steps=0", "training.max_steps must be a positive integer, got 0"),
        ("model.d_model=33", "must be divisible by n_heads"),
        ("model.max_len=9", "model.max_len cannot be set in a config: it comes from task.seq_len"),
        ("training.device=tpu", "training.device: unknown device 'tpu'"),
    ]:
        refused = demo("train", override)
        assert refused.returncode == 2, refused.stderr[-3000:]
        assert refused.stderr.startswith("demo-train: error: ") and message in refused.stderr
        assert refused.stderr.count("\n") == 1, refused.stderr
    assert sorted(runs.iterdir()) == before
    again = demo("train", "--run-name", before[0].name)
    assert again.returncode == 2 and "already holds a run" in again.stderr, again.stderr[-3000:]
