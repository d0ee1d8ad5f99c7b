"""The files `tools/new_paper.py` writes, as text with `{{placeholders}}`.

Each generated file depends on the rd-* pieces the member uses (`--uses`); `render_files`
picks the variant for each. Every variant is kept ruff-clean (tests/test_new_paper.py checks).
"""

from __future__ import annotations

PYPROJECT = """\
[project]
name = "{{dist}}"
version = "0.1.0"
description = "{{title}}: a {{kind}} built on the rd-* libraries."
readme = "README.md"
requires-python = ">=3.10"
license = "MIT"
dependencies = [
{{dependencies}}]

[project.scripts]
{{name}}-train = "{{pkg}}.train:main"
{{name}}-evaluate = "{{pkg}}.evaluate:main"

[build-system]
requires = ["uv_build>=0.9,<0.14"]
build-backend = "uv_build"
"""

INIT = '''\
"""{{title}}, built on {{uses_text}}."""

from importlib.metadata import version as _version

__version__: str = _version("{{dist}}")

__all__ = ["__version__"]
'''

CONFIG_YAML = """\
# The default run: reverse sequences of random symbols (generated in memory, no download).
# Override any value on the command line: {{name}}-train train.max_steps=500 model.d_model=64
task:
  seq_len: 6          # every sequence has this many symbols
  num_symbols: 8
  train_size: 2048
  test_size: 256
  batch_size: 64
model:
  d_model: 32
  num_layers: 1
train:
  max_steps: 400
  lr: 3.0e-3
  log_every: 50
  seed: 0
  device: cpu
"""

CONFIG_PY_HEAD = '''\
"""Typed configuration of a {{dist}} run; `config.yaml` next to this file is the default."""

from __future__ import annotations

{{config_imports}}from dataclasses import dataclass, field
from pathlib import Path
{{config_typing}}
DEFAULT_CONFIG = Path(__file__).with_name("config.yaml")
"""The default run: a tiny synthetic task, a few seconds on a CPU."""


@dataclass
class TaskConfig:
    seq_len: int = 6
    """Symbols per sequence."""
    num_symbols: int = 8
    """Distinct symbols."""
    train_size: int = 2048
    """Training sequences."""
    test_size: int = 256
    """Test sequences (drawn with another seed)."""
    batch_size: int = 64
    """Sequences per optimizer step."""


@dataclass
class ModelConfig:
    d_model: int = 32
    """Width of the model."""
    num_layers: int = 1
    """Layers (encoder and decoder each, for the Transformer)."""


@dataclass
class TrainConfig:
    max_steps: int = 400
    """Optimizer steps."""
    lr: float = 3e-3
    """Learning rate of AdamW."""
    log_every: int = 50
    """Print progress every N steps (metrics.jsonl gets every step)."""
    seed: int = 0
    """Seed of the weights and of the data."""
    device: str = "cpu"
    """cpu, cuda, mps or auto."""


@dataclass
class Config:
    task: TaskConfig = field(default_factory=TaskConfig)
    """The synthetic task."""
    model: ModelConfig = field(default_factory=ModelConfig)
    """The model's shape."""
    train: TrainConfig = field(default_factory=TrainConfig)
    """The training loop."""
'''

# Without rd-training: a small loader with the same behaviour as rd_training.load_config.
CONFIG_PY_LOADER = '''

class ConfigError(ValueError):
    """A bad config file or override; the message names the dotted key."""


def load_config(path: str | Path, overrides: Sequence[str] = ()) -> Config:
    """Read a YAML file into `Config`, then apply `key.sub=value` overrides (values as YAML)."""
    data = yaml.safe_load(Path(path).read_text()) or {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"override {item!r} is not key=value")
        *parents, leaf = key.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(value)
    return _build(Config, data, "")


def _build(cls: Any, data: dict[str, Any], prefix: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values = {}
    for key, value in data.items():
        if key not in fields:
            raise ConfigError(f"{prefix}{key}: unknown key")
        default = getattr(cls(), key)
        if dataclasses.is_dataclass(default):
            values[key] = _build(type(default), value, f"{prefix}{key}.")
        elif isinstance(value, bool) or not isinstance(value, (type(default), int)):
            raise ConfigError(f"{prefix}{key}: expected {type(default).__name__}, got {value!r}")
        else:
            values[key] = type(default)(value)
    return cls(**values)


def save_config(cfg: Config, path: str | Path) -> None:
    """Write the resolved config as YAML."""
    Path(path).write_text(yaml.safe_dump(dataclasses.asdict(cfg), sort_keys=False))
'''

