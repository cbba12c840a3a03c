"""Command-line overrides: ``--set geometry.layers.cathode.thickness=80 um``.

The key is a dotted path into the YAML tree. List items are addressed by
index (``layers.0``) or by the value of their ``name`` key (``layers.cathode``);
missing mapping keys are created. The value is read as YAML (a scalar or a
flow collection such as ``[1, 2]``).
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping, MutableSequence
from typing import Any

from ruamel.yaml import YAML, YAMLError
from ruamel.yaml.comments import CommentedMap

from chemomech.case.errors import Problem
from chemomech.case.schema import unknown_name

DataPath = tuple[str | int, ...]


class _BadSetting(Exception):
    """A ``--set`` that cannot be applied at ``path`` (dotted), for the reason ``message``."""

    def __init__(self, path: str, message: str):
        super().__init__(message)
        self.path = path


def _parse_value(text: str) -> Any:
    try:
        return YAML(typ="safe", pure=True).load(text)
    except YAMLError as err:
        raise _BadSetting("", f"cannot read the value as YAML: {err}") from None


def _index(seq: MutableSequence, part: str, at: str) -> int:
    """The index of list item ``part``: a number or the item's name."""
    if part.lstrip("-").isdigit():
        index = int(part)
        if not 0 <= index < len(seq):
            raise _BadSetting(at, f"no item {index} in a list of {len(seq)}")
        return index
    names = [item.get("name") for item in seq if isinstance(item, MutableMapping)]
    if part not in names:
        raise _BadSetting(at, unknown_name("item name", part, [str(n) for n in names if n]))
    return names.index(part)


def _apply(tree: MutableMapping, setting: str) -> list[DataPath]:
    """Apply one ``key=value`` to ``tree``; return the data paths it wrote or created."""
    key, sep, text = setting.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(parts):
        raise _BadSetting("", "expected KEY=VALUE with a dotted key, like solver.linear_solver=mumps")
    value = _parse_value(text)
    node: Any = tree
    path: list[str | int] = []
    written = []
    for depth, part in enumerate(parts):
        at = ".".join(parts[:depth])
        last = depth == len(parts) - 1
        if isinstance(node, MutableSequence):
            step: str | int = _index(node, part, at)
        elif isinstance(node, MutableMapping):
            step = part
            if not last and step not in node:
                node[step] = CommentedMap()
                written.append((*path, step))
        else:
            raise _BadSetting(at, f"is the value {node!r}, not a mapping; cannot set {part!r} in it")
        path.append(step)
        if last:
            node[step] = value
            written.append(tuple(path))
        node = node[step]
    return written


def apply_overrides(
    tree: MutableMapping, settings: Iterable[str], file: str
) -> tuple[dict[DataPath, str], list[Problem]]:
    """Apply ``settings`` in order to the YAML ``tree``.

    Returns the data paths that applied settings wrote or created, each with
    its setting (so that problems there point at the setting), and the
    problems of settings that could not be applied.
    """
    origins: dict[DataPath, str] = {}
    problems = []
    for setting in settings:
        try:
            origins.update(dict.fromkeys(_apply(tree, setting), setting))
        except _BadSetting as err:
            problems.append(Problem(file, None, err.path, str(err), setting=setting))
    return origins, problems
