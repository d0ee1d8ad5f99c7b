"""On a CUDA GPU under bf16 autocast, attention runs on the fused flash/efficient SDPA kernels
and the residual stream stays fp32."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from rd_models import Transformer

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@cuda
def test_bf16_forward_backward_uses_fused_attention_kernels(make_config, make_batch) -> None:
    torch.manual_seed(0)
    model = Transformer(make_config(d_model=64, n_heads=2, dropout=0.1, attention_dropout=0.1))
    model = model.cuda()
    norm_inputs: list[torch.dtype] = []
    for module in model.modules():
        if isinstance(module, torch.nn.LayerNorm):
            module.register_forward_pre_hook(lambda _, args: norm_inputs.append(args[0].dtype))
    src, tgt = make_batch(4, 9).cuda(), make_batch(4, 7).cuda()
    # With the math backend excluded, SDPA raises instead of silently falling back to it.
    with (
        sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION]),
        torch.autocast("cuda", dtype=torch.bfloat16),
    ):
        logits = model(src, tgt)
        loss = F.cross_entropy(logits.flatten(0, 1).float(), tgt.flatten(), ignore_index=0)
    loss.backward()
    assert logits.dtype == torch.bfloat16
    assert torch.isfinite(loss)
    assert all(p.grad is not None for p in model.parameters())
    # The bf16 residual stream is a CPU policy: CUDA autocast keeps LayerNorm inputs fp32.
    assert norm_inputs and set(norm_inputs) == {torch.float32}
