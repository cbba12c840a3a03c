"""Case files: schema, units, loading with located errors.

This package never imports DOLFINx, PETSc or MPI.
"""

from chemomech.case.errors import CaseError, Problem
from chemomech.case.loader import load_case, load_case_once, load_case_text
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
    MeshFileGeometry,
    Outputs,
    Rest,
    Solver,
    StackGeometry,
    Swelling,
    VoxelGeometry,
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
    "MeshFileGeometry",
    "Outputs",
    "Problem",
    "Rest",
    "Solver",
    "StackGeometry",
    "Swelling",
    "VoxelGeometry",
    "load_case",
    "load_case_once",
    "load_case_text",
]
