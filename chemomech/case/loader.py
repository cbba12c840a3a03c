"""Read a case file: YAML with positions, overrides, validation, located errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML, YAMLError
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.reader import ReaderError

from chemomech.case.errors import CaseError, Problem
from chemomech.case.explain import explain
from chemomech.case.overrides import apply_overrides
from chemomech.case.schema import Case


def _one_line(message: str) -> str:
    """A YAML error message on one line (ruamel quotes values with their newlines)."""
    return " ".join(message.split())


def _read_yaml(text: str, file: str) -> Any:
    """The round-trip tree (CommentedMap, with the line of every key and item)."""
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        context = f" ({err.context})" if err.context else ""
        raise CaseError([Problem(file, line, "", _one_line(f"invalid YAML: {err.problem}{context}"))]) from None
    except ReaderError as err:  # a control character; no mark, only a position
        line = text.count("\n", 0, err.position) + 1
        code = err.character if isinstance(err.character, int) else ord(err.character)
        message = f"invalid YAML: unacceptable character #x{code:04x}: {err.reason}"
        raise CaseError([Problem(file, line, "", message)]) from None
    except YAMLError as err:
        raise CaseError([Problem(file, None, "", _one_line(f"invalid YAML: {err}"))]) from None
    except TypeError as err:  # ruamel hashes a complex key such as ``? {a: [1]}`` and fails
        raise CaseError([Problem(file, None, "", f"invalid YAML: a key that cannot be used ({err})")]) from None
    except RecursionError:  # ruamel's parser and composer recurse once per nesting level
        raise CaseError([Problem(file, None, "", "invalid YAML: lists or mappings nested too deeply")]) from None
    except Exception as err:  # noqa: BLE001 - e.g. a 10 000-digit integer, an unknown %YAML version
        raise CaseError([Problem(file, None, "", _one_line(f"invalid YAML: {err}"))]) from None


_MAX_DEPTH = 100
_MAX_VALUES = 100_000


class _Unplain(Exception):
    """A tree that cannot be made plain: aliases that loop or expand too far, or nesting too deep."""


def _plain(node: Any, count: list[int] | None = None, parents: tuple = ()) -> Any:
    """The tree as plain dicts, lists and Python scalars (ruamel types dropped).

    Aliases are expanded, so the tree is bounded: raises _Unplain beyond
    _MAX_DEPTH levels, beyond _MAX_VALUES values, or for an alias inside itself.
    """
    count = [0] if count is None else count
    count[0] += 1
    if count[0] > _MAX_VALUES:
        raise _Unplain(f"the case has more than {_MAX_VALUES} values once its aliases are expanded")
    if isinstance(node, (Mapping, list)):
        if any(node is parent for parent in parents):
            raise _Unplain("an alias (*name) refers to a list or mapping that contains it")
        if len(parents) >= _MAX_DEPTH:
            raise _Unplain(f"lists or mappings nested more than {_MAX_DEPTH} levels deep")
        parents = (*parents, node)
    if isinstance(node, Mapping):
        return {_hashable(_plain(k, count, parents)): _plain(v, count, parents) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v, count, parents) for v in node]
    for kind in (bool, int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node


def _hashable(key: Any) -> Any:
    """A plain key usable in a dict: a mapping or list as a key (``? {a: 1}``) becomes a tuple."""
    if isinstance(key, dict):
        return tuple((_hashable(k), _hashable(v)) for k, v in key.items())
    if isinstance(key, (list, tuple)):
        return tuple(map(_hashable, key))
    return key


def load_case_text(
    text: str, filename: str = "case.yaml", overrides: Sequence[str] = (), validated_file: dict | None = None
) -> Case:
    """Validate the case in ``text``; ``filename`` names it in messages and gives the default name.

    Data files named in the case (images, meshes) are found relative to the
    folder of ``filename``. ``validated_file``: what an earlier validation
    found in a mesh file (``MeshFileGeometry.validated_file()``, kept by a
    pre-meshed domain); a mesh file with that content is not read again.

    Raises CaseError with every problem found.
    """
    tree = _read_yaml(text, filename)
    if tree is None:
        raise CaseError([Problem(filename, None, "", "the case is empty; expected a mapping with at least 'geometry'")])
    if not isinstance(tree, Mapping):
        got = "a list" if isinstance(tree, list) else repr(_plain(tree))
        raise CaseError([Problem(filename, 1, "", f"expected a mapping of case keys at the top level, got {got}")])
    origins, problems = apply_overrides(tree, overrides, filename)
    try:
        data = _plain(tree)
    except _Unplain as err:
        raise CaseError([*problems, Problem(filename, None, "", str(err))]) from None
    data.setdefault("name", Path(filename).stem)
    try:
        context = {"case_folder": Path(filename).parent, "validated_file": validated_file}
        case = Case.model_validate(data, context=context)
    except ValidationError as err:
        problems += explain(err, tree, origins, filename)
    if problems:
        raise CaseError(sorted(problems, key=lambda p: (p.setting is None, p.line or 0)))
    return case


def load_case(path: str | Path, overrides: Sequence[str] = (), validated_file: dict | None = None) -> Case:
    """Read, override (``key=value`` strings, as given to ``--set``) and validate a case file
    (``validated_file``: see ``load_case_text``).

    Raises CaseError with every problem found, each with file, line and field.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaseError([Problem(str(path), None, "", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise CaseError([Problem(str(path), None, "", f"cannot read the file: {err}")]) from None
    return load_case_text(text, str(path), overrides, validated_file)


def load_case_once(
    path: str | Path, overrides: Sequence[str] = (), comm=None, validated_file: dict | None = None
) -> Case:
    """``load_case`` on rank 0 of ``comm`` (an mpi4py communicator), its outcome sent to every rank.

    The data files a case names (a mesh, a label image) are read and checked
    by rank 0 alone, not once per rank: on a cluster node with 64 ranks an
    imported mesh of a million cells would otherwise be held 64 times over.
    Every rank returns the same Case or raises a CaseError with the same
    problems. An unexpected error on rank 0 is raised there, and as a
    RuntimeError naming it on the other ranks, so no rank waits for a case
    that will not come. Without ``comm``, or on one rank: ``load_case``.
    ``validated_file`` (see ``load_case_text``) is rank 0's.
    """
    if comm is None or comm.size == 1:
        return load_case(path, overrides, validated_file)
    outcome = None
    if comm.rank == 0:
        try:
            outcome = ("case", load_case(path, overrides, validated_file))
        except CaseError as err:
            outcome = ("problems", err.problems)
        except Exception as err:
            comm.bcast(("failed", f"{type(err).__name__}: {err}"), root=0)
            raise
    kind, value = comm.bcast(outcome, root=0)
    if kind == "problems":
        raise CaseError(value)
    if kind == "failed":
        raise RuntimeError(f"rank 0 could not load {path}: {value}")
    return value
