"""A researcher's own parallel corpus, in the formats they have, becomes a `translation` dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rd_data
from rd_data.cli import import_corpus_main

datasets = pytest.importorskip("datasets")

# Real sentences with what a tokenizer or a parser could lose: Unicode, quotes, tabs of TSV,
# format strings, "NA" (a missing value to pandas), numbers (an int column to a CSV reader).
EN = [
    "He said: \"It's 5 o'clock — time for tea.\"",
    "Click {name} to open %s; 100% sure?",
    "NA",
    "1984",
    "Zoë's café serves crème brûlée, naïvely priced at €3.50…",
]
DE = [
    "Er sagte: „Es ist 5 Uhr – Zeit für Tee.“",
    "Klicken Sie auf {name}, um %s zu öffnen; 100 % sicher?",
    "k. A.",
    "1984",
    "Zoës Café serviert Crème brûlée, naiv bepreist mit 3,50 €…",
]
PAIRS = [{"en": e, "de": d} for e, d in zip(EN, DE, strict=True)]


@pytest.fixture
def assets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RD_ASSETS_DIR", str(tmp_path / "assets"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    return tmp_path / "assets"


def _lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def _corpus_in_every_format(folder: Path) -> None:
    """train as line-aligned files, validation as TSV (dev.*), test as JSON lines."""
    folder.mkdir()
    _lines(folder / "train.en", EN)
    _lines(folder / "train.de", DE)
    _lines(folder / "dev.tsv", ["en\tde"] + [f"{e}\t{d}" for e, d in zip(EN, DE, strict=True)])
    _lines(folder / "test.jsonl", [json.dumps(p, ensure_ascii=False) for p in PAIRS])
    (folder / "README.md").write_text("not part of the corpus\n")


def test_a_folder_of_line_tsv_and_jsonl_files_becomes_the_hubs_layout(
    tmp_path: Path, assets: Path
) -> None:
    _corpus_in_every_format(tmp_path / "corpus")

    folder = rd_data.import_corpus("my-en-de", [tmp_path / "corpus"], "en", "de")

    loaded = rd_data.load_local_dataset("my-en-de")
    assert folder == rd_data.dataset_dir("my-en-de")
    assert set(loaded) == {"train", "validation", "test"}
    for split in loaded.values():
        assert split["translation"] == PAIRS  # every character survives, in order
    marker = json.loads((folder / ".rd-data.json").read_text())
    assert marker["splits"] == {"train": 5, "validation": 5, "test": 5}
    assert marker["languages"] == ["en", "de"]


def test_csv_parquet_moses_names_and_a_saved_dataset_are_read_too(
    tmp_path: Path, assets: Path
) -> None:
    import csv

    with (tmp_path / "train.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["id", "de", "en"])  # extra column, other order
        writer.writeheader()
        writer.writerows({"id": i, **p} for i, p in enumerate(PAIRS))
    datasets.Dataset.from_list([{"translation": p} for p in PAIRS]).to_parquet(
        str(tmp_path / "newstest-test.parquet")
    )
    _lines(tmp_path / "europarl.valid.de-en.en", EN)
    _lines(tmp_path / "europarl.valid.de-en.de", DE)
    files = ["train.csv", "newstest-test.parquet", "europarl.valid.de-en.en"]
    files.append("europarl.valid.de-en.de")

    rd_data.import_corpus("mixed", [tmp_path / f for f in files], "en", "de")
    saved = datasets.DatasetDict({"train": datasets.Dataset.from_list(PAIRS)})
    saved.save_to_disk(str(tmp_path / "saved"))
    rd_data.import_corpus("resaved", [tmp_path / "saved"], "de", "en")

    mixed = rd_data.load_local_dataset("mixed")
    assert {name: mixed[name]["translation"] for name in mixed} == dict.fromkeys(
        ["test", "train", "validation"], PAIRS
    )
    resaved = rd_data.load_local_dataset("resaved", split="train")
    assert resaved["translation"] == [{"de": p["de"], "en": p["en"]} for p in PAIRS]


def _error(tmp_path: Path, assets: Path, paths: list[Path], *langs: str) -> str:
    with pytest.raises(rd_data.CorpusError) as info:
        rd_data.import_corpus("bad", paths, *(langs or ("en", "de")))
    assert not (assets / "datasets" / "bad").exists()  # nothing half-written
    leftovers = list((assets / "datasets").glob(".*")) if (assets / "datasets").exists() else []
    assert leftovers == []
    return str(info.value)


def test_misaligned_files_name_both_files_and_their_line_counts(
    tmp_path: Path, assets: Path
) -> None:
    en, de = _lines(tmp_path / "train.en", EN), _lines(tmp_path / "train.de", DE[:-1])

    message = _error(tmp_path, assets, [en, de])

    assert f"{en} has 5 lines but {de} has 4" in message


def test_an_empty_sentence_names_its_file_and_line(tmp_path: Path, assets: Path) -> None:
    en = _lines(tmp_path / "train.en", EN)
    de = _lines(tmp_path / "train.de", [*DE[:2], "   ", *DE[3:]])
    tsv = _lines(tmp_path / "test.tsv", ["en\tde", "a\tb", "c\t"])

    assert f"{de} line 3: empty 'de' sentence" in _error(tmp_path, assets, [en, de])
    assert f"{tsv} line 3: empty 'de' sentence" in _error(
        tmp_path, assets, [en, _lines(de, DE), tsv]
    )


def test_bytes_that_are_not_utf8_name_their_line(tmp_path: Path, assets: Path) -> None:
    en = _lines(tmp_path / "train.en", EN)
    de = tmp_path / "train.de"
    de.write_bytes("\n".join(DE[:3]).encode() + "\nSch\xf6n\n".encode("latin-1") + b"x\n")

    assert f"{de} line 4: not UTF-8 text" in _error(tmp_path, assets, [en, de])


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (["train.en"], "split 'train' has no .de file beside it"),
        (["test.en", "test.de"], "no training split among"),
        (["train.en", "train.de", "newstest2014.en"], "newstest2014.en: cannot tell its split"),
        (["train.en", "train.de", "train.fr"], "train.fr: not a corpus file"),
        (["train.en", "train.de", "train.tsv"], "split 'train' comes from several files"),
        (["train.en", "train.de", "missing.en"], "missing.en: no such file or folder"),
    ],
)
def test_a_corpus_that_is_not_whole_is_one_clear_error(
    files: list[str], message: str, tmp_path: Path, assets: Path
) -> None:
    for name in files:
        if name != "missing.en":
            _lines(tmp_path / name, ["en\tde", "a\tb"] if name.endswith(".tsv") else ["x"])

    assert message in _error(tmp_path, assets, [tmp_path / name for name in files])


def test_a_table_without_the_languages_names_its_columns(tmp_path: Path, assets: Path) -> None:
    tsv = _lines(tmp_path / "train.tsv", ["source\ttarget", "a\tb"])

    message = _error(tmp_path, assets, [tsv])

    assert "no column 'en' (it has: source, target)" in message


def test_the_command_line_refuses_a_taken_name_and_replaces_with_force(
    tmp_path: Path, assets: Path, capsys: pytest.CaptureFixture
) -> None:
    _corpus_in_every_format(tmp_path / "corpus")
    argv = [
        "--name",
        "mine",
        "--source-lang",
        "en",
        "--target-lang",
        "de",
        str(tmp_path / "corpus"),
    ]

    assert import_corpus_main(argv) == 0
    assert capsys.readouterr().out.strip() == str(rd_data.dataset_dir("mine"))
    assert import_corpus_main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "already exists; pass --force" in err
    assert len(err.splitlines()) == 1
    assert import_corpus_main([*argv, "--force"]) == 0
    assert import_corpus_main([*argv[:5], "en", str(tmp_path / "corpus")]) == 2
    assert "source and target language are both 'en'" in capsys.readouterr().err
