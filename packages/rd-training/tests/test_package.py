"""The package imports and reports the version its metadata declares."""

from importlib.metadata import version

import rd_training


def test_version_matches_metadata() -> None:
    assert rd_training.__version__ == version("rd-training")


def test_public_api_is_listed() -> None:
    for name in rd_training.__all__:
        assert hasattr(rd_training, name), name