TASK_PY = '''\
"""The synthetic task: reverse a sequence of random symbols. Replace it with the paper's data.

With rd-data, `uv run rd-download-dataset ...` and `uv run rd-link {{member_path}} ...` put a real
dataset at `{{member_path}}/data`; read it with `rd_data.load_local_dataset`.
"""

from __future__ import annotations

import random

import torch
{{task_imports}}
PAD, BOS, EOS = 0, 1, 2
FIRST_SYMBOL = 3


def vocab_size(num_symbols: int) -> int:
    """Token ids: 0 pad, 1 bos, 2 eos, then the symbols."""
    return FIRST_SYMBOL + num_symbols


def make_examples(n: int, seq_len: int, num_symbols: int, seed: int) -> list[dict[str, list[int]]]:
    """`n` examples `{"src": symbols, "tgt": reversed symbols + [EOS]}`."""
    rng = random.Random(seed)
    examples = []
    for _ in range(n):
        src = [rng.randrange(FIRST_SYMBOL, vocab_size(num_symbols)) for _ in range(seq_len)]
        examples.append({"src": src, "tgt": [*reversed(src), EOS]})
    return examples


def make_batches(
    examples: list[dict[str, list[int]]], batch_size: int
) -> list[dict[str, torch.Tensor]]:
    """Batches of LongTensors `{"src": [B, S], "tgt": [B, S + 1]}`."""
    return [
        {{collate}}
        for i in range(0, len(examples), batch_size)
    ]


def shift_right(tgt: torch.Tensor) -> torch.Tensor:
    """Decoder input for teacher forcing: BOS, then the target without its last token."""
    return torch.cat([torch.full_like(tgt[:, :1], BOS), tgt[:, :-1]], dim=1)
'''

COLLATE_DATA = "collate_padded(examples[i : i + batch_size], pad_id=PAD)"
COLLATE_PLAIN = """{
            key: torch.tensor([e[key] for e in examples[i : i + batch_size]])
            for key in ("src", "tgt")
        }"""

MODEL_PY_RD = '''\
"""The model: an rd_models.Transformer, with greedy decoding for evaluation."""

from __future__ import annotations

from pathlib import Path

import torch

from {{pkg}}.config import Config
from {{pkg}}.task import BOS, EOS, PAD, vocab_size
from rd_models import Transformer, TransformerConfig, greedy_search


def build_model(cfg: Config) -> Transformer:
    """A small encoder-decoder Transformer for the task."""
    m = cfg.model
    return Transformer(
        TransformerConfig(
            src_vocab_size=vocab_size(cfg.task.num_symbols),
            d_model=m.d_model,
            n_heads=2,
            num_encoder_layers=m.num_layers,
            num_decoder_layers=m.num_layers,
            d_ff=4 * m.d_model,
            dropout=0.0,
            max_len=cfg.task.seq_len + 2,
            pad_id=PAD,
        )
    )


def predict(model: Transformer, src: torch.Tensor) -> list[list[int]]:
    """Greedy decoding: one list of token ids per sequence, without BOS/EOS."""
    return greedy_search(model, src, bos_id=BOS, eos_id=EOS, max_len_a=1.0, max_len_b=1)


def save_model(model: Transformer, path: Path) -> None:
    """Weights (safetensors) and config.json, loadable with `load_model`."""
    model.save_pretrained(path)


def load_model(path: Path, cfg: Config) -> Transformer:
    """The model `save_model` wrote (the config is read from `path`)."""
    return Transformer.from_pretrained(path)
'''

