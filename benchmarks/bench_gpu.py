"""GPU training throughput and MFU of the paper's base Transformer (issue 9, GPU part).

    python benchmarks/bench_gpu.py --json out.json            # on a CUDA machine
    python benchmarks/bench_gpu.py --config tiny --device cpu  # the script itself, on a CPU

Trains `rd_models.Transformer` (base: d 512, 6+6 layers, 8 heads, d_ff 2048, shared 37k
vocabulary, dropout 0.1) with rd-training's fused Adam and label-smoothed cross-entropy under
bf16 autocast, on random sentence pairs of a fixed length (`--length`, 32 by default: WMT
sentences average ~30 tokens; no padding, so every token is real). Variants:

- `eager`: `model(src, tgt_in)` then `label_smoothed_cross_entropy` (what `Trainer` does with
  `precision="bf16"`).
- `eager-fused`: `model(..., features_only=True)` then `linear_cross_entropy` (the output
  projection and the loss chunk by chunk: no `[N, V]` logits; each chunk's softmax, loss and
  gradient in one compiled function, its default on CUDA); `eager-chunked`: the same with
  eager chunks (`compile_chunks=False`).
- `compile`, `compile-fused`: the same with `torch.compile(model)` (what `compile=True` does).
- `compile-all`: one `torch.compile` over model and unfused loss (inductor fuses the softmax).
- `marian`, `marian-compile`: the peer, Hugging Face `MarianMTModel` of the same shape with our
  weights (`bench_peer.MarianTranslator`, needs `transformers`), logits + the same loss, eager
  and under `torch.compile`: same FLOPs, so its tokens/s compare directly.

`--sdpa` pins the attention backend (`flash`, `efficient`, `cudnn`, `math`) for every variant;
by default PyTorch picks one per call.

The eager variants double the token batch from `--min-tokens` until it no longer fits (or
`--max-tokens`): the largest batch that fits and the fastest are reported. The compiled
variants (and `marian-compile`) run at the batch where `eager-fused` was fastest; `marian`
doubles its batch as the eager variants do. MFU counts the issue's model FLOPs
per sentence pair, 6·(P_enc·S + P_dec·T + d·V·T) + 12·d·(L_enc·S² + L_dec·T² + L_dec·S·T), against
the dense bf16 peak of an H100/H200 SXM (989 TFLOP/s), and also against a measured bf16 matmul.
Then the real `rd_training.Trainer` runs the best eager variant to show its per-step cost.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_peer, also when imported

import torch
import torch.nn.functional as F
from bench_peer import transformers_available
from torch import Tensor

from rd_models import Transformer, TransformerConfig
from rd_training import (
    Trainer,
    TrainerConfig,
    build_optimizer,
    label_smoothed_cross_entropy,
    linear_cross_entropy,
)

PEAK_BF16 = 989e12
"""Dense bf16 tensor-core peak of an H100 SXM (the H200 has the same), FLOP/s."""
VARIANTS = (
    "eager", "eager-chunked", "eager-fused", "compile-fused", "compile", "compile-all",
    "marian", "marian-compile",
)  # fmt: skip
SDPA_BACKENDS = ("flash", "efficient", "cudnn", "math")
PAD, EPSILON = 0, 0.1


def make_config(name: str) -> TransformerConfig:
    if name == "base":
        return TransformerConfig.base(37000, max_len=256)
    if name == "big":
        return TransformerConfig.big(37000, max_len=256)
    return TransformerConfig(  # tiny: checks the script on a CPU in seconds
        src_vocab_size=500, d_model=64, n_heads=4, num_encoder_layers=2,
        num_decoder_layers=2, d_ff=128, dropout=0.1, max_len=256,
    )  # fmt: skip


def flops_per_step(model: Transformer, batch: int, src_len: int, tgt_len: int) -> float:
    """The issue's training FLOPs of one step: forward + backward, matmuls only."""
    c = model.config
    p_enc = sum(p.numel() for p in model.encoder_layers.parameters())
    p_dec = sum(p.numel() for p in model.decoder_layers.parameters())
    d, vocab = c.d_model, model.output_weight.shape[0]
    dense = 6 * (p_enc * src_len + p_dec * tgt_len + d * vocab * tgt_len)
    attn = (
        12
        * d
        * (
            c.num_encoder_layers * src_len**2
            + c.num_decoder_layers * tgt_len**2
            + c.num_decoder_layers * src_len * tgt_len
        )
    )
    return float(batch * (dense + attn))


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_tflops(device: torch.device, n: int = 8192, reps: int = 20) -> float:
    """A large bf16 matrix product on random data: the achievable ceiling."""
    a = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    sync(device)
    start = time.perf_counter()
    for _ in range(reps):
        a @ b
    sync(device)
    return 2 * n**3 * reps / (time.perf_counter() - start) / 1e12


