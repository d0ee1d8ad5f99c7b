"""`TrainerConfig(compile=True)` trains through torch.compile (inductor) like the eager model."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from rd_training_testkit import train_losses
from safetensors.torch import load_file

pytestmark = pytest.mark.slow  # inductor compiles C++ kernels: ~20-30 s on 2 CPU cores


def test_compiled_training_matches_eager_and_saves_plain_keys(tmp_path: Path) -> None:
    eager = train_losses(str(tmp_path / "eager"), compile=False)
    # Compile in a child process: inductor leaves worker threads behind, and a later fork (the
    # DDP test) of a process with live threads can deadlock.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        compiled = pool.submit(train_losses, str(tmp_path / "compiled"), True).result()
    assert compiled == pytest.approx(eager, rel=1e-4)
    weights = load_file(
        tmp_path / "compiled" / "checkpoints" / "step_00000003" / "model.safetensors"
    )
    assert weights and not any("_orig_mod" in key for key in weights)