MODEL_PY_PLAIN = '''\
"""The model: a placeholder MLP to replace with the paper's architecture."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from {{pkg}}.config import Config
from {{pkg}}.task import EOS, vocab_size


class TinySeq2Seq(nn.Module):
    """Embeds the source, mixes all positions with an MLP and predicts every target token at once.

    It works because the task has a fixed length; `tgt_in` is accepted (and ignored) so that the
    training code is the same as for an encoder-decoder.
    """

    def __init__(self, vocab: int, seq_len: int, d_model: int, num_layers: int) -> None:
        super().__init__()
        self.vocab, self.out_len = vocab, seq_len + 1
        hidden = 4 * d_model
        layers: list[nn.Module] = [nn.Flatten(), nn.Linear(seq_len * d_model, hidden), nn.ReLU()]
        for _ in range(num_layers - 1):
            layers += [nn.Linear(hidden, hidden), nn.ReLU()]
        self.embed = nn.Embedding(vocab, d_model)
        self.mlp = nn.Sequential(*layers, nn.Linear(hidden, self.out_len * vocab))

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor | None = None) -> torch.Tensor:
        return self.mlp(self.embed(src)).view(src.shape[0], self.out_len, self.vocab)


def build_model(cfg: Config) -> TinySeq2Seq:
    t, m = cfg.task, cfg.model
    return TinySeq2Seq(vocab_size(t.num_symbols), t.seq_len, m.d_model, m.num_layers)


def predict(model: TinySeq2Seq, src: torch.Tensor) -> list[list[int]]:
    """The most likely token at each position, cut at the first EOS."""
    with torch.no_grad():
        rows = model(src).argmax(-1).tolist()
    return [row[: row.index(EOS)] if EOS in row else row for row in rows]


def save_model(model: TinySeq2Seq, path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path / "model.pt")


def load_model(path: Path, cfg: Config) -> TinySeq2Seq:
    model = build_model(cfg)
    model.load_state_dict(torch.load(path / "model.pt", weights_only=True))
    return model
'''

TRAIN_PY = '''\
"""Train {{title}} on the synthetic task, then measure exact-match accuracy on a test set.

    uv run --package {{dist}} {{name}}-train
    uv run --package {{dist}} {{name}}-train train.max_steps=1000 model.d_model=64
    uv run --package {{dist}} {{name}}-train --config my.yaml --run-name first

The run directory `assets/outputs/{{name}}/<run-name>/` receives config.yaml (resolved),
metrics.jsonl, model/{{run_files}}.
"""

from __future__ import annotations

import argparse
{{train_stdlib}}import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
{{train_torch}}
{{config_imports_line}}
from {{pkg}}.evaluate import exact_match
from {{pkg}}.model import build_model, save_model
from {{pkg}}.task import PAD, make_batches, make_examples, shift_right
{{train_rd_imports}}
NAME = "{{name}}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"{NAME}-train",
        description="Train {{title}}. Without arguments: a tiny synthetic task, seconds on a CPU.",
    )
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="e.g. train.lr=1e-3")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="YAML config")
    parser.add_argument("--run-name", help="run directory name (default: date-time)")
    parser.add_argument("--out-dir", type=Path, help="run directory (default: under assets/)")
    return parser.parse_args(argv)


def loss_fn(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, Any]:
    """Cross-entropy summed over target tokens, and the number of those tokens."""
    logits = model(batch["src"], shift_right(batch["tgt"]))
{{loss_body}}{{train_loop}}

def check_config(cfg: Config) -> None:
    """Refuse settings that cannot train, before anything is written."""
    t, m, tr = cfg.task, cfg.model, cfg.train
    counts = {
        "task.seq_len": t.seq_len,
        "task.num_symbols": t.num_symbols,
        "task.train_size": t.train_size,
        "task.test_size": t.test_size,
        "task.batch_size": t.batch_size,
        "model.d_model": m.d_model,
        "model.num_layers": m.num_layers,
        "train.max_steps": tr.max_steps,
        "train.log_every": tr.log_every,
    }
    for key, value in counts.items():
        if value < 1:
            raise ConfigError(f"{key} must be at least 1, got {value}")
    if not tr.lr > 0:
        raise ConfigError(f"train.lr must be > 0, got {tr.lr}")
    available = {
        "auto": True,
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": torch.backends.mps.is_available(),
    }
    kind = tr.device.split(":")[0]
    if kind not in available:
        raise ConfigError(f"train.device: unknown device {tr.device!r} (cpu, cuda, mps or auto)")
    if not available[kind]:
        raise ConfigError(f"train.device: {tr.device!r} is not available on this machine")


def run(args: argparse.Namespace) -> dict[str, Any]:
    if not args.config.is_file():
        raise ConfigError(f"config file not found: {args.config}")
    cfg = {{load_call}}
    check_config(cfg)
    t = cfg.task
    examples = make_examples(t.train_size, t.seq_len, t.num_symbols, seed=cfg.train.seed)
    torch.manual_seed(cfg.train.seed)
    try:
        model = build_model(cfg)  # the model's own checks, also before anything is written
    except ValueError as err:
        raise ConfigError(str(err)) from None
    {{outputs_line}}
    run_dir = args.out_dir or outputs / NAME / (args.run_name or time.strftime("%Y%m%d-%H%M%S"))
    if run_dir.is_dir() and any(run_dir.iterdir()):
        raise ConfigError(f"{run_dir} already holds a run: choose another --run-name")
    run_dir.mkdir(parents=True, exist_ok=True)
    save_config(cfg, run_dir / "config.yaml")

    steps = train_model(cfg, model, make_batches(examples, t.batch_size), run_dir)
    save_model(model, run_dir / "model")
    accuracy = exact_match(model, cfg)
    {{log_test}}
{{plot}}    return {"run_dir": run_dir, "steps": steps, "exact_match": accuracy}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        result = run(args)
    except ConfigError as err:
        print(f"{NAME}-train: error: {err}", file=sys.stderr)
        return 2
    print(
        f"trained {result['steps']} steps; test exact match {100 * result['exact_match']:.1f}%\\n"
        f"run directory: {result['run_dir']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''

LOSS_RD = """\
    return label_smoothed_cross_entropy(logits, batch["tgt"], 0.0, ignore_index=PAD)
"""

LOSS_PLAIN = """\
    loss = F.cross_entropy(
        logits.flatten(0, 1), batch["tgt"].flatten(), ignore_index=PAD, reduction="sum"
    )
    return loss, (batch["tgt"] != PAD).sum()
"""

LOOP_RD = '''

