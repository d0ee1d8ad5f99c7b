"""The individual checks of `rd-doctor`, each returning one or more `Check` results.

Fast on purpose: only torch and the members are imported (the member check needs them anyway);
Hugging Face and git are read from files, environment variables and one `git` call.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rd_tools.workspace import Member

__all__ = [
    "MIN_FREE_GB",
    "Check",
    "assets_dir",
    "check_assets",
    "check_git",
    "check_hugging_face",
    "check_member",
    "check_python",
    "check_torch",
    "check_uv",
    "hf_token_source",
    "satisfies",
]

MIN_FREE_GB = 10.0
"""Below this much free disk in the assets dir the check warns (datasets and checkpoints are big)."""


@dataclass
class Check:
    """The result of one check."""

    name: str
    """What was checked, e.g. `python` or `member rd-models`."""
    status: str
    """`ok`, `warn`, `info` or `fail`."""
    value: str
    """What was found (a version, a path, a yes/no)."""
    detail: str = ""
    """Why it failed or what to do; empty when there is nothing to say."""

    @property
    def failed(self) -> bool:
        return self.status == "fail"


# ----------------------------------------------------------------------------- python and uv
_SPEC = re.compile(r"\s*(>=|<=|==|!=|~=|>|<)\s*([0-9]+(?:\.[0-9]+)*)(\.\*)?\s*$")


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def satisfies(version: tuple[int, ...], specifier: str) -> bool:
    """Whether `version` meets a requires-python specifier such as `>=3.10,<3.14`.

    Handles the operators PEP 440 allows on plain release numbers (`==3.11.*` included), which
    is all requires-python uses in practice.

    Raises:
        ValueError: a clause that is not `<op><release>`.
    """
    for clause in filter(None, (c.strip() for c in specifier.split(","))):
        match = _SPEC.match(clause)
        if not match:
            raise ValueError(f"cannot read requires-python clause {clause!r}")
        op, text, wildcard = match.groups()
        want = _version_tuple(text)
        have = version[: len(want)] if wildcard or op in ("==", "!=") else version
        pad = max(len(have), len(want))
        have, want = have + (0,) * (pad - len(have)), want + (0,) * (pad - len(want))
        ok = {
            ">=": have >= want,
            "<=": have <= want,
            ">": have > want,
            "<": have < want,
            "==": have == want,
            "!=": have != want,
            "~=": have >= want and have[: len(want) - 1] == want[: len(want) - 1],
        }[op]
        if not ok:
            return False
    return True


def _own_requires_python() -> str:
    try:
        found = importlib.metadata.metadata("rd-tools").get_all("Requires-Python")
    except importlib.metadata.PackageNotFoundError:
        return ""
    return found[0] if found else ""


def check_python(members: list[Member]) -> Check:
    """Python against the members' requires-python (rd-tools' own when there are no members)."""
    found_specs = {m.pyproject["project"].get("requires-python", "") for m in members}
    if not members:
        found_specs.add(_own_requires_python())
    specs = sorted(found_specs - {""})
    found = platform.python_version()
    version = sys.version_info[:3]
    bad = [s for s in specs if not satisfies(version, s)]
    if bad:
        return Check("python", "fail", found, f"members require {' and '.join(bad)}")
    return Check("python", "ok", found, f"requires-python {', '.join(specs) or '(none)'}")


def check_uv() -> Check:
    uv = os.environ.get("UV") or shutil.which("uv")  # `uv run` sets UV to its own binary
    if not uv:
        return Check("uv", "fail", "not found", "install it: pip install uv")
    try:
        out = subprocess.run([uv, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as err:
        return Check("uv", "fail", "not runnable", f"{uv}: {err}")
    return Check("uv", "ok", out.stdout.split()[1] if out.stdout.split()[1:] else out.stdout)


# ----------------------------------------------------------------------------- torch
def check_torch() -> list[Check]:
    """torch version, CUDA, cuDNN, MPS and the GPUs. Only a missing torch fails."""
    try:
        import torch
    except ImportError as err:
        return [Check("torch", "fail", "not importable", f"{err}; run `uv sync --all-packages`")]
    checks = [Check("torch", "ok", torch.__version__)]
    if torch.cuda.is_available():
        checks.append(Check("cuda", "ok", f"yes (CUDA {torch.version.cuda})"))
        cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
        checks.append(Check("cudnn", "ok" if cudnn else "warn", str(cudnn or "not available")))
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            memory = f"{props.total_memory / 2**30:.1f} GiB"
            checks.append(Check(f"gpu {i}", "ok", f"{props.name}, {memory}"))
    else:
        built = torch.version.cuda
        detail = (
            f"torch is built for CUDA {built} but sees no GPU (driver? CUDA_VISIBLE_DEVICES?)"
            if built
            else "CPU-only torch build"
        )
        checks.append(Check("cuda", "info", "no", detail))
        cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
        checks.append(Check("cudnn", "info", f"{cudnn} (unused without a GPU)" if cudnn else "no"))
    mps = getattr(torch.backends, "mps", None)
    available = mps is not None and mps.is_available()
    checks.append(Check("mps", "ok" if available else "info", "yes" if available else "no"))
    return checks


# ----------------------------------------------------------------------------- members
def check_member(member: Member) -> Check:
    """The member is installed here, imports, and has the version its pyproject declares."""
    name = f"member {member.name}"
    try:
        version = importlib.metadata.version(member.name)
    except importlib.metadata.PackageNotFoundError:
        return Check(
            name,
            "fail",
            "not installed",
            "not in this environment: run `uv sync --all-packages` "
            "(or `uv run --all-packages rd-doctor`)",
        )
    for module in member.import_names:
        try:
            importlib.import_module(module)
        except Exception as err:  # any import-time error is the finding
            line = str(err).splitlines()[0] if str(err) else ""
            return Check(name, "fail", version, f"import {module}: {type(err).__name__}: {line}")
    declared = member.pyproject["project"]["version"]
    if version != declared:
        return Check(name, "warn", version, f"pyproject says {declared}: run `uv sync`")
    return Check(name, "ok", version)


# ----------------------------------------------------------------------------- assets
def _user_cache_dir() -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "rd-data"


def assets_dir(workspace: Path | None) -> tuple[Path, str]:
    """The assets root and where the rule took it from.

    The rule `rd_data.get_assets_dir` uses: `RD_ASSETS_DIR` if set, else `<workspace>/assets`,
    else a per-user cache folder.
    """
    env = os.environ.get("RD_ASSETS_DIR")
    if env:
        return Path(env).expanduser().absolute(), "RD_ASSETS_DIR"
    if workspace is not None:
        return workspace / "assets", "workspace default"
    return _user_cache_dir() / "assets", "per-user cache (no workspace)"


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_assets(workspace: Path | None) -> list[Check]:
    """The assets dir, that it is writable (creating nothing), and the free disk there."""
    path, source = assets_dir(workspace)
    checks = [Check("assets dir", "ok", str(path), source)]
    existing = _nearest_existing(path)
    if existing != path and not existing.is_dir():
        return [
            *checks,
            Check("assets writable", "fail", "no", f"{existing} is a file, not a folder"),
        ]
    try:  # what downloads do: create a file, then remove it; nothing is left behind
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".rd-doctor-"):
            pass
        where = "yes" if existing == path else f"yes (created on first use under {existing})"
        checks.append(Check("assets writable", "ok", where))
    except OSError as err:
        checks.append(Check("assets writable", "fail", "no", f"{existing}: {err.strerror}"))
    usage = shutil.disk_usage(existing)
    free_gb = usage.free / 1e9
    status = "ok" if free_gb >= MIN_FREE_GB else "warn"
    detail = "" if status == "ok" else f"less than {MIN_FREE_GB:g} GB: datasets may not fit"
    checks.append(
        Check("free disk", status, f"{free_gb:.1f} GB of {usage.total / 1e9:.0f} GB", detail)
    )
    return checks


# ----------------------------------------------------------------------------- hugging face
_TRUE = {"1", "true", "yes", "on"}


def hf_token_source() -> str | None:
    """Where a Hugging Face token would come from (never the token itself), or None."""
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        if os.environ.get(var, "").strip():
            return f"${var}"
    hf_home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface")).expanduser()
    token_file = Path(os.environ.get("HF_TOKEN_PATH", hf_home / "token")).expanduser()
    try:
        if token_file.is_file() and token_file.read_text().strip():
            return str(token_file)
    except OSError:
        pass
    return None


def check_hugging_face() -> list[Check]:
    """The Hugging Face login (where the token comes from, never the token) and offline mode."""
    source = hf_token_source()
    login = (
        Check("hf login", "ok", "yes", f"token from {source}")
        if source
        else Check("hf login", "info", "no", "needed only for gated/private repos: hf auth login")
    )
    offline = sorted(
        var
        for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")
        if os.environ.get(var, "").strip().lower() in _TRUE
    )
    mode = (
        Check(
            "hf offline", "info", "yes", f"{', '.join(offline)} set: downloads use the cache only"
        )
        if offline
        else Check("hf offline", "info", "no")
    )
    return [login, mode]


# ----------------------------------------------------------------------------- git
def check_git(folder: Path) -> Check:
    """Branch, commit and changed paths of the repository at `folder` (manifests record them)."""
    git = shutil.which("git")
    if not git:
        return Check("git", "warn", "not found", "run manifests will lack the commit")

    def run(*args: str) -> str | None:
        out = subprocess.run([git, *args], cwd=folder, capture_output=True, text=True, timeout=10)
        return out.stdout.strip() if out.returncode == 0 else None

    status = run("status", "--porcelain=v1", "--branch")
    if status is None:
        return Check("git", "warn", "not a repository", f"{folder}: manifests lack a commit")
    lines = status.splitlines()
    branch = lines[0].removeprefix("## ").split("...")[0] if lines else "?"
    sha = run("rev-parse", "--short", "HEAD") or "no commits"
    changed = len(lines) - 1
    state = f"{changed} changed/untracked paths" if changed else "clean"
    return Check("git", "ok", f"{branch} @ {sha}", state)
