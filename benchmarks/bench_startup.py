"""Start-up: wall time of `train --help` and of importing each rd-* member, in fresh processes.

Each command runs `reps` times, alternating with the others; the median is reported, and for
imports also the median minus that of a bare `python -c pass` (the interpreter's own start) and
minus that of `import torch` (what a member adds on top of torch).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

MEMBERS = ("rd_models", "rd_training", "rd_data", "rd_viz")


def _wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def bench_startup(reps: int, torch_baseline: bool = True) -> dict[str, Any]:
    """Median wall seconds of `train --help`, `python -c pass` and `import <member>` each (and
    of `import torch` unless `torch_baseline` is False: the quick run saves its ~2 s)."""
    train = Path(sys.executable).parent / "train"
    commands = {"python -c pass": [sys.executable, "-c", "pass"]}
    if train.exists():
        commands["train --help"] = [str(train), "--help"]
    if torch_baseline:
        commands["import torch"] = [sys.executable, "-c", "import torch"]
    for member in MEMBERS:
        commands[f"import {member}"] = [sys.executable, "-c", f"import {member}"]
    times: dict[str, list[float]] = {name: [] for name in commands}
    names = list(commands)
    for rep in range(reps):
        for name in names if rep % 2 == 0 else names[::-1]:
            times[name].append(_wall(commands[name]))
    medians = {name: statistics.median(t) for name, t in times.items()}
    bare = medians["python -c pass"]
    return {
        "seconds": medians,
        "import_net_s": {m: medians[f"import {m}"] - bare for m in MEMBERS},
        "import_net_of_torch_s": {
            m: medians[f"import {m}"] - medians["import torch"] for m in MEMBERS
        }
        if torch_baseline
        else {},
        "train_help_found": train.exists(),
        "reps": reps,
    }
