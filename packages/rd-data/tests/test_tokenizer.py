"""BPETokenizer: shared vocabulary, fixed specials, exact round trips, save/load."""

from __future__ import annotations

import pytest

from rd_data import SPECIAL_TOKENS, BPETokenizer

TEXTS = [
    "the house is small",
    "das Haus ist klein",
    "the small house is old",
    "das kleine Haus ist alt",
    "über die Brücke",
] * 20


@pytest.fixture(scope="module")
def tokenizer() -> BPETokenizer:
    return BPETokenizer.train(TEXTS, vocab_size=120, min_frequency=2)


def test_specials_have_fixed_ids(tokenizer: BPETokenizer) -> None:
    assert (tokenizer.pad_id, tokenizer.bos_id, tokenizer.eos_id, tokenizer.unk_id) == (0, 1, 2, 3)
    assert tokenizer.tokens([0, 1, 2, 3]) == list(SPECIAL_TOKENS)
    assert SPECIAL_TOKENS == ("<pad>", "<s>", "</s>", "<unk>")


def test_encode_adds_eos_by_default_and_bos_on_request(tokenizer: BPETokenizer) -> None:
    ids = tokenizer.encode("das Haus ist klein")
    assert ids[-1] == tokenizer.eos_id and ids[0] != tokenizer.bos_id
    framed = tokenizer.encode("das Haus ist klein", add_bos=True, add_eos=False)
    assert framed == [tokenizer.bos_id, *ids[:-1]]


def test_decode_round_trips_and_skips_specials(tokenizer: BPETokenizer) -> None:
    for text in ["the house is small", "über die Brücke", "das kleine Haus ist alt"]:
        ids = tokenizer.encode(text, add_bos=True)
        assert tokenizer.decode([*ids, tokenizer.pad_id, tokenizer.pad_id]) == text
    batch = tokenizer.encode_batch(["the house", "das Haus"])
    assert tokenizer.decode_batch(batch) == ["the house", "das Haus"]


def test_one_vocabulary_serves_both_languages(tokenizer: BPETokenizer) -> None:
    assert tokenizer.vocab_size <= 120
    for text in ["the house", "das Haus"]:
        assert tokenizer.unk_id not in tokenizer.encode(text)


def test_tokens_are_readable_labels(tokenizer: BPETokenizer) -> None:
    labels = tokenizer.tokens(tokenizer.encode("das Haus", add_bos=True))
    assert labels[0] == "<s>" and labels[-1] == "</s>"
    assert "".join(labels[1:-1]).replace("▁", " ").strip() == "das Haus"
    with pytest.raises(IndexError):
        tokenizer.id_to_token(10_000)


def test_save_and_load_give_the_same_ids(tokenizer: BPETokenizer, tmp_path) -> None:
    path = tokenizer.save(tmp_path / "sub" / "tokenizer.json")
    loaded = BPETokenizer.load(path)

    assert loaded.vocab_size == tokenizer.vocab_size
    assert loaded.encode("the small house") == tokenizer.encode("the small house")
    with pytest.raises(FileNotFoundError):
        BPETokenizer.load(tmp_path / "missing.json")


# Real sentences a tokenizer could change: long ones, Unicode beyond Latin-1, punctuation,
# the format strings of software messages.
REAL = [
    "Er sagte: „Es ist 5 Uhr – Zeit für Tee.“ Dann ging er (ohne Schirm!) hinaus…",
    "He said: \"It's 5 o'clock — time for tea.\" Then he left (no umbrella!)…",
    "Klicken Sie auf {name}, um %s zu öffnen; 100 % sicher? Fehler %d von %(total)s.",
    "Click {name} to open %s; 100% sure? Error %d of %(total)s.",
    "Zoë's café: crème brûlée for €3.50, 2² = 4, ½ price, “quotes”, «guillemets», ™.",
    "Ελληνικά, русский, 日本語 and emoji 🙂 in one line\twith a tab and trailing space ",
    " ".join(["a very long sentence with many words"] * 40),
]


def test_real_text_survives_tokenise_then_decode_unchanged() -> None:
    tokenizer = BPETokenizer.train(REAL * 3 + TEXTS, vocab_size=300, min_frequency=2)

    for text in REAL:
        ids = tokenizer.encode(text)
        assert tokenizer.unk_id not in ids, text
        assert tokenizer.decode(ids) == text
    assert tokenizer.decode_batch([tokenizer.encode(t) for t in REAL]) == REAL
