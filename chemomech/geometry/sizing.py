"""Element-size fields (gmsh background fields), in model units.

Sizes change gradually: away from a refined zone the size grows linearly with
distance, by ``GRADING`` times the distance, up to the coarse size.
"""

from __future__ import annotations

from collections.abc import Sequence

import gmsh

GRADING = 0.5
"""Size increase per unit distance away from a refined zone (dimensionless)."""


def _field(kind: str, numbers: dict[str, float], lists: dict[str, Sequence[float]] | None = None) -> int:
    field = gmsh.model.mesh.field
    tag = field.add(kind)
    for name, value in numbers.items():
        field.setNumber(tag, name, value)
    for name, values in (lists or {}).items():
        field.setNumbers(tag, name, list(values))
    return tag


def slabs(bounds: Sequence[tuple[float, float]], sizes: Sequence[float], axis: int) -> int:
    """Size ``sizes[i]`` inside the slab ``bounds[i]`` along coordinate ``axis``.

    Each slab is a gmsh Box field (unbounded across the other coordinates)
    whose size grades to the coarsest size outside it; the Min of the boxes
    gives each layer its own size, with graded transitions into coarser
    neighbours. Interfaces get the finer of the two sizes.
    """
    coarse = max(sizes)
    boxes = []
    for (low, high), size in zip(bounds, sizes, strict=True):
        extent = {f"{c}Min": -1e3 for c in "XYZ"} | {f"{c}Max": 1e3 for c in "XYZ"}
        extent["XYZ"[axis] + "Min"] = low
        extent["XYZ"[axis] + "Max"] = high
        thickness = max((coarse - size) / GRADING, 0.0)
        boxes.append(_field("Box", {"VIn": size, "VOut": coarse, "Thickness": thickness, **extent}))
    return _field("Min", {}, {"FieldsList": boxes})


def near(dim: int, entities: Sequence[int], fine: float, coarse: float) -> int:
    """Size ``fine`` on the given entities, growing to ``coarse`` away from them."""
    lists = {{1: "CurvesList", 2: "SurfacesList"}[dim]: entities}
    distance = _field("Distance", {}, lists)
    return _field(
        "Threshold",
        {
            "InField": distance,
            "SizeMin": fine,
            "SizeMax": coarse,
            "DistMin": 0.0,
            "DistMax": max((coarse - fine) / GRADING, 0.0),
        },
    )


def uniform(size: float) -> int:
    """The same size everywhere."""
    tag = gmsh.model.mesh.field.add("MathEval")
    gmsh.model.mesh.field.setString(tag, "F", repr(float(size)))
    return tag


def use(field: int) -> None:
    """Make ``field`` the only source of element sizes."""
    gmsh.model.mesh.field.setAsBackgroundMesh(field)
    for option in ("MeshSizeExtendFromBoundary", "MeshSizeFromPoints", "MeshSizeFromCurvature"):
        gmsh.option.setNumber(f"Mesh.{option}", 0)
