"""Where a training step's time goes: torch.profiler tables of the e2e contenders' steps.

    uv run --all-packages --group bench python benchmarks/profile_step.py [--steps 10]
        [--precision bf16] [--compile] [KEY=VALUE ...]

Builds the paper's data and model as bench_e2e.py does, takes the first `--steps` token-budget
batches, and profiles forward + loss + backward + Adam step of rd_models.Transformer (the paper's
loss), torch.nn.Transformer and (with transformers) MarianMTModel on exactly those batches,
printing each one's top operators by self CPU time and the Trainer-free step time.
`--compile` also times `torch.compile(rd_models.Transformer)` on the same batches after a
warm-up pass over all of them (steady state: compile time and recompiles for new shapes are
left out), against the eager model. `--precision bf16` runs forward and loss under CPU bf16
autocast (as the Trainer's `precision: bf16`).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common  # noqa: F401  (first: it sizes oneDNN's cache before torch loads)
import torch
from bench_common import load_rd_models_benchmark
from bench_e2e import bench_config, bench_data, build_model, make_loss_fn
from bench_peer import MarianTranslator, transformers_available
from paper_transformer.errors import UserError
from torch.profiler import profile


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*", help="paper config overrides")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rows", type=int, default=12)
    parser.add_argument(
        "--compile", action="store_true", help="also time torch.compile(model) at steady state"
    )
    parser.add_argument(
        "--precision",
        choices=["fp32", "bf16"],
        default="fp32",
        help="bf16: forward and loss under torch.autocast('cpu', torch.bfloat16)",
    )
    args = parser.parse_args(argv)
    if args.steps < 1 or args.rows < 1:
        parser.error("--steps and --rows must be >= 1")
    try:
        cfg = bench_config("number-words", args.overrides)
    except (ValueError, UserError) as e:
        parser.error(str(e))
    data, tokenizer = bench_data("number-words", cfg)
    batches = [b for _, b in zip(range(args.steps), data.train_loader, strict=False)]

    torch.manual_seed(cfg.training.seed)
    ours = build_model(cfg, tokenizer.vocab_size, tokenizer.pad_id)
    models = {"rd_models": ours}
    bt = load_rd_models_benchmark()
    models["torch.nn"] = bt.TorchTransformerMT(ours.config)
    bt.copy_weights(ours, models["torch.nn"])
    if transformers_available():
        models["marian"] = MarianTranslator(ours, tokenizer.bos_id, tokenizer.eos_id)
    loss_fn = make_loss_fn(tokenizer, cfg.optim.label_smoothing)

    def autocast() -> contextlib.AbstractContextManager[object]:
        if args.precision == "bf16":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def steps(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> float:
        start = time.perf_counter()
        for batch in batches:
            with autocast():
                loss, tokens = loss_fn(model, batch)
            (loss / tokens).backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        return (time.perf_counter() - start) / len(batches)

    for name, model in models.items():
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
        steps(model, optimizer)  # warm-up
        plain_s = statistics.median(steps(model, optimizer) for _ in range(3))
        with profile() as prof:
            steps(model, optimizer)
        print(
            f"\n== {name} ({args.precision}): {1000 * plain_s:.1f} ms/step without the profiler "
            "(median of 3 passes)"
        )
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.rows))

    if args.compile:
        optimizer = torch.optim.Adam(ours.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
        compiled = torch.compile(ours)
        start = time.perf_counter()
        steps(compiled, optimizer)  # compiles for every shape among the batches
        warmup = time.perf_counter() - start
        timings = {"eager": [], "compiled": []}
        for _ in range(3):  # alternate, as the benchmark sections do
            timings["eager"].append(steps(ours, optimizer))
            timings["compiled"].append(steps(compiled, optimizer))
        eager, comp = (1000 * statistics.median(timings[k]) for k in ("eager", "compiled"))
        shapes = len({(tuple(b["src"].shape), tuple(b["tgt"].shape)) for b in batches})
        print(f"\n== torch.compile(rd_models), {shapes} batch shapes, warm-up {warmup:.1f} s:")
        print(f"eager {eager:.1f} ms/step, compiled {comp:.1f} ms/step (eager/compiled "
              f"{eager / comp:.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
