"""save_pretrained/from_pretrained round trips: config.json + model.safetensors, no pickles."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from rd_models import CifarResNet, CifarResNetConfig, ResNet, Transformer, resnet18


@pytest.mark.parametrize("share_embeddings", [True, False], ids=["shared", "separate"])
def test_transformer_round_trip_gives_identical_outputs(
    tmp_path: Path, make_config, make_batch, share_embeddings: bool
) -> None:
    torch.manual_seed(0)
    config = make_config(
        share_embeddings=share_embeddings, tgt_vocab_size=None if share_embeddings else 19
    )
    model = Transformer(config).eval()
    # Saved into the layout rd-data uses for local models: assets/models/<name>.
    folder = tmp_path / "assets" / "models" / "tiny-transformer"
    model.save_pretrained(folder)

    assert {"config.json", "model.safetensors"} <= {p.name for p in folder.iterdir()}
    assert not list(folder.glob("*.bin")) and not list(folder.glob("*.pt"))
    assert json.loads((folder / "config.json").read_text())["d_model"] == 16

    loaded = Transformer.from_pretrained(folder)
    assert loaded.config == config
    assert not loaded.training
    src, tgt = make_batch(3, 6), make_batch(3, 5, vocab=19)
    with torch.no_grad():
        assert torch.equal(loaded(src, tgt), model(src, tgt))
    if share_embeddings:  # the three-way tie survives loading
        assert loaded.src_embed.weight is loaded.tgt_embed.weight


def test_resnet_round_trip_keeps_batchnorm_statistics(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = resnet18(num_classes=10, cifar=True)
    model.train()
    with torch.no_grad():
        model(torch.randn(4, 3, 32, 32))  # updates running statistics
    model.eval()
    model.save_pretrained(tmp_path)
    loaded = ResNet.from_pretrained(tmp_path)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    assert loaded.config.cifar_stem and loaded.config.num_classes == 10


def test_cifar_resnet_round_trip_keeps_its_config_and_outputs(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = CifarResNet(CifarResNetConfig(depth=8, in_channels=1, num_classes=4))
    with torch.no_grad():
        model(torch.randn(4, 1, 8, 8))  # train mode: updates the running statistics
    model.eval()
    model.save_pretrained(tmp_path)
    loaded = CifarResNet.from_pretrained(tmp_path)
    assert loaded.config == model.config
    x = torch.randn(3, 1, 8, 8)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))


def test_loading_checks_that_weights_match(tmp_path: Path, make_config) -> None:
    Transformer(make_config()).save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["d_ff"] = 48  # the config no longer describes the weights
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(RuntimeError, match="size mismatch"):
        Transformer.from_pretrained(tmp_path)


def test_missing_weights_file_is_an_error(tmp_path: Path, make_config) -> None:
    Transformer(make_config()).save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"model\.safetensors"):
        Transformer.from_pretrained(tmp_path)


# Inductor's C++ code generation takes about a minute on a busy 2-core CPU (and needs setuptools,
# which torch only installs on Python >= 3.12), so by default the test compiles with AOTAutograd
# ("aot_eager": the real Dynamo capture and joint forward/backward graphs, no code generation).
# RD_MODELS_COMPILE_BACKEND=inductor runs it with the default backend.
COMPILE_BACKEND = os.environ.get("RD_MODELS_COMPILE_BACKEND", "aot_eager")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_compiled_model_trains_and_saves_without_orig_mod_prefix(
    tmp_path: Path, make_config, make_batch
) -> None:
    torch.manual_seed(0)
    config = make_config(num_encoder_layers=1, num_decoder_layers=1)
    model = Transformer(config)
    compiled = torch.compile(model, backend=COMPILE_BACKEND, fullgraph=True)
    src, tgt = make_batch(2, 5), make_batch(2, 4)
    logits = compiled(src, tgt)
    logits.float().pow(2).mean().backward()
    assert logits.shape == (2, 4, config.tgt_vocab_size)
    torch.testing.assert_close(logits, model(src, tgt))  # compiled == eager
    assert model.src_embed.weight.grad is not None
    assert all(k.startswith("_orig_mod.") for k in compiled.state_dict())  # what we must avoid

    compiled.save_pretrained(tmp_path)
    with safe_open(str(tmp_path / "model.safetensors"), framework="pt") as f:
        keys = list(f.keys())
    assert keys and not any("_orig_mod" in k for k in keys)
    loaded = Transformer.from_pretrained(tmp_path)
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(src, tgt), model(src, tgt))


def test_compile_prefixed_weights_still_load(tmp_path: Path, make_config) -> None:
    from safetensors.torch import save_file

    torch.manual_seed(0)
    model = Transformer(make_config())
    model.save_pretrained(tmp_path)
    state = {f"_orig_mod.{k}": v for k, v in model.state_dict().items() if k != "tgt_embed.weight"}
    state.pop("_orig_mod.src_embed.weight")
    state["_orig_mod.src_embed.weight"] = model.src_embed.weight.detach().clone()
    save_file(state, str(tmp_path / "model.safetensors"))
    loaded = Transformer.from_pretrained(tmp_path)
    assert torch.equal(loaded.tgt_embed.weight, model.src_embed.weight)