def make_batches(
    n: int, batch: int, length: int, vocab: int, device: torch.device
) -> list[tuple[Tensor, Tensor, Tensor]]:
    """`n` random (src, tgt_in, tgt_out) batches of real tokens (ids 4.. vocab-1, no padding)."""
    gen = torch.Generator().manual_seed(0)
    out = []
    for _ in range(n):
        src = torch.randint(4, vocab, (batch, length), generator=gen)
        tgt = torch.randint(4, vocab, (batch, length + 1), generator=gen)
        out.append(tuple(t.to(device) for t in (src, tgt[:, :-1], tgt[:, 1:])))
    return out


def variant_loss(
    net: Any, model: Transformer, variant: str, src: Tensor, tgt_in: Tensor, tgt_out: Tensor
) -> tuple[Tensor, Tensor]:
    """`variant`'s summed loss and token count: `net` (the model, maybe wrapped) gives logits for
    `label_smoothed_cross_entropy`, or features for `linear_cross_entropy` (`*-fused`: compiled
    chunks on CUDA; `*-chunked`: eager chunks)."""
    if variant.endswith(("fused", "chunked")):
        h = net(src, tgt_in, features_only=True)
        compile_chunks = not variant.endswith("chunked")
        return linear_cross_entropy(
            h, model.output_weight, tgt_out, EPSILON, PAD, compile_chunks=compile_chunks
        )
    return label_smoothed_cross_entropy(net(src, tgt_in), tgt_out, EPSILON, PAD)


def is_compiled(variant: str) -> bool:
    """Variants that run at the compiled batch size (not doubled until they no longer fit)."""
    return variant.startswith("compile") or variant == "marian-compile"


def make_step(
    model: Transformer, variant: str, device: torch.device, sdpa: str | None = None
) -> Callable[..., Tensor]:
    """One training step (forward, backward, fused Adam) of `variant`; returns the mean loss.
    `marian*` variants train a MarianMTModel copy of `model` instead."""
    net: Any = model
    if variant.startswith("marian"):
        from bench_peer import MarianTranslator  # benchmarks/ (the script's folder)

        net = MarianTranslator(model, bos_id=1, eos_id=2).to(device).train()
    optimizer = build_optimizer(net, "adam", lr=1e-4)
    if variant in ("compile", "compile-fused", "marian-compile"):
        net = torch.compile(net)

    def loss_of(src: Tensor, tgt_in: Tensor, tgt_out: Tensor) -> Tensor:
        loss, n = variant_loss(net, model, variant, src, tgt_in, tgt_out)
        return loss / n

    compute = torch.compile(loss_of) if variant == "compile-all" else loss_of
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32

    def step(src: Tensor, tgt_in: Tensor, tgt_out: Tensor) -> Tensor:
        with attention_backend(sdpa):
            with torch.autocast(device.type, dtype=dtype, enabled=device.type == "cuda"):
                loss = compute(src, tgt_in, tgt_out)
            loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.detach()

    return step


def attention_backend(name: str | None) -> contextlib.AbstractContextManager[Any]:
    """`sdpa_kernel` pinned to one backend, or nothing (PyTorch chooses per call)."""
    if name is None:
        return contextlib.nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    backend = {"flash": SDPBackend.FLASH_ATTENTION, "efficient": SDPBackend.EFFICIENT_ATTENTION,
               "cudnn": SDPBackend.CUDNN_ATTENTION, "math": SDPBackend.MATH}[name]  # fmt: skip
    return sdpa_kernel(backend)


