"""YAML configs loaded into nested typed dataclasses, with dotted CLI overrides.

    cfg = load_config("configs/base.yaml", PaperConfig, ["optim.lr=3e-4", "train.max_steps=100"])
    save_config(cfg, run_dir / "config.yaml")

An unknown key, a missing required key or a value of the wrong type raises `ConfigError`, a
one-line `ValueError` naming the dotted key (and suggesting a close match for a typo).
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar, Union

import yaml

from rd_training.tensor_io import write_text_atomic

T = TypeVar("T")


class ConfigError(ValueError):
    """A bad config file or override; the message is one line naming the dotted key."""


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _convert(value: Any, tp: Any, key: str) -> Any:
    """Check `value` against the annotation `tp` (converting only where lossless); else raise."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin is Union or origin is types.UnionType:
        if value is None and type(None) in args:
            return None
        for option in (a for a in args if a is not type(None)):
            try:
                return _convert(value, option, key)
            except ConfigError:
                continue
        raise ConfigError(f"{key}: expected {_type_name(tp)}, got {value!r}")
    if origin is Literal:
        if value in args:
            return value
        raise ConfigError(f"{key}: expected one of {list(args)}, got {value!r}")
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key}: expected a mapping for {tp.__name__}, got {value!r}")
        return _build(tp, value, key + ".")
    if origin in (list, tuple) or tp in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise ConfigError(f"{key}: expected {len(args)} items, got {len(value)}")
            return tuple(
                _convert(v, a, f"{key}[{i}]")
                for i, (a, v) in enumerate(zip(args, value, strict=True))
            )
        item = args[0] if args else Any
        items = [_convert(v, item, f"{key}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if (origin or tp) is tuple else items
    if origin is dict or tp is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key}: expected a mapping, got {value!r}")
        item = args[1] if args else Any
        return {k: _convert(v, item, f"{key}.{k}") for k, v in value.items()}
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads "3e-4" (no dot) as a string
            try:
                return float(value)
            except ValueError:
                pass
    elif tp is str:
        if isinstance(value, str):
            return value
    elif tp is Path:
        if isinstance(value, (str, Path)):
            return Path(value)
    elif isinstance(tp, type) and isinstance(value, tp):
        return value
    raise ConfigError(f"{key}: expected {_type_name(tp)}, got {value!r}")


def _build(schema: type[T], data: Mapping[str, Any], prefix: str = "") -> T:
    """Instantiate the dataclass `schema` from a mapping, checking every key and type."""
    hints = typing.get_type_hints(schema)
    fields = {f.name: f for f in dataclasses.fields(schema) if f.init}  # type: ignore[arg-type]
    for name in data:
        if name not in fields:
            close = difflib.get_close_matches(str(name), list(fields), n=1, cutoff=0.6)
            hint = f" (did you mean '{prefix}{close[0]}'?)" if close else ""
            raise ConfigError(f"unknown key '{prefix}{name}'{hint}")
    kwargs = {}
    for name, f in fields.items():
        if name in data:
            kwargs[name] = _convert(data[name], hints[name], prefix + name)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"missing required key '{prefix}{name}'")
    try:
        return schema(**kwargs)
    except ConfigError:
        raise
    except (ValueError, TypeError) as err:
        where = prefix.rstrip(".") or schema.__name__
        raise ConfigError(f"{where}: {err}") from err


def parse_overrides(overrides: Iterable[str]) -> dict[str, Any]:
    """Turn `["optim.lr=3e-4", "model.norm_first=true"]` into a nested dict.

    Values follow YAML scalar rules (`true`, `null`, `3`, `[1, 2]`); "3e-4" stays a string that
    float fields accept.

    Raises:
        ConfigError: for an item without `=` or with an empty key.
    """
    nested: dict[str, Any] = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip().removeprefix("--")
        if not sep or not key or any(not part for part in key.split(".")):
            raise ConfigError(f"override {item!r} is not of the form dotted.key=value")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        target = nested
        parts = key.split(".")
        for part in parts[:-1]:
            child = target.get(part)
            if not isinstance(child, dict):
                child = target[part] = {}
            target = child
        target[parts[-1]] = value
    return nested


def _merge(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def load_config(path: str | Path | None, schema: type[T], overrides: Iterable[str] = ()) -> T:
    """Read a YAML file into the dataclass `schema`, applying dotted overrides on top.

    Args:
        path: the YAML file; None uses the schema's defaults (plus overrides).
        schema: a dataclass type; nested dataclass fields map to nested YAML mappings.
        overrides: `dotted.key=value` strings (e.g. from the command line).

    Returns:
        An instance of `schema`.

    Raises:
        ConfigError: for a missing or unreadable file, an unknown or missing key, or a value of
            the wrong type; the message names the dotted key.
    """
    data: Any = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as err:
            message = f"config file {path} is not valid YAML: {err}".replace("\n", " ")
            raise ConfigError(message) from None
        if not isinstance(data, Mapping):
            raise ConfigError(f"config file {path} must hold a mapping at the top level")
    data = _merge(dict(data), parse_overrides(overrides))
    return _build(schema, data)


def config_to_dict(config: Any) -> dict[str, Any]:
    """A dataclass config as plain YAML-friendly data (tuples -> lists, paths -> strings)."""

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, Path):
            return str(value)
        return value

    return plain(config)


def save_config(config: Any, path: str | Path) -> Path:
    """Write the resolved config as YAML (atomically); `load_config` reads it back unchanged."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(config_to_dict(config), sort_keys=False, allow_unicode=True)
    write_text_atomic(text, path)
    return path
