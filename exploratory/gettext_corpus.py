"""Write the English->German message catalogs of this machine as a line-aligned corpus.

Linux installs translated program messages under /usr/share/locale/<lang>/LC_MESSAGES/*.mo
(gettext catalogs: the English message and its translation). They are real, human-translated
sentences full of what a tokenizer must not break (`%s`, `{name}`, quotes, Unicode), so they make
an offline stand-in for a real corpus. Used to try `configs/small_real_en_de.yaml` by hand:

    uv run python exploratory/gettext_corpus.py assets/incoming/gettext-en-de
    uv run rd-import-corpus --name gettext-en-de --source-lang en --target-lang de \
        assets/incoming/gettext-en-de
    uv run --package paper-transformer train --config papers/transformer/configs/small_real_en_de.yaml \
        data.dataset=gettext-en-de

Keeps one-line messages of 2 to 40 words whose translation differs from the English, one pair
per English message; which messages a machine has depends on what it has installed.
"""

from __future__ import annotations

import argparse
import gettext
import glob
from pathlib import Path


def catalog_pairs(lang: str) -> dict[str, str]:
    """English message -> translation, over every catalog installed for `lang`."""
    files = sorted(glob.glob(f"/usr/share/locale/{lang}/LC_MESSAGES/*.mo"))
    files += sorted(glob.glob(f"/usr/share/vim/*/lang/{lang}/LC_MESSAGES/*.mo"))
    pairs: dict[str, str] = {}
    for file in files:
        try:
            with open(file, "rb") as f:
                catalog = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        for key, value in catalog.items():
            english = (key[0] if isinstance(key, tuple) else key).split("\x04")[-1]
            if english and value:
                pairs.setdefault(english.strip(), value.strip())
    return pairs


def keep(english: str, translation: str) -> bool:
    one_line = "\n" not in english + translation and "\t" not in english + translation
    return one_line and 2 <= len(english.split()) <= 40 and translation not in ("", english)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for train.en and train.<lang>")
    parser.add_argument("--lang", default="de", help="the translation's language (default: de)")
    args = parser.parse_args()
    pairs = [(e, t) for e, t in catalog_pairs(args.lang).items() if keep(e, t)]
    args.out.mkdir(parents=True, exist_ok=True)
    for column, suffix in ((0, "en"), (1, args.lang)):
        lines = "".join(pair[column] + "\n" for pair in pairs)
        (args.out / f"train.{suffix}").write_text(lines, encoding="utf-8")
    print(f"{len(pairs):,} pairs into {args.out}")


if __name__ == "__main__":
    main()
