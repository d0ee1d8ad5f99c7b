"""Checking a YAML value against a type annotation, converting only where it is lossless."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, Union


class ConfigError(ValueError):
    """A bad config file or override; the message is one line naming the dotted key."""


BuildFn = Callable[[Any, Mapping[str, Any], str], Any]
"""`build(schema, mapping, prefix)`: how `convert` instantiates a nested dataclass."""


def is_dataclass_type(tp: Any) -> bool:
    return dataclasses.is_dataclass(tp) and isinstance(tp, type)


def type_name(tp: Any) -> str:
    """`int`, `int | None`, `{fp32,bf16,fp16}`, `list[int]`: an annotation as `--help` shows it."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Union or origin is types.UnionType:
        return " | ".join(type_name(a) for a in args)
    if origin is Literal:
        return "{" + ",".join(str(a) for a in args) + "}"
    if origin is not None:
        inner = ", ".join("..." if a is Ellipsis else type_name(a) for a in args)
        return f"{getattr(origin, '__name__', origin)}[{inner}]"
    if tp is type(None):
        return "None"
    if tp is Path:
        return "path"
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def convert(value: Any, tp: Any, key: str, build: BuildFn) -> Any:
    """Check `value` against the annotation `tp` (converting only where lossless); else raise.

    Raises:
        ConfigError: naming `key` and what was expected.
    """
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin is Union or origin is types.UnionType:
        return _convert_union(value, tp, key, build)
    if origin is Literal:
        if value in typing.get_args(tp):
            return value
        raise ConfigError(f"{key}: expected one of {list(typing.get_args(tp))}, got {value!r}")
    if is_dataclass_type(tp):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key}: expected a mapping for {tp.__name__}, got {value!r}")
        return build(tp, value, key + ".")
    if origin in (list, tuple) or tp in (list, tuple):
        return _convert_sequence(value, tp, key, build)
    if origin is dict or tp is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key}: expected a mapping, got {value!r}")
        args = typing.get_args(tp)
        item = args[1] if args else Any
        return {k: convert(v, item, f"{key}.{k}", build) for k, v in value.items()}
    return _convert_scalar(value, tp, key)


def _convert_union(value: Any, tp: Any, key: str, build: BuildFn) -> Any:
    args = typing.get_args(tp)
    if value is None and type(None) in args:
        return None
    for option in (a for a in args if a is not type(None)):
        try:
            return convert(value, option, key, build)
        except ConfigError:
            continue
    raise ConfigError(f"{key}: expected {type_name(tp)}, got {value!r}")


def _convert_sequence(value: Any, tp: Any, key: str, build: BuildFn) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{key}: expected a list, got {value!r}")
    if origin is tuple and args and args[-1] is not Ellipsis:
        if len(args) != len(value):
            raise ConfigError(f"{key}: expected {len(args)} items, got {len(value)}")
        pairs = zip(args, value, strict=True)
        return tuple(convert(v, a, f"{key}[{i}]", build) for i, (a, v) in enumerate(pairs))
    item = args[0] if args else Any
    items = [convert(v, item, f"{key}[{i}]", build) for i, v in enumerate(value)]
    return tuple(items) if (origin or tp) is tuple else items


def _convert_scalar(value: Any, tp: Any, key: str) -> Any:
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is bool and isinstance(value, bool):
        return value
    if tp is int and is_number and isinstance(value, int):
        return value
    if tp is float and is_number:
        return float(value)
    if tp is float and isinstance(value, str):  # YAML 1.1 reads "3e-4" (no dot) as a string
        try:
            return float(value)
        except ValueError:
            pass
    if tp is str and isinstance(value, str):
        return value
    if tp is Path and isinstance(value, (str, Path)):
        return Path(value)
    if tp not in (bool, int, float, str, Path) and isinstance(tp, type) and isinstance(value, tp):
        return value
    raise ConfigError(f"{key}: expected {type_name(tp)}, got {value!r}")
