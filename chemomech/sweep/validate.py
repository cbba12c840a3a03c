"""Every run of a sweep is validated before the first one starts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from chemomech.case import Case, CaseError, load_case
from chemomech.errors import SweepError
from chemomech.sweep.params import Variant

_NAMED = 3  # runs named in a message; the rest are counted


def _runs(names: list[str], total: int) -> str:
    if len(names) == total and total > 1:
        return f"every run ({total})"
    shown = ", ".join(names[:_NAMED])
    more = f" and {len(names) - _NAMED} more" if len(names) > _NAMED else ""
    return f"run{'s' if len(names) > 1 else ''} {shown}{more}"


def validate_variants(case_path: Path, settings: Sequence[str], runs: Sequence[Variant]) -> Case:
    """Load the case with the settings of every run; return the case of the first run.

    Raises SweepError listing each distinct problem once (file, ``--set``
    setting, field, what was expected) with the runs it occurs in.
    """
    problems: dict[str, list[str]] = {}
    first = None
    for run in runs:
        try:
            case = load_case(case_path, [*settings, *run.settings])
        except CaseError as err:
            for problem in err.problems:
                problems.setdefault(str(problem), []).append(run.name)
            continue
        if first is None:
            first = case
    if problems:
        lines = [f"{problem}  [{_runs(names, len(runs))}]" for problem, names in problems.items()]
        raise SweepError("invalid case in the sweep, nothing was run:\n" + "\n".join(lines))
    return first
