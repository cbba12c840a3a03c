"""Case files: schema, units, loading with located errors.

This package never imports DOLFINx, PETSc or MPI.
"""

from chemomech.case.errors import CaseError, Problem
from chemomech.case.loader import load_case, load_case_text
from chemomech.case.schema import (
    Case,
    Charge,
    Discharge,
    Fixture,
    InclusionGeometry,
    Layer,
    Lithiation,
    MaterialSpec,
    Mechanics,
    Outputs,
    Rest,
    Solver,
    StackGeometry,
    Swelling,
)

__all__ = [
    "Case",
    "CaseError",
    "Charge",
    "Discharge",
    "Fixture",
    "InclusionGeometry",
    "Layer",
    "Lithiation",
    "MaterialSpec",
    "Mechanics",
    "Outputs",
    "Problem",
    "Rest",
    "Solver",
    "StackGeometry",
    "Swelling",
    "load_case",
    "load_case_text",
]
