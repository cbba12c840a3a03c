"""The case schema (docs/case_format.md) as pydantic models.

All dimensional fields hold SI floats after validation (see ``units``).
Checks that involve several fields report through :func:`_report`, which
keeps the exact field of each problem so the loader can point at its line.
"""

from __future__ import annotations

import difflib
import json
import math
from itertools import pairwise
from pathlib import Path
from typing import Annotated, ClassVar, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from chemomech.case.datafiles import (
    DataFileError,
    cell_tags,
    file_digest,
    read_label_image,
    read_simplex_mesh,
    resolve,
)
from chemomech.case.units import (
    Concentration,
    Conductivity,
    Coordinate,
    CRate,
    CurrentDensity,
    Density,
    Diffusivity,
    FractureEnergy,
    FractureToughness,
    Gap,
    InversePressure,
    Length,
    LengthUnit,
    Modulus,
    MolarVolume,
    Pressure,
    Rate,
    SpecificCapacity,
    Stiffness,
    Stress,
    Temperature,
    TemperatureChange,
    ThicknessPerCapacity,
    Time,
    Volume,
    Voltage,
    VolumetricCapacity,
    show_value,
    to_si,
    value_error,
)

Loc = tuple[str | int, ...]
Dimension = Literal["plane_strain", "axisymmetric", "3d"]
PoissonRatio = Annotated[float, Field(gt=-1, lt=0.5)]
Fraction = Annotated[float, Field(ge=0, le=1)]


def _report(problems: list[tuple[Loc, str]]) -> None:
    """Raise the ``(field, message)`` problems of a cross-field check, if any.

    The field is relative to the model being validated. Pydantic carries one
    error per validator; the list travels in its context and the loader turns
    it back into one problem each.
    """
    if problems:
        summary = "; ".join(".".join(map(str, loc)) + f": {msg}" for loc, msg in problems)
        raise PydanticCustomError("problems", "{summary}", {"summary": summary, "problems": problems})


def unknown_name(kind: str, name: str, known: list[str]) -> str:
    """``unknown <kind> 'name'`` with the closest known names suggested."""
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"did you mean {' or '.join(map(repr, close))}?" if close else "known: " + ", ".join(known)
    return f"unknown {kind} {name!r}; {hint}"


def _builtin_breathes(name: str) -> bool:
    from chemomech.materials.builtin import builtin_materials

    return builtin_materials()[name].breathing is not None


def _builtin_names() -> list[str]:
    # Imported here: chemomech.materials imports the unit registry of this package.
    from chemomech.materials.builtin import builtin_materials

    return list(builtin_materials())


def _builtin_creeps(name: str | None) -> bool:
    from chemomech.materials.builtin import builtin_materials
    from chemomech.materials.inelastic import creep_defaults

    return name is not None and name in builtin_materials() and creep_defaults(name) is not None


class _Model(BaseModel):
    # Fields are documented by the docstring under each; chemomech.case.field_docs
    # reads them for the JSON schema only (pydantic's use_attribute_docstrings
    # would read them at every import).
    model_config = ConfigDict(extra="forbid")


class Layer(_Model):
    """One layer of a stack, bottom to top."""

    name: str
    """Region name (an identifier), used for tags and outputs."""
    material: str
    """A material of the case file or a built-in material."""
    thickness: Length
    mesh_size: Length | None = None
    """Element size in this layer (default: the geometry's mesh_size)."""

    @field_validator("name")
    @classmethod
    def _identifier(cls, name: str) -> str:
        if not name.isidentifier():
            raise value_error("an identifier like 'cathode'", repr(name))
        return name


class StackGeometry(_Model):
    """A pellet cell: layers stacked in a die."""

    type: Literal["stack"]
    has_plunger: ClassVar[bool] = True
    """A top plunger loads the domain: the case needs a fixture."""
    dimension: Dimension
    diameter: Length
    lateral: Literal["die_wall", "free"] = "die_wall"
    """die_wall: frictionless rigid wall; free: unconfined."""
    mesh_size: Length | None = None
    save_mesh: bool = False
    layers: list[Layer] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> StackGeometry:
        first: dict[str, int] = {}
        problems = []
        for i, layer in enumerate(self.layers):
            j = first.setdefault(layer.name, i)
            if j != i:
                problems.append((("layers", i, "name"), f"duplicate layer name {layer.name!r} (also layers[{j}])"))
        _report(problems)
        return self

    def regions(self) -> dict[str, str]:
        """Region name -> material name."""
        return {layer.name: layer.material for layer in self.layers}

    def material_fields(self) -> dict[Loc, str]:
        """Field (relative to the geometry) -> material name, for cross-checks."""
        return {("layers", i, "material"): layer.material for i, layer in enumerate(self.layers)}


class InclusionGeometry(_Model):
    """A misfitting sphere or cylinder in a concentric shell."""

    type: Literal["inclusion"]
    has_plunger: ClassVar[bool] = False
    dimension: Dimension
    inclusion_radius: Length
    outer_radius: Length
    inclusion_material: str
    matrix_material: str
    mesh_size: Length | None = None
    interface_mesh_size: Length | None = None
    """Element size at the interface r = inclusion_radius."""
    outer_boundary: Literal["free", "fixed"] = "free"
    save_mesh: bool = False

    @model_validator(mode="after")
    def _radii(self) -> InclusionGeometry:
        if self.outer_radius <= self.inclusion_radius:
            msg = f"expected more than inclusion_radius ({self.inclusion_radius:g} m), got {self.outer_radius:g} m"
            _report([(("outer_radius",), msg)])
        return self

    def regions(self) -> dict[str, str]:
        """Region name -> material name."""
        return {"inclusion": self.inclusion_material, "matrix": self.matrix_material}

    def material_fields(self) -> dict[Loc, str]:
        """Field (relative to the geometry) -> material name, for cross-checks."""
        return {("inclusion_material",): self.inclusion_material, ("matrix_material",): self.matrix_material}


class ParticleGeometry(_Model):
    """A free single particle: a sphere (axisymmetric, 3d) or a cylinder (plane_strain)."""

    type: Literal["particle"]
    has_plunger: ClassVar[bool] = False
    dimension: Dimension
    radius: Length
    material: str
    mesh_size: Length | None = None
    """Default: a tenth of the radius."""
    surface_mesh_size: Length | None = None
    """Element size at the surface r = radius (default: mesh_size)."""
    save_mesh: bool = False

    def regions(self) -> dict[str, str]:
        """Region name -> material name."""
        return {"particle": self.material}

    def material_fields(self) -> dict[Loc, str]:
        """Field (relative to the geometry) -> material name, for cross-checks."""
        return {("material",): self.material}


MIN_OVERLAP = 0.05
"""Least overlap of an attached particle phase."""


class ParticlePhase(_Model):
    """Spherical (3D) or circular (plane strain) particles of one phase of a generated RVE."""

    name: str
    """Region name (an identifier), used for tags and outputs."""
    material: str | None = None
    """A material of the case file or a built-in material; not for a void phase."""
    void: bool = False
    """Pores: cut out of the matrix and not meshed."""
    volume_fraction: float = Field(gt=0, lt=1)
    """Target fraction of the box volume."""
    radius: Length
    """Mean particle radius."""
    radius_spread: float = Field(0.0, ge=0, le=1)
    """Relative standard deviation of the radius (lognormal); 0: all equal."""
    radii: list[Length] | None = None
    """Explicit radii, used in turn instead of the distribution."""
    attach_to: str | None = None
    """A solid particle phase listed before this one (the host): each particle of this phase touches one of
    its particles, and the lens they share is the host's."""
    overlap: float = Field(0.0, ge=0, lt=1)
    """With attach_to: how deep each particle reaches into its host, as a fraction of its diameter (at least
    MIN_OVERLAP; tangent particles cannot be meshed)."""

    @field_validator("name")
    @classmethod
    def _identifier(cls, name: str) -> str:
        if not name.isidentifier():
            raise value_error("an identifier like 'active'", repr(name))
        return name

    @model_validator(mode="after")
    def _consistent(self) -> ParticlePhase:
        problems: list[tuple[Loc, str]] = []
        if self.void and self.material is not None:
            problems.append((("material",), "a void phase has no material"))
        if not self.void and self.material is None:
            problems.append((("material",), "required field is missing (or set void: true for pores)"))
        if self.attach_to is None and self.overlap != 0:
            problems.append((("overlap",), "only with attach_to (the host phase)"))
        if self.attach_to is not None and self.overlap < MIN_OVERLAP:
            msg = f"expected at least {MIN_OVERLAP} with attach_to (tangent particles cannot be meshed)"
            problems.append((("overlap",), f"{msg}, got {self.overlap:g}"))
        _report(problems)
        return self


class RVEMatrix(_Model):
    """The phase that fills the box around the particles."""

    name: str = "electrolyte"
    material: str


