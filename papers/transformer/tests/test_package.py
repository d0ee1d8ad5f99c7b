"""The package imports and reports the version its metadata declares."""

from importlib.metadata import version

import paper_transformer


def test_version_matches_metadata() -> None:
    assert paper_transformer.__version__ == version("paper-transformer")


def test_public_api_is_listed() -> None:
    for name in paper_transformer.__all__:
        assert hasattr(paper_transformer, name), name
