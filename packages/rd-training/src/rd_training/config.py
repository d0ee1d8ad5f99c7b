"""YAML configs loaded into nested typed dataclasses, with dotted CLI overrides.

    cfg = load_config("configs/base.yaml", PaperConfig, ["optim.lr=3e-4", "training.max_steps=9"])
    save_config(cfg, run_dir / "config.yaml")

The contract (ARCHITECTURE.md, "The config contract"):
- a section the file leaves out, or a key it leaves out, keeps the holder's default (the
  `default_factory` of the field that holds the section);
- an unknown key, a missing required key, a value of the wrong type, a runtime field (see
  `runtime_keys`) or a value a dataclass's `__post_init__` refuses raises `ConfigError`: one line
  naming the dotted key (with a close match for a typo);
- `save_config` writes what `load_config` reads back unchanged, without the runtime fields.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

from rd_training.atomic_files import write_text_atomic
from rd_training.config_types import ConfigError, convert, is_dataclass_type

T = TypeVar("T")

__all__ = [
    "ConfigError",
    "check",
    "check_positive",
    "config_to_dict",
    "config_to_yaml",
    "load_config",
    "parse_overrides",
    "runtime_keys",
    "save_config",
]


def check(ok: bool, config: object, name: str, requirement: str) -> None:
    """A `__post_init__` check: unless `ok`, raise `ClassName.name must be <requirement>, got v`.

    `load_config` rewrites `ClassName.` to the dotted key of the section being loaded.

    Raises:
        ValueError: when `ok` is false.
    """
    if not ok:
        value = getattr(config, name)
        raise ValueError(f"{type(config).__name__}.{name} must be {requirement}, got {value!r}")


def check_positive(config: object, *names: str, allow_none: bool = False) -> None:
    """`check` that each named field is an int >= 1 (or None, with `allow_none`)."""
    for name in names:
        value = getattr(config, name)
        if value is None and allow_none:
            continue
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
        check(ok, config, name, "a positive integer")


def runtime_keys(schema: type) -> dict[str, str]:
    """Every runtime field of the dataclass tree `schema`: dotted key -> where its value comes from.

    A dataclass declares its own in `runtime_fields: ClassVar[dict[str, str]]`; a holder may add
    dotted keys of the sections it holds (and overrides their text, being closer to the user).
    """
    keys: dict[str, str] = {}
    hints = typing.get_type_hints(schema)
    for f in dataclasses.fields(schema):
        if is_dataclass_type(hints[f.name]):
            for key, source in runtime_keys(hints[f.name]).items():
                keys[f"{f.name}.{key}"] = source
    keys.update(getattr(schema, "runtime_fields", {}))
    return keys


def _refuse_runtime_keys(schema: type, data: Mapping[str, Any]) -> None:
    for key, source in runtime_keys(schema).items():
        node: Any = data
        for part in key.split("."):
            node = node.get(part, _ABSENT) if isinstance(node, Mapping) else _ABSENT
        if node is not _ABSENT:
            raise ConfigError(f"{key} cannot be set in a config: it comes from {source}")


_ABSENT = object()


def _default_of(f: dataclasses.Field) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def _suggest(name: str, prefix: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{prefix}{close[0]}'?)" if close else ""


def _build(schema: type[T], data: Mapping[str, Any], prefix: str = "") -> T:
    """Instantiate the dataclass `schema` from a mapping, checking every key and type.

    A nested dataclass section is merged over the field's default, so the holder's defaults
    apply to the keys the mapping leaves out.
    """
    hints = typing.get_type_hints(schema)
    fields = {f.name: f for f in dataclasses.fields(schema) if f.init}  # type: ignore[arg-type]
    for name in data:
        if name not in fields:
            raise ConfigError(f"unknown key '{prefix}{name}'{_suggest(str(name), prefix, fields)}")
    kwargs = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"missing required key '{prefix}{name}'")
            continue
        value = data[name]
        default = _default_of(f)
        if dataclasses.is_dataclass(default) and isinstance(value, Mapping):
            value = _merge(config_to_dict(default), value)
        kwargs[name] = convert(value, hints[name], prefix + name, _build)
    try:
        return schema(**kwargs)
    except ConfigError:
        raise
    except (ValueError, TypeError) as err:
        raise ConfigError(_dotted(str(err), schema.__name__, prefix)) from err


def _dotted(message: str, class_name: str, prefix: str) -> str:
    """`TrainerConfig.max_steps must be ...` -> `training.max_steps must be ...`."""
    dotted, count = re.subn(rf"\b{re.escape(class_name)}\.", prefix, message)
    if count or not prefix:
        return " ".join(dotted.split())
    return f"{prefix.rstrip('.')}: {' '.join(message.split())}"


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


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        message = f"config file {path} is not valid YAML: {err}".replace("\n", " ")
        raise ConfigError(message) from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"config file {path} must hold a mapping at the top level")
    return dict(data)


def load_config(path: str | Path | None, schema: type[T], overrides: Iterable[str] = ()) -> T:
    """Read a YAML file into the dataclass `schema`, applying dotted overrides on top.

    Args:
        path: the YAML file; None uses the schema's defaults (plus overrides).
        schema: a dataclass type; nested dataclass fields map to nested YAML mappings.
        overrides: `dotted.key=value` strings (e.g. from the command line).

    Returns:
        An instance of `schema`.

    Raises:
        ConfigError: for a missing or unreadable file, an unknown, missing or runtime key, or a
            value of the wrong type or refused by a `__post_init__`; the message names the key.
    """
    data = _read_yaml(Path(path)) if path is not None else {}
    data = _merge(data, parse_overrides(overrides))
    _refuse_runtime_keys(schema, data)
    return _build(schema, data)


def config_to_dict(config: Any, *, runtime: bool = True) -> dict[str, Any]:
    """A dataclass config as plain YAML-friendly data (tuples -> lists, paths -> strings).

    Args:
        config: a dataclass instance.
        runtime: also include the runtime fields (see `runtime_keys`).
    """
    skip = set() if runtime else set(runtime_keys(type(config)))

    def plain(value: Any, prefix: str) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {
                f.name: plain(getattr(value, f.name), f"{prefix}{f.name}.")
                for f in dataclasses.fields(value)
                if f.init and f"{prefix}{f.name}" not in skip
            }
        if isinstance(value, (list, tuple)):
            return [plain(v, prefix) for v in value]
        if isinstance(value, dict):
            return {str(k): plain(v, prefix) for k, v in value.items()}
        if isinstance(value, Path):
            return str(value)
        return value

    return plain(config, "")


def config_to_yaml(config: Any) -> str:
    """The YAML text of a config as a file holds it: every key but the runtime fields."""
    return yaml.safe_dump(
        config_to_dict(config, runtime=False), sort_keys=False, allow_unicode=True
    )


def save_config(config: Any, path: str | Path) -> Path:
    """Write the resolved config as YAML (atomically); `load_config` reads it back unchanged."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(config_to_yaml(config), path)
    return path