class RVEGeometry(_Model):
    """A box filled with randomly packed particles in a matrix (chemomech.geometry.rve)."""

    type: Literal["rve"]
    has_plunger: ClassVar[bool] = True
    dimension: Literal["plane_strain", "3d"]
    size: list[Length] = Field(min_length=2, max_length=3)
    """Box lengths (x, z) in plane strain, (x, y, z) in 3D; z is the stack axis."""
    matrix: RVEMatrix
    particles: list[ParticlePhase] = Field(min_length=1)
    seed: int = 0
    """Seed of the random packing: the same seed gives the same microstructure."""
    min_gap: Gap = 0.0
    """Smallest distance between particle surfaces (and from faces they do not cross)."""
    boundary: Literal["wall", "cut"] = "wall"
    """wall: particles inside the box; cut: particles may be cut by its faces."""
    mesh_size: Length | None = None
    """Element size away from interfaces (default: the smallest mean radius)."""
    interface_mesh_size: Length | None = None
    """Element size on the particle surfaces (default: a fifth of the smallest mean radius)."""
    triple_phase: list[str] | None = Field(None, min_length=3, max_length=3)
    """Active, electrolyte and electronic-conductor regions whose common edges form the
    triple-phase boundary reported in microstructure.json."""
    save_mesh: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> RVEGeometry:
        problems: list[tuple[Loc, str]] = []
        gdim = 3 if self.dimension == "3d" else 2
        if len(self.size) != gdim:
            msg = f"expected {gdim} lengths for dimension {self.dimension}, got {len(self.size)}"
            problems.append((("size",), msg))
        first = {self.matrix.name: ("matrix", "name")}
        for i, phase in enumerate(self.particles):
            other = first.setdefault(phase.name, ("particles", i, "name"))
            if other != ("particles", i, "name"):
                where = ".".join(map(str, other))
                problems.append((("particles", i, "name"), f"duplicate region name {phase.name!r} (also {where})"))
        total = sum(phase.volume_fraction for phase in self.particles)
        if total >= 1:
            problems.append((("particles",), f"expected volume fractions summing to less than 1, got {total:g}"))
        for i, phase in enumerate(self.particles):
            if phase.attach_to is not None:
                problems.extend((("particles", i, "attach_to"), msg) for msg in self._host_problems(i))
        if self.triple_phase is not None:
            solid = [name for name, kind in self.region_kinds().items() if kind != "void"]
            for i, name in enumerate(self.triple_phase):
                if name not in solid:
                    problems.append((("triple_phase", i), unknown_name("region", name, solid)))
        _report(problems)
        return self

    def _host_problems(self, i: int) -> list[str]:
        """What is wrong with the host that particle phase ``i`` attaches to: it must be another, solid,
        free particle phase listed before it."""
        name = self.particles[i].attach_to
        before = {phase.name: phase for phase in self.particles[:i]}
        if name == self.particles[i].name:
            return ["a phase cannot attach to itself"]
        if any(phase.name == name for phase in self.particles[i:]):
            return [f"the host {name!r} must be listed before this phase"]
        if name not in before:
            return [unknown_name("particle phase", name, list(before))]
        if before[name].void:
            return [f"the host {name!r} is void; attach to a solid phase"]
        if before[name].attach_to is not None:
            return [f"the host {name!r} is attached itself (to {before[name].attach_to!r}); attach to a free phase"]
        return []

    def region_kinds(self) -> dict[str, str]:
        """Region name -> 'matrix', 'particles' or 'void', matrix first."""
        kinds = {self.matrix.name: "matrix"}
        kinds |= {phase.name: "void" if phase.void else "particles" for phase in self.particles}
        return kinds

    def regions(self) -> dict[str, str]:
        """Meshed region name -> material name, matrix first."""
        return {self.matrix.name: self.matrix.material} | {
            phase.name: phase.material for phase in self.particles if not phase.void
        }

    def material_fields(self) -> dict[Loc, str]:
        """Field (relative to the geometry) -> material name, for cross-checks."""
        fields: dict[Loc, str] = {("matrix", "material"): self.matrix.material}
        for i, phase in enumerate(self.particles):
            if not phase.void:
                fields[("particles", i, "material")] = phase.material
        return fields
BOX_FACES = ("bottom", "top", "x_min", "x_max", "y_min", "y_max")
"""Boundary names of a box domain (chemomech.geometry.box), which phases cannot take."""
BoxDimension = Literal["plane_strain", "3d"]


def _case_folder(info: ValidationInfo) -> Path:
    """The folder of the case file, against which data-file paths resolve (the loader's context)."""
    return Path((info.context or {}).get("case_folder", "."))


_FOUND_KEYS = ("cell_data", "tags", "corners")


def _recorded_for(path: Path, cell_data: str | None, info: ValidationInfo) -> dict | None:
    """What an earlier validation found in the mesh file at ``path`` (the loader's ``validated_file``
    context), when the file still has the recorded content and the case names the same tag array."""
    recorded = (info.context or {}).get("validated_file")
    if (
        not isinstance(recorded, dict)
        or any(key not in recorded for key in ("sha256", *_FOUND_KEYS))
        or cell_data not in (None, recorded["cell_data"])
        or not path.is_file()
        or file_digest(path) != recorded["sha256"]
    ):
        return None
    return {key: recorded[key] for key in _FOUND_KEYS}


def _lengths(value) -> list[float]:
    """One length, or a list of lengths, as a list of SI floats."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise value_error("a length like '0.5 um' or a list of them", "an empty list")
    return [to_si(item, "length", "[length]", "0.5 um", "positive") for item in items]


Lengths = Annotated[
    list[float],
    BeforeValidator(_lengths),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
            "description": "a positive length with units, or a list of them",
            "examples": ["0.5 um", ["0.5 um", "0.5 um", "1 um"]],
        }
    ),
]


class ImportedPhase(_Model):
    """A phase of an imported geometry: a region and its material, or a void that is not meshed."""

    material: str | None = None
    """A material of the case file or a built-in material; not for a void phase."""
    void: bool = False
    """Pores: the cells of this phase are left out of the mesh (holes)."""


class VoxelPhase(ImportedPhase):
    """A phase of a voxel image."""

    label: int
    """The image value of the phase's voxels."""


class MeshPhase(ImportedPhase):
    """A phase of an imported mesh."""

    tag: int
    """The cell tag of the phase's cells."""


class _BoxImport(_Model):
    """Common part of the voxel and mesh imports: a box of phases under a top plunger.

    Phases are named regions in the order given (a void phase excepted);
    every value of ``key`` (label or tag) found in the data must be mapped,
    and every phase must have cells.
    """

    has_plunger: ClassVar[bool] = True
    key: ClassVar[str]
    """The phase field that names its cells in the data."""
    dimension: BoxDimension
    save_mesh: bool = False
    _box_lengths: tuple[float, ...] = PrivateAttr(default=())

    def box_lengths(self) -> tuple[float, ...]:
        """Edge lengths of the box in metres along x, (y,) z, as found when the data file was validated.

        Every rank knows the box without reading the file (chemomech.case.loader.load_case_once).
        """
        return self._box_lengths

    @model_validator(mode="after")
    def _phase_map(self) -> _BoxImport:
        problems: list[tuple[Loc, str]] = []
        owner: dict[int, str] = {}
        for name, phase in self.phases.items():
            where = ("phases", name)
            if not name.isidentifier() or name in BOX_FACES:
                msg = f"expected an identifier other than the box faces ({', '.join(BOX_FACES)}), got {name!r}"
                problems.append((where, msg))
            if phase.void and phase.material is not None:
                problems.append(((*where, "material"), "not for a void phase"))
            if not phase.void and phase.material is None:
                problems.append(((*where, "material"), "required field is missing (a phase that is not void needs it)"))
            value = getattr(phase, self.key)
            first = owner.setdefault(value, name)
            if first != name:
                problems.append(((*where, self.key), f"{self.key} {value} is also the {self.key} of phase {first!r}"))
        voids = [name for name, phase in self.phases.items() if phase.void]
        if len(voids) > 1:
            problems.append((("phases",), f"expected at most one void phase, got {', '.join(voids)}"))
        if len(voids) == len(self.phases):
            problems.append((("phases",), "expected at least one phase that is not void"))
        _report(problems)
        return self

    @property
    def void_phase(self) -> str | None:
        """The name of the void phase, or None."""
        return next((name for name, phase in self.phases.items() if phase.void), None)

    def regions(self) -> dict[str, str]:
        """Region name -> material name (the void phase is no region)."""
        return {name: phase.material for name, phase in self.phases.items() if not phase.void}

    def material_fields(self) -> dict[Loc, str]:
        """Field (relative to the geometry) -> material name, for cross-checks."""
        return {("phases", name, "material"): material for name, material in self.regions().items()}

    def _mapping_problems(self, values: np.ndarray, source: str) -> list[tuple[Loc, str]]:
        """Values of ``key`` in the data without a phase, and phases without cells."""
        present = set(np.unique(values).tolist())
        mapped = {getattr(phase, self.key): name for name, phase in self.phases.items()}
        problems: list[tuple[Loc, str]] = []
        unmapped = sorted(present - set(mapped))
        if unmapped:
            shown = ", ".join(map(str, unmapped[:10])) + (", ..." if len(unmapped) > 10 else "")
            msg = f"every {self.key} in the {source} needs a phase; not mapped: {shown}"
            problems.append((("phases",), msg))
        for value, name in mapped.items():
            if value not in present:
                problems.append((("phases", name, self.key), f"the {source} has no {self.key} {value}"))
        return problems


