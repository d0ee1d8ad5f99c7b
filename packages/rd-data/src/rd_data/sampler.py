"""A length-bucketed token-budget batch sampler, as fairseq's `--max-tokens`.

Examples are sorted by length so each batch holds sequences of nearly equal length, and batches
are filled up to a token budget that counts padding: `len(batch) * max(lengths[batch]) <=
max_tokens`. Each epoch shuffles the order of equal-length examples and the order of the
batches with `(seed, epoch)`, so runs are deterministic; `state_dict()` records the epoch and
how many batches were handed out, so a resumed run continues mid-epoch exactly. With DDP, every
rank gets the same number of batches (the list is padded by wrapping around) and a disjoint
share of them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["TokenBudgetBatchSampler"]


def _pack(sorted_lengths: np.ndarray, max_tokens: int, max_batch_size: int | None) -> np.ndarray:
    """Greedy sizes of consecutive batches over ascending lengths under the padded budget."""
    sizes = []
    n, i = len(sorted_lengths), 0
    while i < n:
        k = min(max_tokens // int(sorted_lengths[i]), n - i)
        if max_batch_size is not None:
            k = min(k, max_batch_size)
        while k > 1 and k * int(sorted_lengths[i + k - 1]) > max_tokens:
            k = min(k - 1, max_tokens // int(sorted_lengths[i + k - 1]))
        k = max(k, 1)
        sizes.append(k)
        i += k
    return np.asarray(sizes, dtype=np.int64)


class TokenBudgetBatchSampler:
    """Yield lists of dataset indices whose padded size stays within `max_tokens`.

    Use it as a DataLoader `batch_sampler`; it also works as a plain iterable of index lists.

    Args:
        lengths: Tokens per example, shape `[N]`, or `[N, k]` for several sequences per example
            (e.g. source and target): the budget uses the longest, batches are sorted by it and
            then by the last column (as fairseq sorts by target, then source length).
        max_tokens: Budget per batch, counting padding.
        shuffle: Shuffle equal-length examples and the batch order every epoch (False: batches
            in ascending length, for evaluation).
        seed: Seed of the shuffling; the order is a function of `(seed, epoch)` only.
        num_replicas: DDP world size.
        rank: This process's rank in `[0, num_replicas)`.
        max_batch_size: Optional cap on examples per batch.
        drop_long: Skip examples longer than `max_tokens` instead of raising.

    Raises:
        ValueError: Bad arguments, or an example longer than `max_tokens` (unless `drop_long`).

    Example:
        >>> sampler = TokenBudgetBatchSampler([3, 5, 4, 9, 2], max_tokens=10, seed=1)
        >>> all(len(b) * max([3, 5, 4, 9, 2][i] for i in b) <= 10 for b in sampler)
        True
    """

    def __init__(
        self,
        lengths: Sequence[int] | Sequence[Sequence[int]] | np.ndarray,
        max_tokens: int,
        *,
        shuffle: bool = True,
        seed: int = 0,
        num_replicas: int = 1,
        rank: int = 0,
        max_batch_size: int | None = None,
        drop_long: bool = False,
    ) -> None:
        table = np.asarray(lengths, dtype=np.int64)
        if table.ndim == 1:
            table = table[:, None]
        if table.ndim != 2 or len(table) == 0:
            raise ValueError("lengths must be a non-empty [N] or [N, k] array of token counts")
        if (table < 0).any():
            raise ValueError("lengths must not be negative")
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be positive, not {max_tokens}")
        if num_replicas < 1 or not 0 <= rank < num_replicas:
            raise ValueError(f"rank {rank} is not in [0, num_replicas={num_replicas})")
        if max_batch_size is not None and max_batch_size < 1:
            raise ValueError(f"max_batch_size must be positive, not {max_batch_size}")
        budget = np.maximum(table.max(axis=1), 1)  # an empty sequence still takes a row
        too_long = budget > max_tokens
        if too_long.any() and not drop_long:
            raise ValueError(
                f"{int(too_long.sum())} examples are longer than max_tokens={max_tokens} "
                f"(longest: {int(budget.max())}); raise max_tokens, filter them, or pass drop_long=True"
            )
        self.max_tokens = int(max_tokens)
        self.shuffle = shuffle
        self.seed = int(seed)
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.max_batch_size = max_batch_size
        self.num_examples = len(table)
        self.num_dropped = int(too_long.sum())
        self.epoch = 0
        self._position = 0

        kept = np.flatnonzero(~too_long)
        keys = [table[kept, j] for j in range(table.shape[1])] if table.shape[1] > 1 else []
        base = np.lexsort([kept, *keys, budget[kept]])  # budget first, then last column, ...
        self._sorted_indices = kept[base]
        sorted_keys = np.stack([budget[kept][base], *(k[base] for k in keys)], axis=1)
        change = np.any(sorted_keys[1:] != sorted_keys[:-1], axis=1)
        # Examples with identical lengths form one group; shuffling happens inside groups only,
        # so the batch boundaries (and the number of batches) are the same every epoch.
        self._groups = np.concatenate([[0], np.cumsum(change)]).astype(np.float64)
        sizes = _pack(sorted_keys[:, 0], self.max_tokens, max_batch_size)
        self._bounds = np.concatenate([[0], np.cumsum(sizes)])

    @property
    def num_batches(self) -> int:
        """Batches per epoch over all ranks (before padding to a multiple of num_replicas)."""
        return len(self._bounds) - 1

    def __len__(self) -> int:
        """Batches this rank yields per epoch."""
        return math.ceil(self.num_batches / self.num_replicas)

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose order the next iteration yields (resets the position if new)."""
        if int(epoch) != self.epoch:
            self.epoch = int(epoch)
            self._position = 0

    def batches(self, epoch: int | None = None) -> list[np.ndarray]:
        """All batches of this rank for `epoch` (default: the current one), as index arrays."""
        epoch = self.epoch if epoch is None else epoch
        order = self._sorted_indices
        batch_order = np.arange(self.num_batches)
        if self.shuffle:
            rng = np.random.default_rng([self.seed, epoch])
            noise = rng.random(len(order))
            order = order[np.argsort(self._groups + noise, kind="stable")]
            batch_order = rng.permutation(self.num_batches)
        total = len(self) * self.num_replicas
        batch_order = np.resize(batch_order, total)  # wrap around so every rank gets len(self)
        mine = batch_order[self.rank :: self.num_replicas]
        return [order[self._bounds[b] : self._bounds[b + 1]] for b in mine]

    def __iter__(self) -> Iterator[list[int]]:
        batches = self.batches()
        for i in range(self._position, len(batches)):
            self._position = i + 1
            yield batches[i].tolist()
        self.epoch += 1
        self._position = 0

    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable position: the epoch and the batches already handed out in it.

        A DataLoader with `num_workers > 0` reads a few batches ahead of the training loop; for
        an exact resume, load with `num_workers=0` or record the position yourself.
        """
        return {
            "epoch": self.epoch,
            "position": self._position,
            "seed": self.seed,
            "max_tokens": self.max_tokens,
            "num_replicas": self.num_replicas,
            "num_examples": self.num_examples,
            "num_batches": self.num_batches,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from `state_dict()`: the next iteration yields the remaining batches.

        Raises:
            ValueError: The state was made with other lengths, budget, seed or world size.
        """
        for key in ("seed", "max_tokens", "num_replicas", "num_examples", "num_batches"):
            if key in state and int(state[key]) != getattr(self, key):
                raise ValueError(
                    f"sampler state has {key}={state[key]} but this sampler has "
                    f"{getattr(self, key)}; an exact resume needs the same data and settings"
                )
        self.epoch = int(state["epoch"])
        self._position = int(state["position"])

    def __repr__(self) -> str:
        return (
            f"TokenBudgetBatchSampler(examples={self.num_examples}, max_tokens={self.max_tokens}, "
            f"batches={len(self)}, epoch={self.epoch}, rank={self.rank}/{self.num_replicas})"
        )
