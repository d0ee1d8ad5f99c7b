"""`optim.fused_loss` trains on the same loss and gradients as the plain logits path."""

from __future__ import annotations

from types import SimpleNamespace

import torch
from paper_transformer.config import Config
from paper_transformer.pipeline import build_model, make_loss_fn


def test_fused_loss_equals_the_logits_loss_with_the_same_gradients() -> None:
    torch.manual_seed(0)
    model = build_model(Config(), vocab_size=60, pad_id=0)
    tokenizer = SimpleNamespace(bos_id=1, pad_id=0)
    batch = {"src": torch.randint(3, 60, (4, 7)), "tgt": torch.randint(3, 60, (4, 6))}
    batch["tgt"][1, 4:] = 0  # padding is not counted
    results = []
    for fused in (False, True):
        model.zero_grad()
        loss, tokens = make_loss_fn(tokenizer, 0.1, fused=fused)(model, batch)
        loss.backward()
        grads = [p.grad.clone() for p in model.parameters()]
        results.append((loss.detach(), int(tokens), grads))
    (plain, plain_tokens, plain_grads), (fused, fused_tokens, fused_grads) = results
    assert plain_tokens == fused_tokens == 22
    torch.testing.assert_close(fused, plain)
    for got, want in zip(fused_grads, plain_grads, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-6)
