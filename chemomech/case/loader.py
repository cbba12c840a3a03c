"""Read a case file: YAML with positions, overrides, validation, located errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML, YAMLError
from ruamel.yaml.error import MarkedYAMLError

from chemomech.case.errors import CaseError, Problem
from chemomech.case.explain import explain
from chemomech.case.overrides import apply_overrides
from chemomech.case.schema import Case


def _read_yaml(text: str, file: str) -> Any:
    """The round-trip tree (CommentedMap, with the line of every key and item)."""
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        context = f" ({err.context})" if err.context else ""
        raise CaseError([Problem(file, line, "", f"invalid YAML: {err.problem}{context}")]) from None
    except YAMLError as err:
        raise CaseError([Problem(file, None, "", f"invalid YAML: {err}")]) from None


def _plain(node: Any) -> Any:
    """The tree as plain dicts, lists and Python scalars (ruamel types dropped)."""
    if isinstance(node, Mapping):
        return {_plain(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    for kind in (bool, int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node


def load_case_text(text: str, filename: str = "case.yaml", overrides: Sequence[str] = ()) -> Case:
    """Validate the case in ``text``; ``filename`` names it in messages and gives the default name.

    Raises CaseError with every problem found.
    """
    tree = _read_yaml(text, filename)
    if tree is None:
        raise CaseError([Problem(filename, None, "", "the case is empty; expected a mapping with at least 'geometry'")])
    if not isinstance(tree, Mapping):
        got = "a list" if isinstance(tree, list) else repr(_plain(tree))
        raise CaseError([Problem(filename, 1, "", f"expected a mapping of case keys at the top level, got {got}")])
    origins, problems = apply_overrides(tree, overrides, filename)
    data = _plain(tree)
    data.setdefault("name", Path(filename).stem)
    try:
        case = Case.model_validate(data)
    except ValidationError as err:
        problems += explain(err, tree, origins, filename)
    if problems:
        raise CaseError(sorted(problems, key=lambda p: (p.setting is None, p.line or 0)))
    return case


def load_case(path: str | Path, overrides: Sequence[str] = ()) -> Case:
    """Read, override (``key=value`` strings, as given to ``--set``) and validate a case file.

    Raises CaseError with every problem found, each with file, line and field.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaseError([Problem(str(path), None, "", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise CaseError([Problem(str(path), None, "", f"cannot read the file: {err}")]) from None
    return load_case_text(text, str(path), overrides)
