"""Training on a corpus of one's own: imported with rd-import-corpus or a saved folder, with the
validation and test splits cut from train when the corpus has none."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from datasets import Dataset, DatasetDict
from paper_transformer.config import DataConfig
from paper_transformer.data import hold_out, load_splits
from paper_transformer.number_words import generate_splits
from paper_transformer.train import main
from paper_transformer_testing import TINY

import rd_data

QUICK = ["training.max_steps=6", "training.eval_every=3", "training.save_every=3"]
TINY_MODEL = [f"model.{k}={v}" for k, v in TINY["model"].items()]
TINY_DATA = ["data.vocab_size=120", "eval.beam_size=2", "eval.attention_examples=1"]


def _pairs(n: int, seed: int = 0) -> list[dict[str, str]]:
    """English/German number words (real words, generated here), every tenth pair repeated."""
    rows = generate_splits({"train": n}, seed=seed)["train"]
    pairs = [{"en": r["en"], "de": r["de"]} for r in rows]
    return pairs + pairs[::10]


def _write_line_files(folder: Path, pairs: list[dict[str, str]]) -> None:
    folder.mkdir(parents=True)
    for lang in ("en", "de"):
        (folder / f"train.{lang}").write_text("".join(p[lang] + "\n" for p in pairs))


def test_the_small_real_config_trains_on_an_imported_corpus_without_splits(
    tmp_path: Path, assets: Path, capsys: pytest.CaptureFixture
) -> None:
    _write_line_files(tmp_path / "corpus", _pairs(400))
    rd_data.import_corpus("my-en-de", [tmp_path / "corpus"], "en", "de")
    config = Path(__file__).resolve().parent.parent / "configs" / "small_real_en_de.yaml"
    shrink = [*TINY_DATA, *TINY_MODEL, *QUICK, "data.valid_fraction=0.1", "eval.average_last=1"]

    assert main(["--config", str(config), *shrink, "--run-name", "own"]) == 0

    out, err = capsys.readouterr()
    assert "sacreBLEU signature: nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:" in out
    assert "data: 40 validation pairs held out of 440 training pairs (0.1 of 400" in err
    assert "data: 11 test pairs held out of" in err  # the config's 3% of the 360 sources left
    run = assets / "outputs" / "transformer" / "own"
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    test = [r for r in records if r["split"] == "test"]
    assert test and "bleu" in test[-1]


def test_held_out_splits_share_no_source_with_train_and_follow_the_seed() -> None:
    pairs = _pairs(300)
    dataset = DatasetDict({"train": Dataset.from_list([{"translation": p} for p in pairs])})
    cfg = DataConfig(dataset="x", source_lang="en", target_lang="de", test_fraction=0.1)

    split = hold_out(dataset, "test", 0.1, cfg)
    again = hold_out(dataset, "test", 0.1, cfg)
    other = hold_out(dataset, "test", 0.1, dataclasses.replace(cfg, seed=1))

    test_sources = [p["en"] for p in split["test"]["translation"]]
    train_sources = {p["en"] for p in split["train"]["translation"]}
    assert len(test_sources) == len(set(test_sources)) == 30  # 10% of 300 distinct sources
    assert not train_sources & set(test_sources)
    assert len(split["train"]) + len(split["test"]) < len(pairs)  # repeats left train too
    assert train_sources | set(test_sources) == {p["en"] for p in pairs}  # nothing else lost
    assert again["test"]["translation"] == split["test"]["translation"]
    assert other["test"]["translation"] != split["test"]["translation"]


def test_a_saved_folder_is_a_dataset_and_a_wrong_path_is_one_line(
    tmp_path: Path, assets: Path, capsys: pytest.CaptureFixture
) -> None:
    pairs = _pairs(50)
    splits = {
        name: Dataset.from_list([{"translation": p} for p in pairs]) for name in ("train", "dev")
    }
    DatasetDict(splits).save_to_disk(str(tmp_path / "saved"))
    cfg = DataConfig(dataset=str(tmp_path / "saved"), source_lang="en", target_lang="de",
                     valid_split="dev", test_fraction=0.2)  # fmt: skip

    loaded = load_splits(cfg)

    assert set(loaded) == {"train", "dev", "test"} and len(loaded["dev"]) == len(pairs)
    assert main([f"data.dataset={tmp_path / 'nowhere'}"]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert (
        last
        == f"train: error: data.dataset: {tmp_path / 'nowhere'} is not a folder saved by datasets"
    )
    assert main(["data.dataset=./saved", "data.test_fraction=0.5"]) == 2
    assert (
        "data.test_fraction must be between 0 and 0.5, or None, got 0.5" in capsys.readouterr().err
    )
