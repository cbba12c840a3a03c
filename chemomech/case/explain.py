"""Pydantic validation errors -> problems located in the YAML file.

Pydantic reports each error at a ``loc`` such as
``("geometry", "stack", "layers", 0, "thickness")``, where ``"stack"`` is the
tag of a discriminated union. :func:`_walk` follows the schema types along
the loc to drop such tags (giving the path in the data) and to find the model
at the end (giving the valid keys for suggestions). Lines come from the
ruamel round-trip tree; values set with ``--set`` point at the setting.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from chemomech.case.errors import Problem
from chemomech.case.schema import Case
from chemomech.case.units import show_value

DataPath = tuple[str | int, ...]

# Wording of pydantic's error types, where its own message reads poorly here.
_EXPECTED = {
    "float_parsing": "a number",
    "float_type": "a number",
    "finite_number": "a finite number",
    "int_parsing": "an integer",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "a string",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "greater_than": "a number greater than {gt}",
    "greater_than_equal": "a number of at least {ge}",
    "less_than": "a number less than {lt}",
    "less_than_equal": "a number of at most {le}",
    "too_short": "at least {min_length} item(s)",
    "literal_error": "{expected}",
}
_MISSING = "required field is missing"


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _unwrap(tp: Any, discriminator: str | None) -> tuple[Any, str | None]:
    """Strip Annotated and Optional; pick up a discriminator on the way."""
    while True:
        if get_origin(tp) is Annotated:
            tp, *meta = get_args(tp)
            discriminator = next(
                (m.discriminator for m in meta if isinstance(m, FieldInfo) and m.discriminator), discriminator
            )
        elif _is_union(tp) and type(None) in get_args(tp):
            rest = tuple(a for a in get_args(tp) if a is not type(None))
            tp = rest[0] if len(rest) == 1 else Union[rest]  # noqa: UP007
        else:
            return tp, discriminator


def _child(tp: Any, part: str | int) -> tuple[Any, str | None]:
    """The type (and discriminator) one step below ``tp``."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(part)
        return (field.annotation, field.discriminator) if field else (None, None)
    args = get_args(tp)
    if get_origin(tp) is list:
        return args[0], None
    if get_origin(tp) is dict:
        return args[1], None
    return None, None


def _walk(loc: tuple[str | int, ...]) -> tuple[DataPath, Any]:
    """The data path of a pydantic loc (union tags dropped) and the type at its end."""
    tp, discriminator = Case, None
    path: list[str | int] = []
    for part in loc:
        tp, discriminator = _unwrap(tp, discriminator)
        if _is_union(tp) and discriminator:
            members = [m for m in get_args(tp) if part in get_args(m.model_fields[discriminator].annotation)]
            tp, discriminator = (members[0] if members else None), None
            continue
        path.append(part)
        tp, discriminator = _child(tp, part)
    return tuple(path), _unwrap(tp, discriminator)[0]


def _unknown_key(loc: tuple[str | int, ...]) -> str:
    key = loc[-1]
    model = _walk(loc[:-1])[1]
    valid = list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []
    close = difflib.get_close_matches(str(key), valid, n=1)
    hint = f"did you mean {close[0]!r}?" if close else "valid keys: " + ", ".join(valid)
    return f"unknown key {key!r}; {hint}"


def _describe(error: ErrorDetails) -> list[tuple[DataPath, str, str | None, str | None]]:
    """(data path, message, expected, got) for each problem in one pydantic error."""
    kind, loc, ctx = error["type"], error["loc"], error.get("ctx", {})
    path = _walk(loc)[0]
    if kind == "problems":
        return [(path + tuple(sub), message, None, None) for sub, message in ctx["problems"]]
    if kind == "missing":
        return [(path, _MISSING, None, None)]
    if kind == "invalid_key":
        return [(path[:-1], f"keys must be text, got the key {show_value(loc[-1])}", None, None)]
    if kind == "extra_forbidden":
        return [(path, _unknown_key(loc), None, None)]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        key = ctx["discriminator"].strip("'")
        tags = [tag for member in get_args(_walk(loc)[1]) for tag in get_args(member.model_fields[key].annotation)]
        expected = "one of " + ", ".join(map(repr, tags))
        if kind == "union_tag_not_found":
            return [((*path, key), f"{_MISSING} ({expected})", expected, None)]
        got = show_value(ctx["tag"])
        return [((*path, key), f"expected {expected}, got {got}", expected, got)]
    if "expected" in ctx and "got" in ctx:  # chemomech.case.units
        expected, got = ctx["expected"], ctx["got"]
    elif kind in _EXPECTED:
        expected, got = _EXPECTED[kind].format(**ctx), _got(error["input"])
    else:
        expected, got = error["msg"].removeprefix("Input should be "), _got(error["input"])
    return [(path, f"expected {expected}, got {got}", expected, got)]


def _got(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)" if value else "an empty list"
    return show_value(value)


def _line(tree: Any, path: DataPath) -> int | None:
    """1-based line of the deepest part of ``path`` found in the YAML tree."""
    line = tree.lc.line + 1 if isinstance(tree, CommentedMap) else None
    node = tree
    for part in path:
        try:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line = node.lc.item(part)[0] + 1
            else:
                break
        except (KeyError, TypeError):  # created by --set: no position
            break
        node = node[part]
    return line


def _dotted(path: DataPath) -> str:
    """``geometry.layers[0].thickness``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")


def explain(error: ValidationError, tree: Any, origins: Mapping[DataPath, str], file: str) -> list[Problem]:
    """One problem per error (or per cross-field problem), located in ``file``."""
    problems = []
    for details in error.errors(include_url=False):
        for path, message, expected, got in _describe(details):
            setting = next((s for p, s in origins.items() if path[: len(p)] == p), None)
            line = None if setting is not None else _line(tree, path)
            problems.append(Problem(file, line, _dotted(path), message, setting, expected, got))
    return problems
