"""The package imports and reports the version its metadata declares."""

from importlib.metadata import version

import rd_models


def test_version_matches_metadata() -> None:
    assert rd_models.__version__ == version("rd-models")


def test_public_api_is_listed() -> None:
    for name in rd_models.__all__:
        assert hasattr(rd_models, name), name
