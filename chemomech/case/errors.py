"""Problems found in a case file, and the one exception that carries them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a case, located for the user.

    ``line`` is 1-based, or None when the problem has no line (a missing
    file, or a value that came from ``--set``, named in ``setting``).
    ``path`` is the field in dotted form with list indices, such as
    ``geometry.layers[0].thickness`` (empty for whole-file problems).
    ``expected`` and ``got`` are filled where the problem is a bad value.
    """

    file: str
    line: int | None
    path: str
    message: str
    setting: str | None = None
    expected: str | None = None
    got: str | None = None

    @property
    def where(self) -> str:
        """``file:line``, ``file: --set key=value`` or just the file."""
        if self.setting is not None:
            return f"{self.file}: --set {self.setting}"
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def __str__(self) -> str:
        field = f"{self.path}: " if self.path else ""
        return f"{self.where}: {field}{self.message}"


class CaseError(Exception):
    """A case that cannot be loaded; ``problems`` lists everything found.

    ``str(error)`` is one line per problem, ready to print.
    """

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(map(str, self.problems)))