class VoxelGeometry(_BoxImport):
    """A segmented image: every voxel (pixel) is a cube (square) of one phase.

    The image spans the box [0, n_x h_x] × [0, n_y h_y] × [0, n_z h_z]
    (plane strain: x and z), z being the stack axis.
    """

    type: Literal["voxel"]
    key: ClassVar[str] = "label"
    image: str
    """Label array: .npy or a .tif/.tiff stack, relative to the case file (the absolute path after validation)."""
    voxel_size: Lengths
    """Edge of a voxel: one length, or one per axis in x, (y,) z order."""
    axis_order: str | None = None
    """The coordinate axis of each array axis, e.g. 'zyx'; default 'xyz' (plane strain 'xz')."""
    phases: dict[str, VoxelPhase] = Field(min_length=1)
    """Phase name -> label and material (or void); every label in the image must be mapped."""

    @property
    def axes(self) -> str:
        """The coordinate axes: 'xyz' in 3D, 'xz' in plane strain."""
        return "xyz" if self.dimension == "3d" else "xz"

    @model_validator(mode="after")
    def _image(self, info: ValidationInfo) -> VoxelGeometry:
        path = resolve(self.image, _case_folder(info))
        try:
            image = read_label_image(path)
        except DataFileError as err:
            _report([(("image",), str(err))])
        self.image = str(path)
        axes = self.axes
        if image.ndim != len(axes):
            msg = f"expected a {len(axes)}D label array for dimension {self.dimension}, got shape {image.shape}"
            _report([(("image",), msg)])
        problems: list[tuple[Loc, str]] = []
        order = self.axis_order if self.axis_order is not None else axes
        if sorted(order) != sorted(axes):
            problems.append((("axis_order",), f"expected the letters {axes!r} in any order, got {order!r}"))
        if len(self.voxel_size) not in (1, len(axes)):
            msg = f"expected one length or {len(axes)} (x, {', '.join(axes[1:])}), got {len(self.voxel_size)}"
            problems.append((("voxel_size",), msg))
        problems += self._mapping_problems(image, "image")
        _report(problems)
        self.axis_order = order
        oriented = self.oriented(image)
        _report(self._support_problems(oriented))
        self._box_lengths = tuple((np.array(oriented.shape) * np.array(self.spacing())).tolist())
        return self

    def oriented(self, image: np.ndarray) -> np.ndarray:
        """``image`` with its axes in x, (y,) z order."""
        return np.transpose(image, [self.axis_order.index(axis) for axis in self.axes])

    def labels(self) -> np.ndarray:
        """The label array of the image file, axes in x, (y,) z order."""
        return self.oriented(read_label_image(Path(self.image)))

    def spacing(self) -> tuple[float, ...]:
        """Voxel edge along x, (y,) z in metres."""
        return tuple(self.voxel_size) * (len(self.axes) if len(self.voxel_size) == 1 else 1)

    def _support_problems(self, labels: np.ndarray) -> list[tuple[Loc, str]]:
        """With a void phase: box faces that meet only void voxels (the plunger and the
        rollers need solid there), and solid pieces joined to the rest by no voxel face
        (a piece floating in the pores, or hanging on an edge, has no support)."""
        from scipy import ndimage

        void = self.void_phase
        if void is None:
            return []
        solid = labels != self.phases[void].label
        problems: list[tuple[Loc, str]] = []
        for axis, letter in enumerate(self.axes):
            names = ("bottom", "top") if letter == "z" else (f"{letter}_min", f"{letter}_max")
            for name, index in zip(names, (0, -1), strict=True):
                if not solid.take(index, axis=axis).any():
                    problems.append((("image",), f"the {name} face of the image has only void voxels"))
        pieces = ndimage.label(solid)[1]
        if pieces > 1:
            msg = (
                f"the solid voxels form {pieces} pieces that share no voxel face; "
                "only one can be held (label the others as void)"
            )
            problems.append((("image",), msg))
        return problems


