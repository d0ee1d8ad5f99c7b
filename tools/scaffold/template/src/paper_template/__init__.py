"""{{title}}, built on {{uses}}."""

from importlib.metadata import version as _version

__version__: str = _version("{{dist}}")

__all__ = ["__version__"]
