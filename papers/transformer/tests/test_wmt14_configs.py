"""The paper's WMT14 configs parse, build the paper's models, and run through the same code path.

The real runs need a GPU and the dataset (`rd-download-dataset --name wmt/wmt14 --config de-en`);
here a tiny stand-in with WMT14's schema is saved where that download would go.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from datasets import Dataset, DatasetDict
from paper_transformer.config import Config
from paper_transformer.pipeline import build_model
from paper_transformer_testing import read_jsonl, run_cli

from rd_data import dataset_dir
from rd_models import transformer_parameter_count
from rd_training import load_config

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


@pytest.mark.parametrize(
    ("name", "d_model", "heads", "d_ff", "dropout", "millions"),
    [("base", 512, 8, 2048, 0.1, 63.1), ("big", 1024, 16, 4096, 0.3, 214.2)],
)
def test_config_builds_the_papers_model(
    name: str, d_model: int, heads: int, d_ff: int, dropout: float, millions: float
) -> None:
    cfg = load_config(CONFIGS / f"wmt14_en_de_{name}.yaml", Config)
    assert (cfg.data.dataset, cfg.data.config) == ("wmt/wmt14", "de-en")
    assert (cfg.data.source_lang, cfg.data.target_lang) == ("en", "de")
    m = cfg.model
    assert (m.d_model, m.n_heads, m.d_ff, m.dropout) == (d_model, heads, d_ff, dropout)
    assert (m.num_encoder_layers, m.num_decoder_layers, m.norm_first) == (6, 6, False)
    assert (cfg.optim.beta2, cfg.optim.eps, cfg.optim.warmup_steps) == (0.98, 1e-9, 4000)
    assert cfg.optim.label_smoothing == 0.1
    assert cfg.training.precision == "bf16" and cfg.optim.fused_loss
    assert (cfg.eval.beam_size, cfg.eval.length_penalty, cfg.eval.max_len_b) == (4, 0.6, 50)
    # ~25k target tokens per optimizer step, as the paper's batches.
    assert 24_000 <= cfg.data.max_tokens * cfg.training.grad_accum_steps <= 26_000

    model = build_model(cfg, vocab_size=37_000)
    params = sum(p.numel() for p in model.parameters())
    assert params == transformer_parameter_count(model.config)
    assert params / 1e6 == pytest.approx(millions, abs=0.1)


def test_base_config_trains_on_a_local_stand_in(tmp_path: Path, monkeypatch) -> None:
    assets = tmp_path / "assets"
    monkeypatch.setenv("RD_ASSETS_DIR", str(assets))
    pairs = [{"en": f"the house number {i}", "de": f"das Haus Nummer {i}"} for i in range(200)]
    splits = {"train": pairs[:160], "validation": pairs[160:180], "test": pairs[180:]}
    DatasetDict({k: Dataset.from_dict({"translation": v}) for k, v in splits.items()}).save_to_disk(
        str(dataset_dir("wmt/wmt14", "de-en"))
    )
    shrink = [
        "data.vocab_size=80",
        "data.max_tokens=512",
        "training.grad_accum_steps=2",
        "model.d_model=16",
        "model.n_heads=2",
        "model.num_encoder_layers=1",
        "model.num_decoder_layers=1",
        "model.d_ff=32",
        "training.max_steps=6",
        "training.precision=fp32",
        "training.save_every=2",
        "training.eval_every=3",
        "training.log_every=2",
        "eval.average_last=3",
        "eval.attention_examples=1",
    ]
    config = CONFIGS / "wmt14_en_de_base.yaml"
    run_cli("train", "--config", str(config), "--run-name", "wmt", *shrink, assets=assets)

    run_dir = assets / "outputs" / "transformer" / "wmt"
    (test,) = [r for r in read_jsonl(run_dir / "metrics.jsonl") if r["split"] == "test"]
    assert test["averaged_checkpoints"] == 3
    assert len((run_dir / "hypotheses.test.txt").read_text().splitlines()) == 20