def train_model(
    cfg: Config, model: torch.nn.Module, batches: list[dict[str, torch.Tensor]], run_dir: Path
) -> int:
    """rd-training's Trainer: metrics.jsonl, manifest.json and checkpoints/ in `run_dir`."""
    t = cfg.train
    trainer = Trainer(
        model,
        TrainerConfig(
            max_steps=t.max_steps,
            log_every=t.log_every,
            save_every=None,
            keep_last=1,
            seed=t.seed,
            device=t.device,
            progress_bar=False,
            tensorboard=False,
        ),
        train_data=batches,
        loss_fn=loss_fn,
        optimizer=build_optimizer(model, "adamw", lr=t.lr),
        out_dir=run_dir,
    )
    return int(trainer.fit()["step"])
'''

LOOP_PLAIN = '''

def log_metrics(run_dir: Path, step: int, split: str, **metrics: float) -> None:
    """Append one record to metrics.jsonl (the format rd-training writes and rd-viz reads)."""
    record = {"step": step, "split": split, "time": time.time(), **metrics}
    with (run_dir / "metrics.jsonl").open("a") as f:
        f.write(json.dumps(record) + "\\n")


def pick_device(name: str) -> torch.device:
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("mps" if torch.backends.mps.is_available() else "cpu")


def train_model(
    cfg: Config, model: torch.nn.Module, batches: list[dict[str, torch.Tensor]], run_dir: Path
) -> int:
    """A plain loop; rd-training adds checkpoints, resuming, mixed precision and evaluation."""
    t = cfg.train
    device = pick_device(t.device)
    model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=t.lr)
    step = 0
    for batch in itertools.cycle(batches):
        if step == t.max_steps:
            break
        loss_sum, tokens = loss_fn(model, {k: v.to(device) for k, v in batch.items()})
        loss = loss_sum / tokens
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step += 1
        log_metrics(run_dir, step, "train", loss=loss.item(), lr=t.lr)
        if step % t.log_every == 0:
            print(f"step {step}: loss {loss.item():.4f}", flush=True)
    return step