class MeshFileGeometry(_BoxImport):
    """A tagged simplex mesh from any meshio-readable file, shifted to start at the origin.

    Only triangles (plane strain) or tetrahedra (3D) are used; in plane
    strain the file's x-y plane is the model's x-z plane.
    """

    type: Literal["mesh"]
    key: ClassVar[str] = "tag"
    file: str
    """Mesh file relative to the case file (the absolute path after validation)."""
    length_unit: LengthUnit = 1.0
    """Unit of the file's coordinates, e.g. 'um' (default: m); metres per unit after validation."""
    cell_data: str | None = None
    """Cell-data array holding the tags; default 'gmsh:physical' if present, else the only integer array."""
    phases: dict[str, MeshPhase] = Field(min_length=1)
    """Phase name -> tag and material (or void); every tag in the mesh must be mapped."""

    _found: dict = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _mesh(self, info: ValidationInfo) -> MeshFileGeometry:
        path = resolve(self.file, _case_folder(info))
        found = _recorded_for(path, self.cell_data, info) or self._read(path)
        self.file = str(path)
        self.cell_data = found["cell_data"]
        self._found = found
        _report(self._mapping_problems(np.asarray(found["tags"]), "mesh"))
        lower, upper = (np.asarray(corner) * self.length_unit for corner in found["corners"])
        self._box_lengths = tuple((upper - lower).tolist())
        return self

    def _read(self, path: Path) -> dict:
        """What the validation needs of the file: its tag array's name, the tags, the corners of its used points."""
        try:
            mesh = read_simplex_mesh(path, 3 if self.dimension == "3d" else 2)
        except DataFileError as err:
            _report([(("file",), str(err))])
        try:
            name, tags = cell_tags(mesh, self.cell_data)
        except DataFileError as err:
            _report([(("cell_data",), str(err))])
        used = mesh.points[np.unique(mesh.cells)]
        corners = [used.min(axis=0).tolist(), used.max(axis=0).tolist()]
        return {"cell_data": name, "tags": np.unique(tags).tolist(), "corners": corners}

    def validated_file(self) -> dict:
        """What the validation found in the mesh file, with the digest of its content.

        A pre-meshed domain records it (chemomech.geometry.premeshed), and
        validating the case for a run on that domain takes it from there
        instead of reading the file again (the loader's ``validated_file``).
        """
        return {"sha256": file_digest(Path(self.file)), **self._found}

    def simplices(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(points in metres, cells, tags) of the mesh file."""
        mesh = read_simplex_mesh(Path(self.file), 3 if self.dimension == "3d" else 2)
        return mesh.points * self.length_unit, mesh.cells, cell_tags(mesh, self.cell_data)[1]


class SwellingTable(_Model):
    """Tabulated volume change of the active phase, piecewise linear in xi."""

    xi: list[float] = Field(min_length=2)
    """Degree of lithiation, strictly increasing from 0 to 1."""
    volume_change: list[Annotated[float, Field(gt=-1)]]
    """Relative volume change Jg - 1 at each xi."""

    @field_validator("xi")
    @classmethod
    def _increasing(cls, xi: list[float]) -> list[float]:
        if xi[0] != 0 or xi[-1] != 1 or any(b <= a for a, b in pairwise(xi)):
            raise value_error("values increasing strictly from 0 to 1", str(xi))
        return xi

    @model_validator(mode="after")
    def _same_length(self) -> SwellingTable:
        if len(self.volume_change) != len(self.xi):
            msg = f"expected {len(self.xi)} values (one per xi), got {len(self.volume_change)}"
            _report([(("volume_change",), msg)])
        return self


class Swelling(_Model):
    """Volume change of the active phase: Jg = 1 + beta xi, or a table."""

    beta: float = Field(0.787, ge=0)
    """Linear law Jg = 1 + beta xi (0.787: S -> Li2S)."""
    table: SwellingTable | None = None

    @model_validator(mode="after")
    def _one_law(self) -> Swelling:
        if self.table is not None and "beta" in self.model_fields_set:
            _report([(("table",), "give either beta or table, not both")])
        return self


class LithiatedModuli(_Model):
    """Elastic moduli at xi = 1; the moduli mix linearly in xi."""

    youngs_modulus: Modulus
    poisson_ratio: PoissonRatio


class BreathingSpec(_Model):
    """Growth of a counter electrode with the charge it takes up (physics.md section 5).

    Either all of the volume change goes into the thickness
    (``thickness_per_capacity``: plating Li, In <-> LiIn) or it is isotropic
    (``volume_change`` at full utilisation: intercalation, LTO). The word
    ``none`` switches off a built-in material's breathing.
    """

    enabled: bool = True
    """False for ``breathing: none``."""
    thickness_per_capacity: ThicknessPerCapacity | None = None
    volume_change: float | None = Field(None, gt=-1)
    """Relative volume change at full lithiation of the layer (0.002 = 0.2 %)."""
    volumetric_capacity: VolumetricCapacity | None = None
    """Charge the layer holds per volume; inherited from the base material's breathing if omitted."""

    @model_validator(mode="before")
    @classmethod
    def _none(cls, data):
        if isinstance(data, str) or data is None:
            if data == "none":
                return {"enabled": False}
            raise value_error("'none' or a mapping with thickness_per_capacity or volume_change", show_value(data))
        return data

    @model_validator(mode="after")
    def _one_mode(self) -> BreathingSpec:
        given = [f for f in ("thickness_per_capacity", "volume_change") if getattr(self, f) is not None]
        if self.enabled and len(given) != 1:
            _report([((), "give exactly one of thickness_per_capacity or volume_change")])
        return self


Scheme = Literal["mori_tanaka", "hashin_shtrikman_upper", "hashin_shtrikman_lower", "voigt", "reuss"]
FRACTION_SUM_TOLERANCE = 1e-6


class CompositePhase(_Model):
    """One solid phase of a homogenised composite."""

    material: str
    """A built-in material or a material of the case file (not itself a composite)."""
    fraction: Annotated[float, Field(gt=0, le=1)]
    """Share of the solid: of its volume (basis volume) or of its mass (basis weight)."""
    density: Density | None = None
    """Basis weight only: overrides the library density of the material."""


class Composition(_Model):
    """A homogenised composite (physics.md section 9): solid phases, pores and a mean-field scheme."""

    basis: Literal["volume", "weight"] = "volume"
    """How the phase fractions are given: shares of the solid volume or of the solid mass."""
    phases: dict[str, CompositePhase] = Field(min_length=1)
    """Solid phases by name; exactly one lithiates (its material swells, e.g. sulfur or Li2S)."""
    porosity: Annotated[float, Field(ge=0, lt=1)] = 0.0
    """Pore volume fraction of the composite as fabricated (either basis)."""
    pore_filling: Fraction = 0.0
    """Share of the active phase's volume increase that fills pores while there are any."""
    scheme: Scheme = "mori_tanaka"
    """Estimate of the moduli and swelling; Hashin-Shtrikman bounds are reported beside it."""
    matrix: str | None = None
    """Mori-Tanaka matrix phase (default: the inert phase with the largest volume fraction)."""

    @model_validator(mode="after")
    def _consistent(self) -> Composition:
        problems: list[tuple[Loc, str]] = []
        for name, phase in self.phases.items():
            if not name.isidentifier() or name == "pores":
                msg = f"expected a phase name that is an identifier other than 'pores', got {name!r}"
                problems.append((("phases", name), msg))
            if phase.density is not None and self.basis != "weight":
                problems.append((("phases", name, "density"), "only with basis 'weight'"))
        total = sum(phase.fraction for phase in self.phases.values())
        if abs(total - 1) > FRACTION_SUM_TOLERANCE:
            share = "volume" if self.basis == "volume" else "mass"
            msg = (
                f"expected the solid phases' fractions (shares of the solid {share}; porosity is separate) "
                f"to add up to 1, got {total:.6g}"
            )
            problems.append((("phases",), msg))
        if self.matrix is not None and self.matrix not in self.phases:
            problems.append((("matrix",), unknown_name("phase", self.matrix, list(self.phases))))
        if self.scheme in ("reuss", "hashin_shtrikman_lower") and (self.porosity > 0 or self.pore_filling > 0):
            msg = (
                f"{self.scheme} gives a composite with pores no stiffness; "
                "use mori_tanaka, hashin_shtrikman_upper or voigt"
            )
            problems.append((("scheme",), msg))
        _report(problems)
        return self
class Compaction(_Model):
    """Pressure-dependent compaction of a pressed powder (cap plasticity, porosity as state).

    Unset parameters take the library values (``chemomech materials``):
    Heckel's k and A from the Li2S-P2S5 compaction curve, M and p_t placeholders.
    """

    initial_porosity: Annotated[float, Field(gt=0, lt=1)] | None = None
    """Porosity of the layer as built; or give fabrication_pressure."""
    fabrication_pressure: Stress | None = None
    """Die pressure the layer was pressed at: initial porosity exp(-(k P + A))."""
    heckel_slope: InversePressure | None = None
    """k in ln(1/porosity) = k P + A."""
    heckel_intercept: float | None = None
    """A in ln(1/porosity) = k P + A."""
    critical_state_slope: Annotated[float, Field(gt=0)] | None = None
    """M: ratio q/p of the critical-state line."""
    tensile_strength: Pressure | None = None
    """p_t: the cap reaches into tension down to p = -p_t."""

    @model_validator(mode="after")
    def _initial_state(self) -> Compaction:
        given = [f for f in ("initial_porosity", "fabrication_pressure") if getattr(self, f) is not None]
        if len(given) != 1:
            what = "not both" if given else "one is required"
            _report([(("initial_porosity",), f"give either initial_porosity or fabrication_pressure, {what}")])
        if self.initial_porosity is not None:
            from chemomech.materials.inelastic import compaction_defaults

            intercept = self.heckel_intercept
            if intercept is None:
                intercept = compaction_defaults()["heckel_intercept"][0]
            if self.initial_porosity >= math.exp(-intercept):
                msg = f"expected below exp(-A) = {math.exp(-intercept):.3g} (zero-pressure porosity of the Heckel law)"
                _report([(("initial_porosity",), f"{msg}, got {self.initial_porosity:g}")])
        return self


class Creep(_Model):
    """Power-law creep eps_dot = rate (sigma_eq / stress)^exponent, with an optional yield stress.

    Unset parameters come from the base material (Li_metal: the library).
    """

    reference_rate: Rate | None = None
    reference_stress: Stress | None = None
    exponent: Annotated[float, Field(ge=1)] | None = None
    yield_stress: Stress | None = None
    """Rate-independent limit on the von Mises stress; null: none."""


class HomogenizedTable(_Model):
    """A homogenised RVE table (``chemomech homogenize``) used as the material."""

    file: str
    """homogenized.csv, relative to the case file's folder."""
    boundary_conditions: Literal["uniform_displacement", "uniform_traction"]
    """Which apparent response: the stiffer uniform displacement or the softer uniform traction."""
    active_fraction: Fraction | None = None
    """Volume fraction of lithiating material; default: the RVE's, from homogenized.json beside the table."""

    @model_validator(mode="after")
    def _readable(self, info: ValidationInfo) -> HomogenizedTable:
        from chemomech.materials.tabulated import TableError, read_table

        path = resolve(self.file, _case_folder(info))
        try:
            read_table(path, self.boundary_conditions)
        except TableError as err:
            _report([(("file",), str(err))])
        self.file = str(path)
        if self.active_fraction is None:
            record = path.with_suffix(".json")
            try:
                self.active_fraction = float(json.loads(record.read_text())["active_fraction [-]"])
            except (OSError, ValueError, KeyError, TypeError):
                msg = f"required field is missing (no active fraction in {record.name} beside the table)"
                _report([(("active_fraction",), msg)])
        return self


class Fracture(_Model):
    """Strength and toughness for the crack-risk outputs (physics.md section 8).

    Unset values come from the library rows of the base material (``chemomech materials``).
    """

    tensile_strength: Stress | None = None
    """σ_t of the risk ratio σ1/σ_t."""
    weibull_modulus: Annotated[float, Field(gt=0)] | None = None
    """m of the failure probability 1 − exp[−(1/V0) ∫ (⟨σ1⟩/σ0)^m dV]."""
    weibull_scale: Stress | None = None
    """σ0: the characteristic strength of the reference volume."""
    weibull_volume: Volume | None = None
    """V0: the volume whose characteristic strength is σ0 (plane strain models are 1 m deep)."""
    fracture_toughness: FractureToughness | None = None
    """K_IC of the critical flaw size (1/π)(K_IC/(Y σ1))²."""
    geometry_factor: Annotated[float, Field(gt=0)] | None = None
    """Y; default 1.12 (an edge crack)."""


def _library_has_toughness(material: str) -> bool:
    """Whether the library gives a fracture_energy or fracture_toughness for ``material``."""
    # Imported here: chemomech.materials imports the unit registry of this package.
    from chemomech.materials.library import default_library

    library = default_library()
    return material in library.names() and bool({"fracture_energy", "fracture_toughness"} & set(library.get(material)))


class PhaseField(_Model):
    """Phase-field fracture of the material (chemomech.physics.fracture; physics.md section 8)."""

    model: Literal["AT1", "AT2"] = "AT1"
    """Crack density: AT1 (elastic up to its strength) or AT2 (damages from the first strain)."""
    fracture_energy: FractureEnergy | None = None
    """G_c; unset: K_IC²(1 − ν²)/E from fracture.fracture_toughness, else the library's fracture_energy
    of the base, else K_IC²(1 − ν²)/E from its fracture_toughness."""
    length_scale: Length | None = None
    """ℓ (resolve it: ℓ ≥ 2h); or give strength."""
    strength: Stress | None = None
    """Tensile strength σ_t instead of ℓ: ℓ = 3EG_c/(8σ_t²) (AT1) or 27EG_c/(256σ_t²) (AT2)."""
    split: Literal["volumetric_deviatoric", "spectral"] = "volumetric_deviatoric"
    """Energy split that keeps compression from cracking."""
    residual_stiffness: float = Field(1e-6, ge=0, lt=1)
    """k_res in g(d) = (1 − d)² + k_res."""

    @model_validator(mode="after")
    def _length(self) -> PhaseField:
        if (self.length_scale is None) == (self.strength is None):
            what = "not both" if self.length_scale is not None else "one is required"
            _report([(("length_scale",), f"give either length_scale or strength, {what}")])
        return self


class MaterialSpec(_Model):
    """A material defined in the case file: from scratch, from a built-in, or a composite of phases."""

    base: str | None = None
    """Built-in material to start from; given fields override its values."""
    youngs_modulus: Modulus | None = None
    poisson_ratio: PoissonRatio | None = None
    active_fraction: Fraction | None = None
    """Volume fraction of the active S/Li2S phase; scales the swelling."""
    swelling: Swelling | None = None
    lithiated: LithiatedModuli | None = None
    breathing: BreathingSpec | None = None
    """Counter-electrode growth; 'none' switches off a built-in's (Li_metal, indium, LTO)."""
    composition: Composition | None = None
    """A homogenised composite; excludes every other field."""
    homogenized: HomogenizedTable | None = None
    """The table of a homogenised RVE; excludes every other field."""
    compaction: Compaction | None = None
    """The material is a pressed powder that compacts under pressure."""
    creep: Creep | Literal[False] | None = None
    """The material creeps ({} takes the library law of the base, e.g. Li_metal); false or unset: elastic."""
    fracture: Fracture | None = None
    """Strength and toughness for the crack-risk outputs; also with composition or homogenized."""
    phase_field: PhaseField | None = None
    """The material cracks (phase-field fracture)."""

    @field_validator("base")
    @classmethod
    def _builtin(cls, base: str | None) -> str | None:
        known = _builtin_names()
        if base is not None and base not in known:
            _report([((), unknown_name("built-in material", base, known))])
        return base

    @model_validator(mode="after")
    def _complete(self) -> MaterialSpec:
        problems: list[tuple[Loc, str]] = []
        if self.composition is not None:
            others = sorted(self.model_fields_set - {"composition", "fracture"})
            problems += [((f,), "not with composition (a composite's properties come from its phases)") for f in others]
        elif self.homogenized is not None:
            others = sorted(self.model_fields_set - {"homogenized", "fracture"})
            problems += [((f,), "not with homogenized (the table gives the properties)") for f in others]
        elif self.base is None:
            missing = [f for f in ("youngs_modulus", "poisson_ratio") if getattr(self, f) is None]
            problems += [((f,), "required field is missing (a material without 'base' needs it)") for f in missing]
        breathing = self.breathing
        if breathing is not None and breathing.enabled and breathing.volumetric_capacity is None:
            inherited = self.base is not None and _builtin_breathes(self.base)
            if not inherited:
                problems.append(
                    (("breathing", "volumetric_capacity"), "required field is missing (the base material does not breathe)")
                )
        if isinstance(self.creep, Creep) and not _builtin_creeps(self.base):
            missing = [f for f in ("reference_rate", "reference_stress", "exponent") if getattr(self.creep, f) is None]
            message = "required field is missing (the base material does not creep)"
            problems += [(("creep", f), message) for f in missing]
        if self.phase_field is not None and (self.compaction is not None or self.creeps):
            message = "phase-field fracture needs an elastic material (no compaction or creep)"
            problems.append((("phase_field",), message))
        if self.compaction is not None and self.creeps:
            problems.append((("compaction",), "a material either compacts or creeps, not both (set creep: false)"))
        _report(problems)
        return self

    @property
    def creeps(self) -> bool:
        """Whether the material creeps: only with a creep block (built-ins are elastic)."""
        return isinstance(self.creep, Creep)


class Mechanics(_Model):
    """Mechanical model."""

    kinematics: Literal["finite_strain", "small_strain"] = "finite_strain"
    formulation: Literal["displacement", "mixed"] = "displacement"
    """mixed: P2 displacement and DG0 pressure, free of volumetric locking for
    near-incompressible materials (binders); needs element_degree 2 and
    linear_solver mumps, which are its defaults."""


class _Transfer(_Model):
    """Common part of discharge and charge: a constant-current step.

    Exactly one of ``until_xi`` and ``until_capacity`` is set after
    validation; where neither is given, ``until_xi`` takes the step's default.
    """

    default_until_xi: ClassVar[float]
    rate: CRate
    """C-rate in 1/h."""
    until_xi: Fraction | None = None
    until_capacity: SpecificCapacity | None = None
    """End of the step as capacity per mass of sulfur, C/kg."""

    @model_validator(mode="after")
    def _one_end(self) -> _Transfer:
        if self.until_xi is not None and self.until_capacity is not None:
            _report([(("until_capacity",), "give either until_xi or until_capacity, not both")])
        if self.until_xi is None and self.until_capacity is None:
            self.until_xi = self.default_until_xi
        return self


class Discharge(_Transfer):
    """Lithiation: xi rises (default end: xi = 1)."""

    default_until_xi: ClassVar[float] = 1.0
    step: Literal["discharge"]


class Charge(_Transfer):
    """Delithiation: xi falls (default end: xi = 0)."""

    default_until_xi: ClassVar[float] = 0.0
    step: Literal["charge"]


class Rest(_Model):
    """Open circuit: xi stays constant."""

    step: Literal["rest"]
    duration: Time


class Hold(_Model):
    """Potentiostatic: the cell voltage is held (lithiation model electrode only)."""

    step: Literal["hold"]
    voltage: Voltage
    """Cell voltage against the anode."""
    duration: Time


Step = Annotated[Discharge | Charge | Rest | Hold, Field(discriminator="step")]


class Diffusion(_Model):
    """Li diffusion in the active regions, driven by the protocol's current (lithiation model diffusion)."""

    diffusivity: Diffusivity
    stress_assisted: bool
    """Required: whether the flux has the stress term -D Omega c grad(sigma_h) / RT (two-way coupling)."""
    partial_molar_volume: MolarVolume | None = None
    """Omega; default: consistent with the swelling, (Jg(1) - Jg(0)) / (c_max Jg(xi0))."""
    max_concentration: Concentration | None = None
    """c_max at xi = 1 per reference volume; default: 2 Li per S atom of the active material's molar volume."""
    temperature: Temperature = 298.15
    regions: list[str] | None = None
    """Regions in which Li diffuses; default: every region whose material has an active phase."""
    surfaces: list[str] | None = None
    """Boundaries through which the current enters; default: the particle's surface, the inclusion's
    interface, or every interface:a/b between a diffusing and a non-diffusing region."""
    current_distribution: Literal["area", "volume"] = "area"
    """area: one flux density on all surfaces (current per particle in proportion to its interface area);
    volume: each region takes current in proportion to its volume (the same lithiation rate)."""


class EquilibriumPotential(_Model):
    """U(xi) of the cathode against the anode: a table, linear in between and beyond the ends."""

    xi: list[float] = Field(min_length=2)
    """Strictly increasing lithiation values."""
    voltage: list[float] = Field(min_length=2)
    """U at each xi, in V (plain numbers)."""

    @model_validator(mode="after")
    def _table(self) -> EquilibriumPotential:
        problems: list[tuple[Loc, str]] = []
        if len(self.voltage) != len(self.xi):
            problems.append((("voltage",), f"needs one value per xi ({len(self.xi)}), got {len(self.voltage)}"))
        if any(b <= a for a, b in zip(self.xi, self.xi[1:])):
            problems.append((("xi",), f"must increase strictly, got {self.xi}"))
        _report(problems)
        return self


class Electrode(_Model):
    """Li+ and electron conduction through the cathode and separator with Butler-Volmer kinetics
    (lithiation model electrode; chemomech.physics.transport)."""

    cathode: str = "cathode"
    """The composite cathode layer of the stack (its material needs a composition)."""
    separator: str = "separator"
    """The SE separator layer next to it; the layer beyond is the anode (reference electrode)."""
    electrolyte_phase: str = "electrolyte"
    """The cathode composition's SE phase (carries Li+)."""
    carbon_phase: str = "carbon"
    """The cathode composition's carbon phase (carries electrons)."""
    electrolyte_conductivity: Conductivity | None = None
    """Bulk ionic conductivity of the SE; default: the library value of the SE phase's material."""
    electronic_conductivity: Conductivity
    """Bulk electronic conductivity of the carbon phase."""
    cathode_tortuosity: float | None = Field(None, ge=1)
    """Tortuosity factor T (tau^2) of the cathode's SE network, sigma_eff = sigma eps / T; default Bruggeman eps^-0.5."""
    carbon_tortuosity: float | None = Field(None, ge=1)
    """Tortuosity factor of the carbon network; default Bruggeman."""
    separator_electrolyte_fraction: float = Field(1.0, gt=0, le=1)
    """Volume fraction of SE in the separator (1 - its porosity)."""
    separator_tortuosity: float | None = Field(None, ge=1)
    """Tortuosity factor of the separator; default Bruggeman."""
    particle_radius: Length = 1e-6
    """Active particle radius r: active surface per volume a = 3 f_a / r."""
    exchange_current: CurrentDensity
    """Cathode exchange current density i0 per active surface."""
    anode_exchange_current: CurrentDensity
    """Exchange current density of the anode (per its geometric area)."""
    transfer_coefficient: float = Field(0.5, gt=0, lt=1)
    """Anodic transfer coefficient alpha_a of both electrodes (alpha_c = 1 - alpha_a)."""
    temperature: Temperature = 298.15
    equilibrium_potential: EquilibriumPotential | None = None
    """U(xi) against the anode; default: the S/Li2S two-plateau curve against the anode material
    (Li_metal, indium or LTO)."""
    voltage_min: Voltage | None = None
    """Discharge cut-off: a discharge step ends early when the cell voltage falls to it."""
    voltage_max: Voltage | None = None
    """Charge cut-off: a charge step ends early when the cell voltage rises to it."""
    cathode_cells: int = Field(60, ge=2)
    """Elements through the cathode thickness (1D transport mesh)."""
    separator_cells: int = Field(10, ge=1)
    """Elements through the separator thickness."""

    @model_validator(mode="after")
    def _limits(self) -> Electrode:
        if self.voltage_min is not None and self.voltage_max is not None and self.voltage_min >= self.voltage_max:
            _report([(("voltage_max",), f"must exceed voltage_min ({self.voltage_min} V), got {self.voltage_max} V")])
        return self


class Lithiation(_Model):
    """How the degree of lithiation xi evolves."""

    model: Literal["uniform", "diffusion", "electrode"] = "uniform"
    """uniform: xi follows the protocol everywhere; diffusion: Li diffuses in the active regions (block diffusion);
    electrode: ion and electron transport through the cathode thickness with Butler-Volmer kinetics
    (block electrode)."""
    active_material: Literal["sulfur", "Li2S"] = "sulfur"
    """sulfur starts at xi = 0, Li2S at xi = 1."""
    cycles: int = Field(1, ge=1)
    """The protocol is repeated this many times."""
    protocol: list[Step] = Field(
        default_factory=lambda: [Discharge(step="discharge", rate=0.1, until_xi=1.0)], min_length=1
    )
    diffusion: Diffusion | None = None
    """Settings of the diffusion model; required with model diffusion, only there."""
    electrode: Electrode | None = None
    """Settings of the electrode model; required with model electrode, only there."""

    MODEL_BLOCKS: ClassVar[dict[str, str]] = {"diffusion": "diffusion", "electrode": "electrode"}
    """Model -> the block of its settings (a model without one, uniform, takes none)."""

    @model_validator(mode="after")
    def _model_block(self) -> Lithiation:
        problems: list[tuple[Loc, str]] = []
        for model, block in self.MODEL_BLOCKS.items():
            given = getattr(self, block) is not None
            if model == self.model and not given:
                problems.append(((block,), f"required field is missing (lithiation model {model!r} needs it)"))
            elif given and model != self.model:
                problems.append(((block,), f"only for lithiation model {model!r}, not {self.model!r}"))
        for index, step in enumerate(self.protocol):
            if step.step == "hold" and self.model != "electrode":
                problems.append((("protocol", index, "step"), f"a hold needs lithiation model 'electrode', not {self.model!r}"))
        _report(problems)
        return self

    @model_validator(mode="after")
    def _feasible_protocol(self) -> Lithiation:
        # Imported here: chemomech.materials imports the unit registry of this package.
        from chemomech.case.protocol import ProtocolError, protocol_segments

        try:
            protocol_segments(self)
        except ProtocolError as err:
            _report([(("protocol", err.index), err.message)])
        return self


class Fixture(_Model):
    """How the stack is held: preload, then pressure, gap or spring."""

    preload: Pressure = 0.0
    preload_steps: int = Field(1, ge=1)
    type: Literal["pressure", "gap", "spring"]
    pressure: Pressure | None = None
    """Type pressure: plunger pressure while cycling (default: preload)."""
    frame_stiffness: Stiffness | None = None
    """Type spring: P = P0 + k_f dh / A."""

    @model_validator(mode="after")
    def _type_fields(self) -> Fixture:
        problems: list[tuple[Loc, str]] = []
        if self.pressure is not None and self.type != "pressure":
            problems.append((("pressure",), f"only for fixture type 'pressure', not {self.type!r}"))
        if self.type == "spring" and self.frame_stiffness is None:
            problems.append((("frame_stiffness",), "required field is missing (fixture type 'spring' needs it)"))
        if self.type != "spring" and self.frame_stiffness is not None:
            problems.append((("frame_stiffness",), f"only for fixture type 'spring', not {self.type!r}"))
        _report(problems)
        return self


class FibreBraggGratingSpec(_Model):
    """A fibre Bragg grating read from the host strain (physics.md section 7)."""

    type: Literal["fbg"]
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """Prefix of the sensor's series columns."""
    position: Annotated[list[Coordinate], Field(min_length=3, max_length=3)]
    """Centre of the grating, Cartesian (x, y, z), z along the stack axis."""
    axis: Annotated[list[float], Field(min_length=3, max_length=3)]
    """Fibre direction (need not be normalised)."""
    transverse: Annotated[list[float], Field(min_length=3, max_length=3)] | None = None
    """Polarisation axis x' of the fibre (projected normal to the axis); default: any normal."""
    grating_length: Length
    samples: int = Field(21, ge=2)
    """Points along the grating at which the strain is read and averaged."""
    wavelength: Length = 1.55e-6
    fibre: str = "silica_fibre"
    """Library material with refractive_index, p11, p12 and temperature_sensitivity."""
    temperature_change: TemperatureChange = 0.0
    """Uniform temperature change seen by the grating (no thermal model)."""

    @field_validator("axis")
    @classmethod
    def _nonzero(cls, axis: list[float]) -> list[float]:
        if not any(axis):
            raise value_error("a non-zero direction such as [0, 0, 1]", show_value(axis))
        return axis

    @model_validator(mode="after")
    def _transverse(self) -> FibreBraggGratingSpec:
        if self.transverse is not None:
            norm = sum(a * a for a in self.axis) ** 0.5
            along = sum(t * a for t, a in zip(self.transverse, self.axis, strict=True)) / norm
            if sum(t * t for t in self.transverse) - along**2 <= 1e-12 * sum(t * t for t in self.transverse) + 1e-300:
                _report([(("transverse",), "must not be parallel to the axis")])
        return self

    @field_validator("fibre")
    @classmethod
    def _fibre(cls, fibre: str) -> str:
        from chemomech.materials import default_library

        library = default_library()
        needed = {"refractive_index", "p11", "p12", "temperature_sensitivity"}
        candidates = [name for name in library.names() if needed <= set(library.get(name))]
        if fibre not in candidates:
            _report([((), unknown_name("fibre material", fibre, candidates))])
        return fibre


SNAPSHOT_KEYWORDS = ("preload", "first_cycle", "all_cycles", "end")
_SNAPSHOT_EXPECTED = f"a step number, a time like '2 h' or one of {', '.join(SNAPSHOT_KEYWORDS)}"


def _snapshot(value):
    """A snapshot time: a step number (int), a time (float, in s) or a keyword (str)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.strip() in SNAPSHOT_KEYWORDS:
        return value.strip()
    if isinstance(value, str) and any(c.isdigit() for c in value):
        try:
            return to_si(value, "time", "[time]", "2 h", "non-negative")
        except PydanticCustomError as err:
            raise value_error(_SNAPSHOT_EXPECTED, err.context["got"]) from None
    raise value_error(_SNAPSHOT_EXPECTED, show_value(value))


Snapshot = Annotated[
    int | float | str,
    BeforeValidator(_snapshot),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string"}],
            "description": _SNAPSHOT_EXPECTED,
            "examples": [12, "2 h", "end"],
        }
    ),
]


class Outputs(_Model):
    """What is written besides the scalar series."""

    fields: bool = True
    """XDMF fields for ParaView."""
    field_every: int = Field(1, ge=1)
    figures: bool = True
    """PNG and SVG plots of the series under figures/ and report.html at the end of the run."""
    checkpoint_every: int = Field(10, ge=0)
    """Write a restart checkpoint every n steps; 0: never."""
    snapshots: list[Snapshot] = ["preload", "first_cycle", "end"]
    """Times of the field snapshots (figures/fields_step*.png; need fields and figures)."""


class CouplingAcceleration(_Model):
    """Acceleration of the coupling passes (chemomech.solve.anderson)."""

    method: Literal["anderson", "none"] = "anderson"
    """anderson: each further pass starts from an Anderson-mixed damage; none: plain alternation."""
    depth: int = Field(3, ge=1, le=20)
    """Previous passes mixed (m); also the plain passes with a falling residual before mixing resumes."""


class Coupling(_Model):
    """Alternation of coupled fields (transport, damage) with the mechanics within a step."""

    tolerance: float = Field(1e-6, gt=0, lt=1)
    """Largest relative change of any two-way coupled field in the last pass."""
    max_iterations: int = Field(30, ge=2)
    """Passes before the step is cut back."""
    acceleration: CouplingAcceleration = Field(default_factory=CouplingAcceleration)
    """Anderson acceleration of the two-way fields that support it (the damage)."""


class AdaptiveStepping(_Model):
    """Step lengths chosen after each step from its Newton iterations and its largest change of xi."""

    initial_time_step: Time
    min_time_step: Time
    max_time_step: Time
    target_xi_change: float = Field(0.02, gt=0, le=1)
    """Largest change of the lithiation of any cell the controller aims at per step."""
    easy_newton_iterations: int = Field(4, ge=1)
    """At most this many Newton iterations (per coupling pass): the step may grow."""
    hard_newton_iterations: int = Field(10, ge=2)
    """At least this many: the next step shrinks."""
    growth: float = Field(1.5, gt=1, le=10)
    shrink: float = Field(0.5, gt=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> AdaptiveStepping:
        problems: list[tuple[Loc, str]] = []
        if not self.min_time_step <= self.initial_time_step <= self.max_time_step:
            msg = (
                f"expected min_time_step <= initial_time_step <= max_time_step, got {self.min_time_step:g} s, "
                f"{self.initial_time_step:g} s, {self.max_time_step:g} s"
            )
            problems.append((("initial_time_step",), msg))
        if self.easy_newton_iterations >= self.hard_newton_iterations:
            msg = f"expected more than easy_newton_iterations ({self.easy_newton_iterations})"
            problems.append((("hard_newton_iterations",), msg))
        _report(problems)
        return self


class Solver(_Model):
    """Discretisation and nonlinear solver settings."""

    element_degree: Literal[1, 2] = 1
    quadrature_degree: Annotated[int, Field(ge=1)] | None = None
    """Default: 2 * element_degree."""
    linear_solver: Literal["gamg", "mumps"] = "gamg"
    amg_threshold: float | None = Field(None, ge=-1, lt=1)
    """GAMG's graph threshold (PETSc ``pc_gamg_threshold``): couplings |a_ij| below this
    fraction of √(a_ii a_jj) are left out of the aggregates; negative keeps every coupling.
    Default: AMG_THRESHOLD of the geometry type."""
    low_memory: bool = False
    """GAMG only: assemble the Jacobian point-wise (AIJ), which GAMG builds from directly,
    instead of in 3 × 3 blocks with a point-wise copy for GAMG: the block matrix's peak memory
    less (0.2 kB per displacement dof for a symmetric tangent, whose upper blocks alone are
    kept; 0.4 kB with creep or compaction), 1.3–1.5 times the time per Newton step
    (benchmarks/README.md, "Memory")."""
    newton_rtol: float = Field(1e-9, gt=0)
    newton_atol: float = Field(1e-10, gt=0)
    """On the residual norm, in N."""
    max_newton_iterations: int = Field(25, ge=1)
    max_cutbacks: int = Field(6, ge=0)
    """Step halvings before a clean failure."""
    max_xi_step: float = Field(0.05, gt=0, le=1)
    """Largest change of lithiation per time step."""
    max_time_step: Time | None = None
    """Largest time step (rests included); for creeping materials."""
    adaptive: AdaptiveStepping | None = None
    """Adaptive time stepping; replaces max_xi_step and max_time_step (one target per protocol step)."""
    coupling: Coupling = Field(default_factory=Coupling)
    """Staggered coupling of transport or damage with the mechanics (chemomech.solve.coupling)."""

    @model_validator(mode="after")
    def _one_step_control(self) -> Solver:
        if self.low_memory and self.linear_solver != "gamg":
            _report([(("low_memory",), "only with linear_solver gamg (MUMPS factorises a point-wise matrix)")])
        if self.adaptive is not None:
            fixed = sorted({"max_xi_step", "max_time_step"} & self.model_fields_set)
            msg = "not with adaptive (its target_xi_change and max_time_step bound every step)"
            _report([((name,), msg) for name in fixed])
        return self


class Risk(_Model):
    """Interface strengths for the opening risk of tagged internal interfaces (physics.md section 8).

    An interface without a strength here takes ``interface_strength``, else
    the smaller library tensile strength of the two materials it joins (a
    bonded interface is no stronger than its weaker side: an upper bound).
    """

    interface_strength: Stress | None = None
    """Normal strength of every internal interface not named in ``interfaces``."""
    interfaces: dict[str, Stress] = {}
    """Interface name (as in the series columns, e.g. 'cathode/separator') -> normal strength."""


def interface_names(geometry) -> list[str]:
    """The internal interfaces a geometry can have, named as in the series columns.

    Consecutive layers of a stack (lower/upper), the inclusion's single
    ``interface``, any two regions of a box (RVE, voxel, mesh) in region order.
    """
    if geometry.type == "inclusion":
        return ["interface"]
    names = list(geometry.regions())
    if geometry.type == "stack":
        return [f"{lower}/{upper}" for lower, upper in pairwise(names)]
    return [f"{a}/{b}" for i, a in enumerate(names) for b in names[i + 1 :]]


class Case(_Model):
    """A chemomech case file, version 1."""

    version: Literal[1] = 1
    name: str = Field("case", min_length=1, pattern=r"^[^/\\]+$")
    """Names the results folder; the loader defaults it to the file name."""
    description: str = ""
    geometry: Annotated[
        StackGeometry | InclusionGeometry | ParticleGeometry | RVEGeometry | VoxelGeometry | MeshFileGeometry,
        Field(discriminator="type"),
    ]
    materials: dict[str, MaterialSpec] = {}
    mechanics: Mechanics = Field(default_factory=Mechanics)
    lithiation: Lithiation = Field(default_factory=Lithiation)
    fixture: Fixture | None = None
    """Required for geometries with a top plunger (stack, rve, voxel, mesh), not allowed otherwise."""
    sensors: list[FibreBraggGratingSpec] = []
    """Fibre Bragg gratings; stacks always carry a load cell and a dilatometer."""
    outputs: Outputs = Field(default_factory=Outputs)
    solver: Solver = Field(default_factory=Solver)
    risk: Risk = Field(default_factory=Risk)
    """Interface strengths for the crack-risk outputs (material strengths are under materials.X.fracture)."""

    @model_validator(mode="after")
    def _cross_checks(self) -> Case:
        problems: list[tuple[Loc, str]] = []
        if self.geometry.has_plunger and self.fixture is None:
            msg = f"required field is missing ({self.geometry.type} geometries need a fixture)"
            problems.append((("fixture",), msg))
        if not self.geometry.has_plunger and self.fixture is not None:
            problems.append((("fixture",), f"only for geometries with a plunger, not {self.geometry.type!r}"))
        known = [*self.materials, *(n for n in _builtin_names() if n not in self.materials)]
        for loc, name in self.geometry.material_fields().items():
            if name not in known:
                problems.append((("geometry", *loc), unknown_name("material", name, known)))
            elif self.mechanics.kinematics != "finite_strain" and self._inelastic(name):
                msg = f"material {name!r} {self._inelastic(name)}, which needs mechanics.kinematics: finite_strain"
                problems.append((("geometry", *loc), msg))
        for name, spec in self.materials.items():
            if spec.composition is not None:
                where = ("materials", name, "composition")
                problems += [((*where, *loc), msg) for loc, msg in self._composition_problems(spec.composition, known)]
        if not problems and self.geometry.type == "stack":
            problems += _balance_problems(self)
        if not problems and self.lithiation.diffusion is not None:
            problems += _diffusion_problems(self)
        if not problems and self.lithiation.electrode is not None:
            problems += _electrode_problems(self)
        if self.mechanics.formulation == "mixed":
            problems += _mixed_solver_problems(self.solver)
        if self.solver.amg_threshold is None:
            self.solver.amg_threshold = AMG_THRESHOLD.get(self.geometry.type, -1.0)
        first: dict[str, int] = {}
        for i, sensor in enumerate(self.sensors):
            j = first.setdefault(sensor.name, i)
            if j != i:
                problems.append((("sensors", i, "name"), f"duplicate sensor name {sensor.name!r} (also sensors[{j}])"))
        known_interfaces = interface_names(self.geometry)
        for name in self.risk.interfaces:
            if name not in known_interfaces:
                problems.append((("risk", "interfaces", name), unknown_name("interface", name, known_interfaces)))
        if self.mechanics.formulation == "mixed" and any(self._inelastic(n) for n in self.geometry.regions().values()):
            problems.append((("mechanics", "formulation"), "compaction and creep need the displacement formulation"))
        for name, spec in self.materials.items():
            problems += self._phase_field_problems(name, spec)
        _report(problems)
        return self

    def _phase_field_problems(self, name: str, spec: MaterialSpec) -> list[tuple[Loc, str]]:
        """A phase field needs the displacement formulation and a G_c."""
        pf, where = spec.phase_field, ("materials", name, "phase_field")
        if pf is None:
            return []
        problems: list[tuple[Loc, str]] = []
        if self.mechanics.formulation == "mixed":
            problems.append((where, "phase-field fracture needs mechanics.formulation: displacement"))
        toughness_given = spec.fracture is not None and spec.fracture.fracture_toughness is not None
        library = spec.base or name
        if pf.fracture_energy is None and not (toughness_given or _library_has_toughness(library)):
            message = f"required field is missing (the library has no fracture energy or toughness for {library!r})"
            problems.append(((*where, "fracture_energy"), message))
        return problems

    def _inelastic(self, name: str) -> str:
        """'compacts' or 'creeps' for a material of the case with an inelastic law, else ''."""
        spec = self.materials.get(name)
        if spec is None:
            return ""  # built-ins are elastic; creep is asked for with a creep block
        return "compacts" if spec.compaction is not None else "creeps" if spec.creeps else ""

    def _composition_problems(self, composition: Composition, known: list[str]) -> list[tuple[Loc, str]]:
        """Phase materials known and plain, one active phase matching the lithiation, densities for weight."""
        # Imported here: chemomech.materials imports the unit registry of this package.
        from chemomech.materials.resolve import material_density, material_is_active

        problems: list[tuple[Loc, str]] = []
        active = []
        for phase_name, phase in composition.phases.items():
            loc = ("phases", phase_name, "material")
            if phase.material not in known:
                problems.append((loc, unknown_name("material", phase.material, known)))
                continue
            spec = self.materials.get(phase.material)
            if spec is not None and spec.composition is not None:
                problems.append((loc, f"expected a plain material, got the composite {phase.material!r}"))
                continue
            if material_is_active(phase.material, self.materials):
                active.append(phase_name)
                lithiated = phase.material if spec is None else spec.base
                if lithiated in ("sulfur", "Li2S") and lithiated != self.lithiation.active_material:
                    msg = (
                        f"the phase is {lithiated} but lithiation.active_material is "
                        f"{self.lithiation.active_material!r}: fractions are given as fabricated"
                    )
                    problems.append((loc, msg))
            if composition.basis == "weight" and phase.density is None:
                if material_density(phase.material, self.materials) is None:
                    msg = (
                        "required field is missing "
                        f"(basis weight needs it; the library has no density of {phase.material!r})"
                    )
                    problems.append((("phases", phase_name, "density"), msg))
        if not problems and len(active) != 1:
            got = "none" if not active else f"{len(active)}: " + ", ".join(active)
            msg = f"expected exactly one active (swelling) phase such as sulfur or Li2S, got {got}"
            problems.append((("phases",), msg))
        return problems


def _diffusion_problems(case: Case) -> list[tuple[Loc, str]]:
    """Diffusion regions that are not regions of the geometry or do not lithiate."""
    from chemomech.materials.resolve import material_is_active

    regions = case.geometry.regions()
    problems: list[tuple[Loc, str]] = []
    for i, name in enumerate(case.lithiation.diffusion.regions or []):
        loc = ("lithiation", "diffusion", "regions", i)
        if name not in regions:
            problems.append((loc, unknown_name("region", name, list(regions))))
        elif not material_is_active(regions[name], case.materials):
            msg = f"region {name!r} has no active phase (its material {regions[name]!r} does not lithiate)"
            problems.append((loc, msg))
    if case.lithiation.diffusion.regions is None and not any(
        material_is_active(material, case.materials) for material in regions.values()
    ):
        problems.append((("lithiation", "diffusion"), "no region has an active phase in which Li could diffuse"))
    return problems


def _electrode_problems(case: Case) -> list[tuple[Loc, str]]:
    """The electrode model's layers, phases and default curve against the stack and materials."""
    from chemomech.physics.transport.ocv import ANODE_POTENTIAL_VS_LI

    spec = case.lithiation.electrode
    where = ("lithiation", "electrode")
    if case.geometry.type != "stack":
        return [(("lithiation", "model"), f"model 'electrode' needs a stack geometry, not {case.geometry.type!r}")]
    names = [layer.name for layer in case.geometry.layers]
    problems: list[tuple[Loc, str]] = []
    for field in ("cathode", "separator"):
        if getattr(spec, field) not in names:
            problems.append(((*where, field), unknown_name("layer", getattr(spec, field), names)))
    if problems:
        return problems
    cathode, separator = names.index(spec.cathode), names.index(spec.separator)
    anode = 2 * separator - cathode
    if abs(cathode - separator) != 1 or not 0 <= anode < len(names):
        return [((*where, "separator"), f"must lie between the cathode {spec.cathode!r} and an anode layer, "
                 f"layers are {names}")]
    material = case.geometry.layers[cathode].material
    composition = case.materials[material].composition if material in case.materials else None
    if composition is None:
        return [((*where, "cathode"), f"the cathode's material {material!r} needs a composition (phase fractions)")]
    for field in ("electrolyte_phase", "carbon_phase"):
        if getattr(spec, field) not in composition.phases:
            problems.append(((*where, field), unknown_name("phase", getattr(spec, field), list(composition.phases))))
    if not problems and spec.electrolyte_conductivity is None:
        se = composition.phases[spec.electrolyte_phase].material
        if _library_value(se, "ionic_conductivity") is None:
            problems.append(((*where, "electrolyte_conductivity"),
                             f"required field is missing (the library has no ionic_conductivity of {se!r})"))
    anode_material = case.geometry.layers[anode].material
    if spec.equilibrium_potential is None and anode_material not in ANODE_POTENTIAL_VS_LI:
        problems.append(((*where, "equilibrium_potential"),
                         f"required field is missing (no default curve against the anode material {anode_material!r}; "
                         f"defaults exist against {sorted(ANODE_POTENTIAL_VS_LI)})"))
    return problems


def _library_value(material: str, prop: str) -> float | None:
    """A property of a library material, or None."""
    from chemomech.materials import default_library

    library = default_library()
    if material not in library.names():
        return None
    found = library.get(material).get(prop)
    return None if found is None else found.value


AMG_THRESHOLD = {"stack": 0.005}
"""Default GAMG graph threshold per geometry type; the others keep every coupling (-1, PETSc's default).

Measured on the 3D stack benchmark (benchmarks/stack_scaling.py: a soft composite
cathode, the separator and a stiff anode in layers of flat elements): CG
iterations per Newton step 17 → 23 from 50k to 1M dofs with every coupling kept,
15 → 16 with 0.005, and 1–6 % less time per Newton step. On the inclusion and the
particle RVE (round inclusions, no layers) the same threshold saves 5–10 % of the
iterations but its denser coarse levels cost 9–17 % more time per Newton step.
"""

MIXED_SOLVER = {"element_degree": 2, "linear_solver": "mumps"}
"""What the mixed formulation needs: P2–P0 elements, and LU for its saddle point."""


def _mixed_solver_problems(solver: Solver) -> list[tuple[Loc, str]]:
    """Settings the mixed formulation cannot use; unset ones take its defaults (MIXED_SOLVER)."""
    problems: list[tuple[Loc, str]] = []
    for name, needed in MIXED_SOLVER.items():
        if name not in solver.model_fields_set:
            setattr(solver, name, needed)
        elif getattr(solver, name) != needed:
            msg = (
                f"mechanics.formulation mixed needs {name} {needed!r}, got {getattr(solver, name)!r} "
                "(P2 displacement with a DG0 pressure, a saddle point solved by LU)"
            )
            problems.append((("solver", name), msg))
    return problems


def _balance_problems(case: Case) -> list[tuple[Loc, str]]:
    """A counter electrode the protocol would strip away, or more than one candidate."""
    from chemomech.case.protocol import (
        ProtocolError,
        initial_lithiation,
        protocol_segments,
    )
    from chemomech.materials import resolve_materials
    from chemomech.physics.electrode_balance import BalanceError, electrode_balance

    try:
        segments = protocol_segments(case.lithiation)
    except ProtocolError:  # reported by the lithiation model itself
        return []
    xi0 = initial_lithiation(case.lithiation)
    visited = [xi0, *(s.xi_end for s in segments)]
    try:
        balance = electrode_balance(
            case.geometry.layers, resolve_materials(case), case.lithiation.active_material, xi0
        )
        if balance is not None:
            index = [layer.name for layer in case.geometry.layers].index(balance.counter) if balance.counter else 0
            balance.check((min(visited), max(visited)), index)
    except BalanceError as err:
        return [(("geometry", "layers", err.layer, err.field), str(err))]
    return []
