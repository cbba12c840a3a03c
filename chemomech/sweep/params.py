"""Sweep parameters (``--param KEY=V1,V2,...``) and their cartesian product.

A key is a ``--set`` path (``fixture.frame_stiffness``,
``geometry.layers.cathode.thickness``); each value is the YAML text that
``--set KEY=VALUE`` would take (``1e8 N/m``, ``80 um``). Splitting rule:
values are separated by commas outside brackets and quotes, so a flow list
``[1, 2]`` or a quoted ``"a,b"`` stays one value; blanks around a value are
dropped. A value may not be empty or contain a tab or a line break.

The runs are the cartesian product of the values, in the order the
parameters are given, the last parameter varying fastest: with n_1 × … × n_m
values, run i has the values (i_1, …, i_m) with i = ((i_1·n_2 + i_2)·n_3 + …)
+ i_m. Run i is named ``run_<i>_<label>=<value>_…``: i zero-padded, the label
the shortest tail of the key that tells the parameters apart
(``frame_stiffness``, or ``cathode.thickness`` next to ``anode.thickness``),
the value without blanks and with every character other than letters,
digits and ``._+-`` replaced by ``-`` (``1e8 N/m`` → ``1e8N-m``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from chemomech.errors import SweepError

_EXAMPLE = "like fixture.frame_stiffness=1e8 N/m,5e8 N/m"
_MAX_NAME = 200  # characters of a run name (a directory name)


@dataclass(frozen=True)
class Parameter:
    """One swept key and its values, as given."""

    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Variant:
    """One run of the sweep: its index, name and the value of every parameter."""

    index: int
    name: str
    values: dict[str, str]

    @property
    def settings(self) -> list[str]:
        """The ``--set KEY=VALUE`` arguments of this run."""
        return [f"{key}={value}" for key, value in self.values.items()]

    @property
    def label(self) -> str:
        """``key=value, ...`` for legends and messages."""
        return ", ".join(f"{key}={value}" for key, value in self.values.items())


def split_values(text: str) -> list[str]:
    """``text`` split at the commas outside brackets and quotes, each value stripped.

    A quote opens a quoted value only as the first character of a value (as
    in YAML); ``''`` inside single quotes and a backslash escape inside double
    quotes do not close it. Raises ValueError for an unclosed quote or
    unbalanced brackets.
    """
    values, depth, quote, start, position = [], 0, None, 0, 0
    while position < len(text):
        char = text[position]
        if (quote == "'" and text.startswith("''", position)) or (quote == '"' and char == "\\"):
            position += 1  # skip the escaped character
        elif quote is not None:
            quote = None if char == quote else quote
        elif char in "'\"" and not text[start:position].strip():
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth < 0:
                raise ValueError(f"a closing {char!r} without its opening bracket")
        elif char == "," and depth == 0:
            values.append(text[start:position].strip())
            start = position + 1
        position += 1
    if quote is not None:
        raise ValueError(f"an unclosed quote {quote}")
    if depth:
        raise ValueError("an unclosed bracket")
    values.append(text[start:].strip())
    return values


def parse_param(text: str) -> Parameter:
    """Read one ``--param KEY=V1,V2,...``; raise SweepError saying what is wrong."""
    key, sep, rest = text.partition("=")
    key = key.strip()
    where = f"--param {text}"
    if not sep:
        raise SweepError(f"{where}: expected KEY=V1,V2,... {_EXAMPLE}")
    if not re.fullmatch(r"[^\s.]+(\.[^\s.]+)*", key):
        raise SweepError(f"{where}: the key {key!r} is not a dotted path {_EXAMPLE}")
    try:
        values = split_values(rest)
    except ValueError as err:
        raise SweepError(f"{where}: {err}") from None
    for value in values:
        if not value:
            raise SweepError(f"{where}: an empty value (two commas in a row, or a comma at an end?)")
        if "\t" in value or "\n" in value or "\r" in value:
            raise SweepError(f"{where}: the value {value!r} contains a tab or a line break")
        if values.count(value) > 1:
            raise SweepError(f"{where}: the value {value!r} is given twice")
    return Parameter(key, tuple(values))


def parse_params(texts: Sequence[str], settings: Sequence[str] = ()) -> list[Parameter]:
    """Read every ``--param``; a key may be swept once and not also be fixed by ``--set``."""
    if not texts:
        raise SweepError(f"no --param given; expected at least one --param KEY=V1,V2,... {_EXAMPLE}")
    parameters = [parse_param(text) for text in texts]
    keys = [parameter.key for parameter in parameters]
    fixed = {setting.partition("=")[0].strip() for setting in settings}
    for key in keys:
        if keys.count(key) > 1:
            raise SweepError(f"--param {key}=...: the key is swept twice; give all its values in one --param")
        if key in fixed:
            raise SweepError(f"--param {key}=...: the key is also given with --set; drop one of them")
    return parameters


def short_labels(keys: Sequence[str]) -> dict[str, str]:
    """For each key, the shortest dotted tail that no other key ends with (else the whole key)."""
    labels = {}
    for key in keys:
        parts = key.split(".")
        labels[key] = key
        for count in range(1, len(parts)):
            tail = ".".join(parts[-count:])
            if not any(other != key and (other == tail or other.endswith("." + tail)) for other in keys):
                labels[key] = tail
                break
    return labels


def _slug(text: str) -> str:
    """``text`` as part of a directory name: no blanks, only letters, digits and ``._+-``."""
    return re.sub(r"[^A-Za-z0-9._+-]", "-", re.sub(r"\s+", "", text))


def variants(parameters: Sequence[Parameter]) -> list[Variant]:
    """The cartesian product of the parameter values, as named runs (see the module docstring)."""
    keys = [parameter.key for parameter in parameters]
    labels = short_labels(keys)
    combinations = list(itertools.product(*(parameter.values for parameter in parameters)))
    width = max(3, len(str(len(combinations) - 1)))
    runs = []
    for index, combination in enumerate(combinations):
        values = dict(zip(keys, combination, strict=True))
        name = f"run_{index:0{width}d}" + "".join(
            f"_{_slug(labels[key])}={_slug(value)}" for key, value in values.items()
        )
        runs.append(Variant(index, name[:_MAX_NAME], values))
    return runs
