"""The package imports and reports the version its metadata declares."""

from importlib.metadata import version

import rd_viz


def test_version_matches_metadata() -> None:
    assert rd_viz.__version__ == version("rd-viz")


def test_public_api_is_listed() -> None:
    for name in rd_viz.__all__:
        assert hasattr(rd_viz, name), name