def measure(
    step: Callable[..., Tensor],
    batches: list[tuple[Tensor, Tensor, Tensor]],
    device: torch.device,
    warmup: int,
    steps: int,
    rounds: int,
) -> dict[str, float]:
    """Median seconds per step over `rounds` rounds of `steps` steps, after `warmup` steps."""
    start = time.perf_counter()
    for i in range(warmup):
        loss = step(*batches[i % len(batches)])
    sync(device)
    warmup_s = time.perf_counter() - start
    per_step = []
    for _ in range(rounds):
        start = time.perf_counter()
        for i in range(steps):
            loss = step(*batches[i % len(batches)])
        sync(device)
        per_step.append((time.perf_counter() - start) / steps)
    return {
        "step_s": statistics.median(per_step),
        "best_step_s": min(per_step),
        "warmup_s": warmup_s,
        "loss": float(loss),
    }


def setup(
    variant: str, args: argparse.Namespace, device: torch.device, tokens: int
) -> tuple[Transformer, int, list[tuple[Tensor, Tensor, Tensor]], Callable[..., Tensor]]:
    """A fresh model on `device`, its sentences per batch, 3 batches and `variant`'s step."""
    torch.manual_seed(0)
    model = Transformer(make_config(args.config)).to(device).train()
    batch = max(1, tokens // args.length)
    batches = make_batches(3, batch, args.length, model.output_weight.shape[0], device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    return model, batch, batches, make_step(model, variant, device, args.sdpa)


def run_variant(
    variant: str, args: argparse.Namespace, device: torch.device, tokens: int
) -> dict[str, Any]:
    model, batch, batches, step = setup(variant, args, device, tokens)
    result = measure(step, batches, device, args.warmup, args.steps, args.rounds)
    flops = flops_per_step(model, batch, args.length, args.length)
    result.update(
        variant=variant,
        sentences=batch,
        tokens=batch * args.length,
        tokens_per_s=batch * args.length / result["step_s"],
        tflops=flops / result["step_s"] / 1e12,
        mfu=flops / result["step_s"] / PEAK_BF16,
        peak_mem_gib=(
            torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else 0.0
        ),
    )
    return result


KERNEL_KINDS = (
    ("matmul", ("gemm", "cutlass", "xmma", "nvjet", "cublas", "matmul")),
    ("attention", ("flash", "fmha", "attention", "efficient")),
    (
        "softmax / cross-entropy",
        ("softmax", "logsumexp", "nll", "cross_entropy", "gather", "scatter"),
    ),
    ("dropout", ("dropout", "bernoulli", "philox")),
    ("layer norm", ("layer_norm", "layernorm")),
    ("optimizer", ("adam", "multi_tensor")),
    ("reduction", ("reduce",)),
    ("inductor fused (triton)", ("triton",)),
)


def kernel_kind(name: str) -> str:
    lower = name.lower()
    for kind, needles in KERNEL_KINDS:
        if any(n in lower for n in needles):
            return kind
    return "other element-wise / copies"


def profile_variant(
    variant: str, args: argparse.Namespace, device: torch.device, tokens: int, steps: int = 3
) -> dict[str, Any]:
    """GPU time per kernel kind over `steps` profiled steps (after the usual warm-up)."""
    from torch.profiler import ProfilerActivity, profile

    _, batch, batches, step = setup(variant, args, device, tokens)
    measure(step, batches, device, args.warmup, 1, 1)
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for i in range(steps):
            step(*batches[i % len(batches)])
        sync(device)
    kernels = [
        (e.key, e.self_device_time_total / steps / 1e3)
        for e in prof.key_averages()
        if e.device_type == torch.autograd.DeviceType.CUDA and e.self_device_time_total > 0
    ]
    total = sum(ms for _, ms in kernels)
    kinds: dict[str, float] = {}
    for name, ms in kernels:
        kinds[kernel_kind(name)] = kinds.get(kernel_kind(name), 0.0) + ms
    top = sorted(kernels, key=lambda k: -k[1])[:15]
    print(f"\nprofile {variant}, {batch * args.length} tokens: {total:.1f} ms GPU time per step")
    for kind, ms in sorted(kinds.items(), key=lambda k: -k[1]):
        print(f"  {kind:28} {ms:8.2f} ms  {ms / total:6.1%}")
    for name, ms in top:
        print(f"    {ms:8.2f} ms  {ms / total:6.1%}  {name[:100]}")
    return {"variant": variant, "tokens": batch * args.length, "gpu_ms_per_step": total,
            "kinds_ms": kinds, "top_kernels_ms": top}  # fmt: skip


def release(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def fits(variant: str, args: argparse.Namespace, device: torch.device, tokens: int) -> Any:
    """`run_variant`, or None when the batch does not fit in memory."""
    try:
        return run_variant(variant, args, device, tokens)
    except torch.OutOfMemoryError:
        return None
    finally:
        release(device)


def check_fused_loss(device: torch.device, vocab: int, d: int) -> dict[str, float]:
    """`linear_cross_entropy` vs the unfused loss under autocast: relative errors vs fp64."""
    gen = torch.Generator().manual_seed(1)
    h = torch.randn(4096, d, generator=gen).to(device).requires_grad_()
    w = (torch.randn(vocab, d, generator=gen) * d**-0.5).to(device).requires_grad_()
    t = torch.randint(1, vocab, (4096,), generator=gen).to(device)
    t[:100] = PAD
    ref, _ = label_smoothed_cross_entropy(F.linear(h.double(), w.double()), t, EPSILON, PAD)
    ref_grads = torch.autograd.grad(ref, (h, w))
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    out = {}
    for name in ("unfused", "fused"):
        with torch.autocast(device.type, dtype=dtype, enabled=device.type == "cuda"):
            if name == "fused":
                loss, _ = linear_cross_entropy(h, w, t, EPSILON, PAD, chunk_size=1000)
            else:
                loss, _ = label_smoothed_cross_entropy(F.linear(h, w), t, EPSILON, PAD)
        grads = torch.autograd.grad(loss, (h, w))
        out[f"{name}_loss_rel_err"] = abs(loss.item() - ref.item()) / abs(ref.item())
        for g, r, p in zip(grads, ref_grads, ("h", "w"), strict=True):
            out[f"{name}_grad_{p}_rel_err"] = float((g.double() - r).norm() / r.norm())
    return out


def trainer_throughput(
    variant: str, args: argparse.Namespace, device: torch.device, tokens: int
) -> dict[str, float]:
    """The real Trainer (bf16, metrics.jsonl every step) on the same batches: tokens/s."""
    torch.manual_seed(0)
    model = Transformer(make_config(args.config))
    batch = max(1, tokens // args.length)
    data = [
        {"src": s.cpu(), "tgt_in": ti.cpu(), "tgt": to.cpu()}
        for s, ti, to in make_batches(3, batch, args.length, model.output_weight.shape[0], device)
    ]

    def loss_fn(m: torch.nn.Module, b: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        return variant_loss(m, model, variant, b["src"], b["tgt_in"], b["tgt"])

    steps = args.warmup + args.steps * args.rounds
    with tempfile.TemporaryDirectory() as out_dir:
        config = TrainerConfig(
            max_steps=steps, precision="bf16" if device.type == "cuda" else "fp32",
            device=str(device), save_every=None, progress_bar=False, tensorboard=False,
            compile=variant.startswith("compile"),
        )  # fmt: skip
        trainer = Trainer(
            model, config, train_data=data * steps, loss_fn=loss_fn,
            optimizer=build_optimizer(model, "adam", lr=1e-4), out_dir=out_dir,
        )  # fmt: skip
        trainer.fit()
        with open(f"{out_dir}/metrics.jsonl", encoding="utf-8") as f:
            records = [json.loads(line) for line in f]
    train = [r for r in records if r["split"] == "train"]
    timed = train[args.warmup :]
    seconds = timed[-1]["time"] - train[args.warmup - 1]["time"]
    return {
        "tokens": batch * args.length,
        "tokens_per_s": batch * args.length * len(timed) / seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--config",
        choices=["base", "big", "tiny"],
        default="base",
        help="model (tiny: a CPU check)",
    )
    parser.add_argument(
        "--device", help="default: cuda (without a GPU, --device cpu runs the script on a CPU)"
    )
    parser.add_argument("--length", type=int, default=32, help="source = target tokens/sentence")
    parser.add_argument("--min-tokens", type=int, default=16384, help="first token batch")
    parser.add_argument("--max-tokens", type=int, default=1 << 20, help="largest batch tried")
    parser.add_argument(
        "--compile-tokens", type=int, default=None,
        help="token batch of the compiled variants (default: where eager-fused was fastest)",
    )  # fmt: skip
    parser.add_argument(
        "--profile", default=None, metavar="VARIANTS",
        help="only profile these variants (comma-separated) at --min-tokens: GPU time by kernel",
    )  # fmt: skip
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--steps", type=int, default=5, help="steps per timed round")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (median)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated")
    parser.add_argument("--budget-s", type=float, default=1e9, help="skip variants after this")
    parser.add_argument(
        "--sdpa", choices=SDPA_BACKENDS, default=None,
        help="pin the attention backend for every variant (default: PyTorch picks per call)",
    )  # fmt: skip
    parser.add_argument(
        "--no-trainer", action="store_true", help="skip the real Trainer vs bare loop check"
    )
    parser.add_argument("--json", default=None, help="write every result here")
    args = parser.parse_args(argv)
    # Device minutes are scarce: a typo fails here, not after the first variant.
    for flag in ("length", "steps", "rounds"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag} must be >= 1, got {getattr(args, flag)}")
    if args.warmup < 1:  # the Trainer check times from the end of the last warm-up step
        parser.error(f"--warmup must be >= 1, got {args.warmup}")
    if not args.budget_s > 0:
        parser.error(f"--budget-s must be > 0, got {args.budget_s}")
    if args.min_tokens < args.length:
        parser.error(f"--min-tokens ({args.min_tokens}) must hold one {args.length}-token pair")
    if args.max_tokens < args.min_tokens:
        parser.error(f"--max-tokens ({args.max_tokens}) is below --min-tokens ({args.min_tokens})")
    if args.compile_tokens is not None and args.compile_tokens < args.length:
        parser.error(f"--compile-tokens ({args.compile_tokens}) must hold one pair")
    variants = args.variants.split(",")
    if unknown := set(variants) - set(VARIANTS):
        parser.error(f"unknown variants {sorted(unknown)}; choose from {', '.join(VARIANTS)}")
    profiled = args.profile.split(",") if args.profile else []
    if unknown := set(profiled) - set(VARIANTS):
        parser.error(f"--profile: unknown variants {sorted(unknown)}")
    if args.device is None:
        if not torch.cuda.is_available():
            parser.error("no CUDA GPU here; --device cpu --config tiny checks the script on a CPU")
        args.device = "cuda"
    try:
        device = torch.device(args.device)
    except RuntimeError as e:
        parser.error(f"--device: {e}")
    if any(v.startswith("marian") for v in variants + profiled) and not transformers_available():
        print("marian variants skipped: transformers is not installed", flush=True)
        variants = [v for v in variants if not v.startswith("marian")]
        if profiled and not (profiled := [v for v in profiled if not v.startswith("marian")]):
            return 0  # only Marian was to be profiled
        args.profile = ",".join(profiled) or None
    started = time.perf_counter()
    report: dict[str, Any] = {"device": str(device), "torch": torch.__version__, "args": vars(args)}
    if device.type == "cuda":
        report["gpu"] = torch.cuda.get_device_name(device)
        report["matmul_tflops"] = matmul_tflops(device)
        release(device)
    cfg = make_config(args.config)
    report["fused_loss_check"] = check_fused_loss(
        device, 37000 if args.config != "tiny" else 500, cfg.d_model
    )
    print(json.dumps(report), flush=True)
    if args.profile:
        report["profiles"] = []
        for variant in args.profile.split(","):
            report["profiles"].append(profile_variant(variant, args, device, args.min_tokens))
            release(device)
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(report, f, indent=2)
        return 0

    results: list[dict[str, Any]] = []
    best_tokens: dict[str, int] = {}
    for variant in (v for v in variants if not is_compiled(v)):
        tokens, best = args.min_tokens, None
        while tokens <= args.max_tokens:
            result = fits(variant, args, device, tokens)
            if result is None:
                print(f"{variant}: {tokens} tokens do not fit", flush=True)
                break
            results.append(result)
            print(json.dumps(result), flush=True)
            if best is None or result["tokens_per_s"] > best["tokens_per_s"]:
                best = result
            tokens *= 2
        if best is not None:
            best_tokens[variant] = best["tokens"]
    compile_tokens = args.compile_tokens or best_tokens.get(
        "eager-fused", best_tokens.get("eager", args.min_tokens)
    )
    for variant in (v for v in variants if is_compiled(v)):
        if time.perf_counter() - started > args.budget_s:
            print(f"{variant}: skipped (time budget)", flush=True)
            continue
        result = fits(variant, args, device, compile_tokens)
        if result is None:
            print(f"{variant}: {compile_tokens} tokens do not fit", flush=True)
            continue
        results.append(result)
        print(json.dumps(result), flush=True)

    ours = [r for r in results if not r["variant"].startswith("marian")]
    best = max(ours, key=lambda r: r["tokens_per_s"]) if ours else None
    if best is not None and not args.no_trainer and time.perf_counter() - started < args.budget_s:
        eager_best = max(
            (r for r in results if r["variant"] == best["variant"].replace("compile", "eager")),
            key=lambda r: r["tokens_per_s"], default=best,
        )  # fmt: skip
        trainer = trainer_throughput(eager_best["variant"], args, device, eager_best["tokens"])
        trainer["variant"] = eager_best["variant"]
        trainer["bare_loop_tokens_per_s"] = eager_best["tokens_per_s"]
        report["trainer"] = trainer
        print(json.dumps({"trainer": trainer}), flush=True)
        release(device)
    report["results"] = results
    peers = [r for r in results if r["variant"].startswith("marian")]
    if best is not None and peers:
        peer = max(peers, key=lambda r: r["tokens_per_s"])
        report["vs_marian"] = {
            "ours": best["variant"], "marian": peer["variant"],
            "ratio": best["tokens_per_s"] / peer["tokens_per_s"],
        }  # fmt: skip
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)

    print(f"\n{args.config} on {report.get('gpu', device)}, torch {torch.__version__}, "
          f"length {args.length}; bf16 matmul {report.get('matmul_tflops', 0):.0f} TFLOP/s")  # fmt: skip
    print(f"{'variant':14} {'tokens':>8} {'tok/s':>10} {'TFLOP/s':>8} {'MFU':>6} {'GiB':>6}")
    for r in results:
        print(
            f"{r['variant']:14} {r['tokens']:>8} {r['tokens_per_s']:>10,.0f} "
            f"{r['tflops']:>8.1f} {r['mfu']:>6.1%} {r['peak_mem_gib']:>6.1f}"
        )
    if "trainer" in report:
        t = report["trainer"]
        print(f"Trainer ({t['variant']}, {t['tokens']} tokens): {t['tokens_per_s']:,.0f} tok/s, "
              f"{t['tokens_per_s'] / t['bare_loop_tokens_per_s']:.3f} of the bare loop")  # fmt: skip
    if "vs_marian" in report:
        v = report["vs_marian"]
        print(f"fastest of ours ({v['ours']}) / fastest Marian ({v['marian']}): {v['ratio']:.2f}")
    print("fused loss check:", json.dumps(report["fused_loss_check"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
