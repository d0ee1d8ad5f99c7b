"""Import a researcher's own parallel corpus into `assets/datasets/<name>/`.

The result is the Hub's WMT layout, a `DatasetDict` whose rows hold one `translation` column of
`{source_lang: ..., target_lang: ...}`, so `load_local_dataset(name)` and every paper that reads
WMT read it too. Per split (a name's `train`, `valid`/`dev`/`validation` or `test` part; `train`
is required) the corpus may be:

- line-aligned files, one per language: `train.en` + `train.de` (fairseq), or any name with the
  split in it, e.g. `europarl.train.de-en.de` (Moses);
- a TSV or CSV file whose header names the two languages: `train.tsv`, `dev.csv`;
- JSON lines or Parquet with the two languages as columns, or a `translation` column of dicts:
  `test.jsonl`, `train.parquet`;
- or the corpus is a folder written by `datasets` (`save_to_disk`) with such columns.

Files are read by `datasets`' own builders (text, csv, json, parquet). A misaligned pair of files,
an empty sentence, bytes that are not UTF-8 or a split without one of its languages is a
`CorpusError` naming the file and line; the folder is written only when all of it checks
out (as `save_dataset`), so a failed import leaves nothing in `assets/`.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rd_data._fs import MARKER, move_into_place, staging_dir
from rd_data.errors import CorpusError
from rd_data.hf_datasets import dataset_dir

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict

__all__ = ["import_corpus"]

SPLITS = {
    "train": "train", "valid": "validation", "validation": "validation", "dev": "validation",
    "test": "test",
}  # fmt: skip
"""A file-name part -> the split it holds (the Hub's names)."""
TABLE_FORMATS = {
    ".tsv": "csv", ".csv": "csv", ".jsonl": "json", ".json": "json", ".parquet": "parquet",
}  # fmt: skip
"""A table file's suffix -> the `datasets` builder that reads it."""
_LANG = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,15}")


@dataclass(frozen=True)
class SplitSource:
    """Where one split comes from: a table file, or one line file per language."""

    split: str
    files: tuple[Path, ...]
    kind: str
    """"text" (line-aligned files, source first) or a `datasets` builder: csv, json, parquet."""


