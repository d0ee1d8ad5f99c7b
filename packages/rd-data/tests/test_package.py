"""The package imports and reports the version its metadata declares."""

from importlib.metadata import version

import rd_data


def test_version_matches_metadata() -> None:
    assert rd_data.__version__ == version("rd-data")


def test_public_api_is_listed() -> None:
    for name in rd_data.__all__:
        assert hasattr(rd_data, name), name
