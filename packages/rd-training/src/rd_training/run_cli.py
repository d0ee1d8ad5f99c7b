"""What every train command shares: `--help` with the config's keys, the run directory from
`--run-name`/`--out-dir`/`--resume`, and the checks before a run is continued.

A paper's `train.py` stays its own (its flags, its messages); these are the pieces two papers
would otherwise write twice. Standard library only here (torch loads with the Trainer).
"""

from __future__ import annotations

import argparse
import shlex
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from rd_training.config import config_to_dict
from rd_training.config_types import ConfigError

__all__ = [
    "add_run_arguments",
    "check_resumable",
    "config_help_action",
    "run_dir_args",
    "select_run_dir",
]


def config_help_action(make_config: Callable[[], Any], intro: str = "") -> type[argparse.Action]:
    """An argparse action for `-h/--help` that appends every config key to the help.

    The config (and whatever it imports) loads only when help is asked for. Use with
    `ArgumentParser(add_help=False, formatter_class=argparse.RawDescriptionHelpFormatter)`.

    Args:
        make_config: returns the config whose values are the defaults to show, e.g. `Config`.
        intro: text before the list of keys (how to override them).
    """

    class _ConfigHelp(argparse.Action):
        def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
            kwargs.update(nargs=0, help="show this help and every config key")
            super().__init__(option_strings, dest, **kwargs)

        def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
            from rd_training.config_docs import describe_config

            keys = describe_config(make_config())
            parser.epilog = f"{intro}\n\nconfig keys:\n{keys}" if intro else f"config keys:\n{keys}"
            parser.print_help()
            parser.exit()

    return _ConfigHelp


def add_run_arguments(
    parser: argparse.ArgumentParser,
    make_config: Callable[[], Any],
    intro: str,
    *,
    config_default: Path | None = None,
    config_help: str = "YAML config (default: the embedded run)",
    resume: bool = True,
) -> None:
    """The flags every train command shares: `-h/--help` listing every config key, `KEY=VALUE`
    overrides, `--config`, `--run-name`, `--out-dir`, `--resume auto|PATH` (unless `resume` is
    False) and `--print-config`. `parser` needs `add_help=False` (see `config_help_action`)."""
    parser.add_argument("-h", "--help", action=config_help_action(make_config, intro))
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides")
    parser.add_argument("--config", type=Path, default=config_default, help=config_help)
    parser.add_argument("--run-name", help="run directory name (default: date-time)")
    parser.add_argument("--out-dir", type=Path, help="run directory (default: under assets/)")
    if resume:
        parser.add_argument(
            "--resume",
            metavar="auto|PATH",
            help="auto: continue --run-name (or the newest run) from its last checkpoint",
        )
    parser.add_argument(
        "--print-config",
        action="store_true",
        help="print the resolved config as YAML (what the run saves as config.yaml) and exit",
    )


def select_run_dir(
    runs: Path, *, run_name: str | None, out_dir: Path | None, resume: str | None
) -> Path:
    """The run directory: `out_dir`, `runs/run_name`, the newest run (resume "auto") or a new
    date-time name under `runs`.

    Raises:
        ConfigError: `run_name` is not a plain folder name.
    """
    if out_dir is not None:
        return out_dir
    if run_name is not None:
        if run_name in ("", ".", "..") or Path(run_name).name != run_name or "\\" in run_name:
            raise ConfigError(
                f"--run-name {run_name!r} must be a plain folder name (no '/' or '..'); "
                "use --out-dir for a path"
            )
        return runs / run_name
    if resume == "auto":
        # The newest training, by its manifest (evaluate and rd-plot leave that alone).
        existing = [p for p in runs.glob("*") if (p / "manifest.json").is_file()]
        if existing:
            return max(existing, key=lambda p: (p / "manifest.json").stat().st_mtime)
    return runs / time.strftime("%Y%m%d-%H%M%S")


def run_dir_args(run_dir: Path, runs: Path) -> str:
    """The arguments that name `run_dir` again: `--run-name X` under `runs`, else `--out-dir`."""
    if run_dir.parent == runs:
        return f"--run-name {shlex.quote(run_dir.name)}"
    return f"--out-dir {shlex.quote(str(run_dir))}"


def check_resumable(saved: Any, config: Any, fixed: Iterable[str]) -> None:
    """Refuse to continue a run whose `fixed` sections changed (the checkpoint's weights and
    the data's order only make sense for them); other sections may change.

    Args:
        saved: the config the run was started with (its `config.yaml`).
        config: the config of the command that continues it.
        fixed: top-level section names, e.g. `("data", "model")`.

    Raises:
        ConfigError: naming the first changed key.
    """
    before, after = config_to_dict(saved), config_to_dict(config)
    for section in fixed:
        for key, value in before[section].items():
            if after[section].get(key) != value:
                raise ConfigError(
                    f"--resume: {section}.{key} is {value!r} in the run's config.yaml, not "
                    f"{after[section].get(key)!r}; a resumed run keeps its "
                    f"{' and '.join(fixed)} settings (start a new run to change them)"
                )