def import_corpus(
    name: str,
    paths: Sequence[str | Path],
    source_lang: str,
    target_lang: str,
    force: bool = False,
) -> Path:
    """Check a local parallel corpus and save it as `assets/datasets/<name>/` (see the module).

    Args:
        name: The dataset name, loaded back with `load_local_dataset(name)`.
        paths: Files, folders of files (not recursive), or one `save_to_disk` folder.
        source_lang, target_lang: Language codes, as in the file suffixes or column names.
        force: Replace a dataset saved under `name` before.

    Returns:
        The saved folder.

    Raises:
        InvalidNameError: `name` is empty, absolute or contains `..`.
        CorpusError: bad languages, `name` taken (without `force`), or a file that cannot be
            read as the corpus (the message names the file and line).
    """
    target = dataset_dir(name)
    for lang in (source_lang, target_lang):
        if not _LANG.fullmatch(lang):
            raise CorpusError(f"language {lang!r}: expected a code such as en or de-CH")
    if source_lang == target_lang:
        raise CorpusError(f"source and target language are both {source_lang!r}")
    if target.exists() and not force:
        raise CorpusError(f"{target} already exists; pass --force to replace it")
    langs = (source_lang, target_lang)
    with tempfile.TemporaryDirectory(prefix="rd-import-") as cache:
        corpus = read_corpus([Path(p) for p in paths], langs, cache)
        counts = {split: len(rows) for split, rows in corpus.items()}
        with staging_dir(target.parent, target.name) as staging:
            corpus.save_to_disk(str(staging / "data"))
            marker: dict[str, Any] = {"name": name, "languages": list(langs), "splits": counts}
            marker |= {"imported_from": [str(Path(p).absolute()) for p in paths], "complete": True}
            (staging / "data" / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
            move_into_place(staging / "data", target)
    return target


def read_corpus(paths: list[Path], langs: tuple[str, str], cache_dir: str) -> DatasetDict:
    """Every split of the corpus at `paths`, checked, as `translation` rows."""
    from datasets import DatasetDict

    if len(paths) == 1 and _is_saved_dataset(paths[0]):
        return _from_saved(paths[0], langs)
    sources = find_splits(paths, langs)
    return DatasetDict({s.split: _read_split(s, langs, cache_dir) for s in sources})


def _is_saved_dataset(path: Path) -> bool:
    return (path / "dataset_dict.json").is_file() or (path / "state.json").is_file()


def find_splits(paths: list[Path], langs: tuple[str, str]) -> list[SplitSource]:
    """Group the corpus files by split; each split is one table or one file per language."""
    files = _corpus_files(paths, langs)
    by_split: dict[str, list[Path]] = {}
    for file in files:
        by_split.setdefault(_split_of(file), []).append(file)
    if "train" not in by_split:
        found = ", ".join(str(f) for f in files)
        raise CorpusError(f"no training split among {found}: name a file train.*")
    return [_split_source(split, group, langs) for split, group in sorted(by_split.items())]


def _corpus_files(paths: list[Path], langs: tuple[str, str]) -> list[Path]:
    """The files named (each must be a corpus file) and the corpus files inside the folders."""
    wanted = {f".{lang}" for lang in langs} | set(TABLE_FORMATS)
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = [f for f in sorted(path.iterdir()) if f.is_file() and f.suffix in wanted]
            if not inside:
                raise CorpusError(
                    f"{path}: no .{langs[0]}/.{langs[1]}, TSV, CSV, JSONL or Parquet files"
                )
            files += inside
        elif not path.is_file():
            raise CorpusError(f"{path}: no such file or folder")
        elif path.suffix not in wanted:
            raise CorpusError(
                f"{path}: not a corpus file (expected .{langs[0]}, .{langs[1]}, "
                f"{', '.join(TABLE_FORMATS)})"
            )
        else:
            files.append(path)
    return files


def _split_of(file: Path) -> str:
    parts = [part.lower() for part in file.name.split(".")[:-1]]
    for part in parts:
        for piece in re.split(r"[-_]", part):
            if piece in SPLITS:
                return SPLITS[piece]
    raise CorpusError(
        f"{file}: cannot tell its split; put train, valid (or dev) or test in its name"
    )


def _split_source(split: str, files: list[Path], langs: tuple[str, str]) -> SplitSource:
    tables = [f for f in files if f.suffix in TABLE_FORMATS]
    if tables:
        if len(files) > 1:
            names = ", ".join(f.name for f in files)
            raise CorpusError(f"split {split!r} comes from several files ({names}): keep one")
        return SplitSource(split, (tables[0],), TABLE_FORMATS[tables[0].suffix])
    by_lang = {lang: [f for f in files if f.suffix == f".{lang}"] for lang in langs}
    for lang, found in by_lang.items():
        if not found:
            raise CorpusError(f"{files[0]}: split {split!r} has no .{lang} file beside it")
        if len(found) > 1:
            names = ", ".join(f.name for f in found)
            raise CorpusError(f"split {split!r} has several .{lang} files ({names}): keep one")
    return SplitSource(split, (by_lang[langs[0]][0], by_lang[langs[1]][0]), "text")


def _read_split(source: SplitSource, langs: tuple[str, str], cache_dir: str) -> Dataset:
    """One split as `translation` rows, after checking every sentence."""
    if source.kind == "text":
        sides = [_column(_load("text", file, cache_dir, langs), "text") for file in source.files]
        lengths = [len(side) for side in sides]
        if lengths[0] != lengths[1]:
            first, second = source.files
            raise CorpusError(
                f"{first} has {lengths[0]} lines but {second} has {lengths[1]}: "
                "line-aligned files must have one line per sentence pair"
            )
        columns = dict(zip(langs, sides, strict=True))
        checked = {lang: (file, 1) for lang, file in zip(langs, source.files, strict=True)}
    else:
        file = source.files[0]
        table = _load(source.kind, file, cache_dir, langs)
        columns = _language_columns(table, file, langs)
        first_line = 2 if source.kind == "csv" else 1  # after the header
        checked = dict.fromkeys(langs, (file, first_line))
    for lang, (file, first_line) in checked.items():
        _check_sentences(columns[lang], file, first_line, lang)
    return _as_translation(columns, langs)


def _load(builder: str, file: Path, cache_dir: str, langs: tuple[str, str]) -> Dataset:
    """`datasets.load_dataset(builder)` on one file; bytes that are not UTF-8 name their line."""
    import datasets

    options: dict[str, Any] = {}
    if builder == "csv":  # sentences are text: no quoting, no "NA" turned into a missing value
        options = {"keep_default_na": False, "na_filter": False, "skip_blank_lines": False}
        options["converters"] = dict.fromkeys(langs, str)  # "1984" stays text
        options |= {"sep": "\t", "quoting": 3} if file.suffix == ".tsv" else {}
    try:
        loaded = datasets.load_dataset(
            builder, data_files={"rows": str(file)}, split="rows", cache_dir=cache_dir, **options
        )
    except Exception as err:
        if builder != "parquet" and (line := _first_non_utf8_line(file)) is not None:
            raise CorpusError(f"{file} line {line}: not UTF-8 text") from None
        cause = err.__cause__ or err
        raise CorpusError(f"{file}: cannot be read as {builder}: {cause}") from None
    return loaded


def _first_non_utf8_line(file: Path) -> int | None:
    with file.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def _column(table: Dataset, name: str) -> Any:
    """A column as one Arrow array (no copy into Python objects)."""
    return table.data.column(name).combine_chunks()


def _language_columns(table: Dataset, file: Path, langs: tuple[str, str]) -> dict[str, Any]:
    """The two languages of a table: columns named by them, or a `translation` column of dicts."""
    import pyarrow as pa
    import pyarrow.compute as pc

    names = table.column_names
    if "translation" in names and not set(langs) <= set(names):
        translation = _column(table, "translation")
        is_struct = pa.types.is_struct(translation.type)
        fields = {f.name for f in translation.type} if is_struct else set()
        if not set(langs) <= fields:
            raise CorpusError(
                f"{file}: its translation column has {sorted(fields)}, not both {langs[0]!r} and {langs[1]!r}"
            )
        return {lang: pc.struct_field(translation, lang) for lang in langs}
    missing = [lang for lang in langs if lang not in names]
    if missing:
        raise CorpusError(
            f"{file}: no column {missing[0]!r} (it has: {', '.join(names)}); "
            "name the columns by language, e.g. a header line"
        )
    return {lang: _column(table, lang) for lang in langs}


def _check_sentences(sentences: Any, file: Path, first_line: int, lang: str) -> None:
    """Every sentence is non-empty text; the first that is not names its line (or row)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_string(sentences.type) and not pa.types.is_large_string(sentences.type):
        raise CorpusError(f"{file}: the {lang!r} column holds {sentences.type}, not text")
    blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(sentences), ""), True)
    if pc.any(blank).as_py():
        index = pc.index(blank, True).as_py()
        raise CorpusError(
            f"{file} line {index + first_line}: empty {lang!r} sentence; "
            "remove the pair from both sides"
        )


def _as_translation(columns: dict[str, Any], langs: tuple[str, str]) -> Dataset:
    import pyarrow as pa
    from datasets import Dataset

    arrays = [columns[lang].cast(pa.string()) for lang in langs]
    pairs = pa.StructArray.from_arrays(arrays, names=list(langs))
    return Dataset(pa.table({"translation": pairs}))


def _from_saved(folder: Path, langs: tuple[str, str]) -> DatasetDict:
    """A `save_to_disk` folder, its splits renamed as the Hub's and checked like files."""
    import datasets

    loaded = datasets.load_from_disk(str(folder))
    splits = loaded if isinstance(loaded, datasets.DatasetDict) else {"train": loaded}
    result = {}
    for split_name, split in splits.items():
        split_id = SPLITS.get(split_name.lower(), split_name)
        label = folder / split_name
        columns = _language_columns(split, label, langs)
        for lang in langs:
            _check_sentences(columns[lang], label, 1, lang)
        result[split_id] = _as_translation(columns, langs)
    if "train" not in result:
        raise CorpusError(f"{folder}: no train split (it has: {', '.join(splits)})")
    return datasets.DatasetDict(result)