'''

PLOT = """\
    plot_training_curves(run_dir, metrics=("loss",), out=run_dir / "plots" / "loss.png")
"""

EVALUATE_PY = '''\
"""Evaluate a finished run: exact-match accuracy of its model on freshly drawn test sequences.

    uv run --package {{dist}} {{name}}-evaluate assets/outputs/{{name}}/<run-name>

Prints one line; a folder that is not a finished run is an error (exit code 2).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import torch

from {{pkg}}.config import {{eval_config_names}}
from {{pkg}}.model import load_model, predict
from {{pkg}}.task import make_batches, make_examples
{{eval_rd_imports}}
PROG = "{{name}}-evaluate"


def exact_match(model: torch.nn.Module, cfg: Config) -> float:
    """Share of test sequences the model reverses exactly (drawn with seed `train.seed + 1`)."""
    t = cfg.task
    examples = make_examples(t.test_size, t.seq_len, t.num_symbols, seed=cfg.train.seed + 1)
    device = next(model.parameters()).device
    model.eval()
    correct = 0
    for batch in make_batches(examples, t.batch_size):
        hypotheses = predict(model, batch["src"].to(device))  # type: ignore[arg-type]
        references = batch["tgt"][:, :-1].tolist()  # without EOS
        correct += sum(h == r for h, r in zip(hypotheses, references, strict=True))
    return correct / len(examples)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\\n")[0])
    parser.add_argument("run_dir", type=Path, help="a run directory written by the train command")
    args = parser.parse_args(argv)
    config_file, model_dir = args.run_dir / "config.yaml", args.run_dir / "model"
    if not config_file.is_file() or not model_dir.is_dir():
        print(
            f"{PROG}: error: {args.run_dir} is not a finished run (no config.yaml or model/)",
            file=sys.stderr,
        )
        return 2
    cfg = {{eval_load_call}}
    model = load_model(model_dir, cfg)
    accuracy = exact_match(model, cfg)
    print(f"exact match {100 * accuracy:.1f}% on {cfg.task.test_size} test sequences")
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''

TEST_PY = '''\
"""Smoke tests: the default pipeline trains, saves and evaluates in a few seconds."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import {{pkg}}
import pytest
from {{pkg}}.evaluate import main as evaluate
from {{pkg}}.train import main as train


def test_version_matches_metadata() -> None:
    assert {{pkg}}.__version__ == version("{{dist}}")


def test_train_then_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    assert train(["--out-dir", str(run), "train.max_steps=30", "task.train_size=256"]) == 0
    assert len((run / "metrics.jsonl").read_text().splitlines()) >= 30
    assert (run / "config.yaml").is_file()
{{test_plot}}    assert evaluate([str(run)]) == 0
    assert "exact match" in capsys.readouterr().out


def test_bad_override_is_one_line_and_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert train(["--out-dir", str(tmp_path / "run"), "train.no_such_key=1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\\n") == 1 and "no_such_key" in err
    assert not (tmp_path / "run").exists()


def test_evaluate_refuses_a_folder_that_is_no_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert evaluate([str(tmp_path)]) == 2
    assert "not a finished run" in capsys.readouterr().err
'''

README_MD = """\
# {{dist}}

{{title}}. Scaffolded with `tools/new_paper.py`; it uses {{uses_text}}.

## Run

```bash
uv run --package {{dist}} {{name}}-train                        # tiny synthetic task, seconds on a CPU
uv run --package {{dist}} {{name}}-train train.max_steps=1000   # dotted overrides of config.yaml
uv run --package {{dist}} {{name}}-evaluate assets/outputs/{{name}}/<run-name>
{{plot_cmd}}uv run --package {{dist}} pytest {{member_path}}/tests
```

The default config is `src/{{pkg}}/config.yaml`. A run writes `assets/outputs/{{name}}/<run-name>/`:
`config.yaml`, `metrics.jsonl`, `model/`{{run_files}}.

## Data

The scaffold trains on sequences it generates. For a real dataset, download it once into
`assets/` and link it here as `{{member_path}}/data` (git-ignored):

```bash
uv run rd-download-dataset --name <org/dataset>
uv run rd-link {{member_path}} <org/dataset>       # {{member_path}}/data -> assets/datasets/...
```

{{data_note}}

## Next steps

- Replace `task.py` (data), `model.py` (architecture) and the config with the paper's.
- Keep the smoke test fast; add tests that read like the paper's claims.
- When a second member needs code from here, move it into an rd-* package.
"""

CHANGELOG_MD = """\
# Changelog

## 0.1.0

- Scaffolded with `tools/new_paper.py` (uses {{uses_text}}).
"""
