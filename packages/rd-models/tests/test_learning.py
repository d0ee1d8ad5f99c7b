"""A tiny Transformer learns to reverse sequences, end to end, on the CPU in a few seconds."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from rd_models import Transformer, TransformerConfig, beam_search, greedy_search

PAD, BOS, EOS = 0, 1, 2
VOCAB = 13  # 3 specials + 10 symbols


def reverse_batch(batch: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Sources of 3..7 random symbols; targets are the reversed sources followed by EOS."""
    lengths = torch.randint(3, 8, (batch,), generator=gen)
    src = torch.full((batch, 7), PAD)
    tgt = torch.full((batch, 8), PAD)
    for i, n in enumerate(lengths.tolist()):
        symbols = torch.randint(3, VOCAB, (n,), generator=gen)
        src[i, :n] = symbols
        tgt[i, :n] = symbols.flip(0)
        tgt[i, n] = EOS
    return src, tgt


def test_tiny_transformer_learns_to_reverse() -> None:
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    config = TransformerConfig(
        src_vocab_size=VOCAB,
        d_model=32,
        n_heads=4,
        num_encoder_layers=2,
        num_decoder_layers=2,
        d_ff=64,
        dropout=0.0,
        max_len=16,
    )
    model = Transformer(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(300):
        src, tgt = reverse_batch(64, gen)
        tgt_in = torch.cat([torch.full((64, 1), BOS), tgt[:, :-1]], dim=1)
        logits = model(src, tgt_in)
        loss = F.cross_entropy(logits.flatten(0, 1), tgt.flatten(), ignore_index=PAD)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    src, tgt = reverse_batch(100, torch.Generator().manual_seed(123))  # unseen sequences
    expected = [row[row > EOS].tolist() for row in tgt]
    assert greedy_search(model, src, bos_id=BOS, eos_id=EOS) == expected
    assert beam_search(model, src, bos_id=BOS, eos_id=EOS, beam_size=4) == expected
