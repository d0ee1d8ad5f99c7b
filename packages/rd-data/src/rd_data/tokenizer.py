"""A BPE tokenizer with one vocabulary shared by source and target, as in the Transformer paper.

A thin wrapper around `tokenizers.Tokenizer`: NFC normalisation, SentencePiece-style `▁` word
boundaries (so decoding restores the spacing exactly and tokens make readable plot labels), and
fixed special ids `<pad>=0 <s>=1 </s>=2 <unk>=3`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

try:
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
except ImportError as err:  # an optional extra: image papers do without it
    raise ImportError(
        "rd_data.BPETokenizer needs the tokenizers package: depend on 'rd-data[text]'"
    ) from err

__all__ = ["SPECIAL_TOKENS", "BPETokenizer"]

SPECIAL_TOKENS = ("<pad>", "<s>", "</s>", "<unk>")
"""Special tokens in id order: pad=0, bos=1, eos=2, unk=3."""


class BPETokenizer:
    """Byte-pair-encoding tokenizer with fixed special ids (`pad_id=0, bos_id=1, eos_id=2, unk_id=3`).

    Example:
        >>> tok = BPETokenizer.train(["a small example", "ein kleines Beispiel"], vocab_size=100)
        >>> ids = tok.encode("a small example")  # ends with eos_id
        >>> tok.decode(ids)
        'a small example'
    """

    pad_id: int = 0
    bos_id: int = 1
    eos_id: int = 2
    unk_id: int = 3

    def __init__(self, tokenizer: Tokenizer) -> None:
        """Wrap a `tokenizers.Tokenizer` whose first four ids are `<pad> <s> </s> <unk>`.

        Raises:
            ValueError: The special tokens are missing or have other ids.
        """
        for expected, token in enumerate(SPECIAL_TOKENS):
            if tokenizer.token_to_id(token) != expected:
                raise ValueError(f"tokenizer must map {token} to id {expected}")
        self.tokenizer = tokenizer

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int, min_frequency: int = 2) -> BPETokenizer:
        """Learn merges from `texts` (pass source and target texts together for a shared vocab).

        Args:
            texts: Training sentences; any iterable, read once (a generator is fine).
            vocab_size: Target vocabulary size including the four specials (the paper: 37000).
            min_frequency: Pairs seen fewer times are not merged.

        Returns:
            The trained tokenizer.
        """
        tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
        # NFC only composes accents; NFKC would rewrite what a sentence says ("…" to "...").
        tokenizer.normalizer = normalizers.NFC()
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
        tokenizer.decoder = decoders.Metaspace()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            special_tokens=list(SPECIAL_TOKENS),
            show_progress=False,
        )
        tokenizer.train_from_iterator(texts, trainer=trainer)
        return cls(tokenizer)

    def save(self, path: str | Path) -> Path:
        """Write the tokenizer as one JSON file (parent folders are created) and return its path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.tokenizer.save(str(path))
        return path

    @classmethod
    def load(cls, path: str | Path) -> BPETokenizer:
        """Read a tokenizer written by `save` (or any `tokenizers` JSON with these specials).

        Raises:
            FileNotFoundError: No file at `path`.
            ValueError: The specials are missing or have other ids.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no tokenizer file at {path}")
        return cls(Tokenizer.from_file(str(path)))

    @property
    def vocab_size(self) -> int:
        """Number of ids, specials included."""
        return self.tokenizer.get_vocab_size(with_added_tokens=True)

    def _wrap(self, ids: list[int], add_bos: bool, add_eos: bool) -> list[int]:
        return [self.bos_id] * add_bos + ids + [self.eos_id] * add_eos

    def encode(self, text: str, add_bos: bool = False, add_eos: bool = True) -> list[int]:
        """Return the ids of `text`, optionally framed by `<s>` and `</s>` (default: `</s>` only)."""
        ids = self.tokenizer.encode(text, add_special_tokens=False).ids
        return self._wrap(ids, add_bos, add_eos)

    def encode_batch(
        self, texts: Sequence[str], add_bos: bool = False, add_eos: bool = True
    ) -> list[list[int]]:
        """`encode` for many texts at once (parallel in Rust)."""
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [self._wrap(e.ids, add_bos, add_eos) for e in encodings]

    def _strip(self, ids: Sequence[int]) -> list[int]:
        framing = (self.pad_id, self.bos_id, self.eos_id)
        return [int(i) for i in ids if int(i) not in framing]

    def decode(self, ids: Sequence[int]) -> str:
        """Return the text of `ids`, skipping `<pad>`, `<s>` and `</s>` (`<unk>` stays visible)."""
        return self.tokenizer.decode(self._strip(ids), skip_special_tokens=False)

    def decode_batch(self, batch: Sequence[Sequence[int]]) -> list[str]:
        """`decode` for many sequences."""
        return self.tokenizer.decode_batch(
            [self._strip(ids) for ids in batch], skip_special_tokens=False
        )

    def id_to_token(self, token_id: int) -> str:
        """The token string of one id (e.g. `▁Haus`), for plot labels.

        Raises:
            IndexError: `token_id` is outside the vocabulary.
        """
        token = self.tokenizer.id_to_token(int(token_id))
        if token is None:
            raise IndexError(f"id {token_id} is outside the vocabulary of {self.vocab_size}")
        return token

    def token_to_id(self, token: str) -> int | None:
        """The id of a token string, or None if it is not in the vocabulary."""
        return self.tokenizer.token_to_id(token)

    def tokens(self, ids: Sequence[int]) -> list[str]:
        """Token strings of `ids`, specials included (labels for attention plots)."""
        return [self.id_to_token(i) for i in ids]

    def __len__(self) -> int:
        return self.vocab_size

    def __repr__(self) -> str:
        return f"BPETokenizer(vocab_size={self.vocab_size})"
