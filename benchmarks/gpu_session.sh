#!/usr/bin/env bash
# Every GPU check of the project in one prepared run, for a CUDA machine without uv or internet
# (the members run from source through PYTHONPATH under that machine's python3 and torch):
#   1. rd-models' GPU test (fused SDPA kernels under bf16), 2. benchmarks/bench_gpu.py (base
#   config, bf16: tokens/s, MFU, largest batch), 3. the paper's default `train` on the GPU,
#   4. profiles (GPU time by kernel kind), 5. the rd-models and rd-training suites there.
# Usage: OUT=/some/dir bash benchmarks/gpu_session.sh   (results and logs land in $OUT)
#        STAGES="bench paper" BENCH_ARGS="--variants eager,compile" bash benchmarks/gpu_session.sh
# Packages the machine lacks (datasets, dill, multiprocess) travel as wheels in .whl/.
set -u
OUT=${OUT:-/tmp/gpu_session}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
SITE=/tmp/rd_site
mkdir -p "$SITE"
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target "$SITE" .whl/*.whl || echo "wheel install failed"
fi
# importlib.metadata (the members' __version__, run manifests) needs each member's metadata.
python3 - "$SITE" <<'EOF'
import pathlib, sys, tomllib
site = pathlib.Path(sys.argv[1])
for pyproject in pathlib.Path(".").glob("*/*/pyproject.toml"):
    project = tomllib.loads(pyproject.read_text())["project"]
    name, version = project["name"], project["version"]
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
EOF
PYTHONPATH="$SITE"
for src in packages/*/src papers/*/src projects/*/src; do PYTHONPATH="$PYTHONPATH:$PWD/$src"; done
export PYTHONPATH

echo "== machine"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"
python3 -c "import transformers; print('transformers', transformers.__version__)" 2>/dev/null \
    || echo "transformers: not installed (bench_gpu's marian variants are skipped)"

STAGES=${STAGES:-"test bench profile paper suites"}
BENCH_ARGS=${BENCH_ARGS:-"--budget-s 190"}
PROFILE_ARGS=${PROFILE_ARGS:-"--profile eager,eager-fused --min-tokens 65536"}
has() { [[ " $STAGES " == *" $1 "* ]]; }

if has test; then
    echo "== rd-models GPU test"
    timeout 45 python3 -m pytest -q -p no:cacheprovider packages/rd-models/tests/test_gpu.py -rA \
        2>&1 | tail -3
fi
if has bench; then
    echo "== bench_gpu.py (base, bf16) $BENCH_ARGS"
    # shellcheck disable=SC2086
    timeout "${BENCH_TIMEOUT:-270}" python3 benchmarks/bench_gpu.py --config base $BENCH_ARGS \
        --json "$OUT/bench_gpu.json" 2>&1 | tee "$OUT/bench_gpu.log" | grep -v '^{'
fi
if has profile; then
    echo "== profile $PROFILE_ARGS"
    # shellcheck disable=SC2086
    timeout "${PROFILE_TIMEOUT:-90}" python3 benchmarks/bench_gpu.py --config base $PROFILE_ARGS \
        --json "$OUT/profile_gpu.json" 2>&1 | tee "$OUT/profile_gpu.log" | grep -v '^{'
fi
if has paper; then
    echo "== paper-transformer default train on the GPU"
    name="gpu-$(date +%Y%m%d-%H%M%S)"  # a new run each time: train refuses to train over one
    timeout "${PAPER_TIMEOUT:-130}" python3 -m paper_transformer.train --run-name "$name" \
        >"$OUT/paper_train.log" 2>&1
    echo "exit $?"
    grep -v "step .*/.* | epoch" "$OUT/paper_train.log" | tail -12
    run=assets/outputs/transformer/$name
    cp "$run/metrics.jsonl" "$OUT/paper_metrics.jsonl" 2>/dev/null
    cp "$run/plots/loss.png" "$OUT/paper_loss.png" 2>/dev/null
fi
if has suites; then
    echo "== rd-models and rd-training suites on the GPU machine"
    timeout 70 python3 -m pytest -q -p no:cacheprovider -x \
        packages/rd-models/tests packages/rd-training/tests 2>&1 | tail -15
fi
