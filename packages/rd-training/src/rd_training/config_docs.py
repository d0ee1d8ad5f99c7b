"""Every key of a config with its type, default and docstring: the `--help` of a train command."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools
import textwrap
import typing
from pathlib import Path
from typing import Any

import yaml

from rd_training.config import runtime_keys
from rd_training.config_types import is_dataclass_type, type_name


def field_docs(cls: type) -> dict[str, str]:
    """The string literal under each field of a dataclass (litgpt's style), by field name.

    Fields inherited from a base class take that class's docs. Classes without readable source
    (e.g. defined in a REPL) have none.
    """
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__[:-1]):  # object has no fields
        try:
            source = textwrap.dedent(inspect.getsource(klass))
        except (OSError, TypeError):
            continue
        body = typing.cast(ast.ClassDef, ast.parse(source).body[0]).body
        for node, after in itertools.pairwise(body):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                docs[node.target.id] = " ".join(after.value.value.split())
    return docs


def _yaml_value(value: Any) -> str:
    """A default as the user would write it in YAML (`null`, `true`, `[0, 1]`, `3.0e-05`)."""
    if isinstance(value, (tuple, list)):
        value = [str(v) if isinstance(v, Path) else v for v in value]
    elif isinstance(value, Path):
        value = str(value)
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return text.removesuffix("...").strip()


def describe_config(config: Any, width: int = 100) -> str:
    """Every key of the dataclass instance `config` (its values as the defaults), section by section.

    Runtime fields (see `runtime_keys`) are left out: a file cannot set them.

    Args:
        config: a config instance, e.g. the schema's default `Config()`.
        width: the line width of the wrapped docstrings.

    Returns:
        Lines like `  training.max_steps (int | None, default 2200)` each followed by the field's
        docstring, indented.
    """
    skip = set(runtime_keys(type(config)))
    lines: list[str] = []

    def walk(section: Any, prefix: str) -> None:
        hints = typing.get_type_hints(type(section))
        docs = field_docs(type(section))
        for f in dataclasses.fields(section):
            key, value = f"{prefix}{f.name}", getattr(section, f.name)
            if not f.init or key in skip:
                continue
            doc = docs.get(f.name, "")
            if is_dataclass_type(hints[f.name]) and value is not None:
                lines.extend(["", f"{key}:" + (f" {doc}" if doc else "")])
                walk(value, key + ".")
                continue
            lines.append(f"  {key} ({type_name(hints[f.name])}, default {_yaml_value(value)})")
            if doc:
                lines.extend(
                    textwrap.wrap(doc, width, initial_indent=" " * 6, subsequent_indent=" " * 6)
                )

    walk(config, "")
    return "\n".join(lines).strip("\n")
