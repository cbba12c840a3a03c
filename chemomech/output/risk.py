"""Crack risk per region and interface (physics.md section 8).

With σ1 the maximum principal Cauchy stress (chemomech.output.stress) and
the fracture properties of each region's material
(chemomech.materials.fracture):

* risk ratio R = σ1 / σ_t: a DG0 field of the cell means and its largest
  value per region, signed (R ≤ 0 in compression; R ≥ 1: the region is
  expected to crack);
* critical flaw size a_c = (1/π) (K_IC / (Y σ1))²: a DG0 field and its
  smallest value per region. It is capped at FLAW_CAP = 1 m, the value
  also taken where σ1 ≤ 0 (no flaw of any size grows), so the field stays
  finite for ParaView. Where a_c is below the typical flaw size (pores,
  particles) the region is expected to crack;
* Weibull failure probability, tension only (⟨x⟩ = max(x, 0)),

      P_f = 1 − exp[−(1/V0) ∫ (⟨σ1⟩/σ0)^m dV] = 1 − exp[−(V_eff/V0)(σ̂/σ0)^m],
      V_eff = ∫ (⟨σ1⟩/σ̂)^m dV,

  with σ̂ the largest σ1 at any quadrature point of the region (so
  V_eff ≤ V). The integral is the volume quadrature of the mechanics with
  σ1 at the points (the m-th power of a varying stress is not that of its
  cell mean) and dV = |det J| w_q, times 2π r in axisymmetry. In plane
  strain the model is a slice 1 m deep, so V_eff is the volume of that
  slice and P_f that of a 1 m long body. Without tension anywhere,
  V_eff = P_f = 0;
* opening risk of a tagged internal interface: its largest normal traction
  (chemomech.output.interfaces) over its normal strength, signed like R.

A region whose material lacks the parameters of a measure gets no column
for it and NaN in its field. Extremes are over owned cells and integrals
summed over owned cells, both MPI-reduced.
"""

import math

import numpy as np
import ufl

from chemomech.dolfinx_compat import MPI, dolfinx

FLAW_CAP = 1.0
"""Largest critical flaw size reported, m (also where σ1 ≤ 0)."""
MICROMETRE = 1.0e6
LARGEST = ("_risk_ratio_max [-]", "_failure_probability [-]", "_effective_volume [m3]", "_opening_risk_max [-]")
"""Column suffixes whose extreme over a run is the largest value; the critical flaw size takes the smallest."""
SMALLEST = ("_critical_flaw_size_min [um]",)


def critical_flaw_size(sigma1: np.ndarray, toughness: float, geometry_factor: float) -> np.ndarray:
    """a_c = (1/π) (K_IC / (Y σ1))², at most FLAW_CAP (which it is where σ1 ≤ 0)."""
    sigma1 = np.asarray(sigma1, dtype=float)
    flaw = np.full(sigma1.shape, FLAW_CAP)
    growing = sigma1 > toughness / (geometry_factor * math.sqrt(math.pi * FLAW_CAP))
    flaw[growing] = (toughness / (geometry_factor * sigma1[growing])) ** 2 / math.pi
    return flaw


def weibull(sigma1: np.ndarray, volumes: np.ndarray, props, comm) -> tuple[float, float]:
    """(P_f, V_eff) of the points' σ1 with their volumes (owned points of a region on each rank)."""
    peak = comm.allreduce(float(sigma1.max(initial=-np.inf)), op=MPI.MAX)
    if peak <= 0:
        return 0.0, 0.0
    ratio = np.maximum(sigma1, 0.0) / peak
    effective_volume = comm.allreduce(float(np.sum(volumes * ratio**props.weibull_modulus)))
    with np.errstate(over="ignore"):
        exponent = effective_volume / props.weibull_volume * np.power(peak / props.weibull_scale, props.weibull_modulus)
    return float(-np.expm1(-exponent)), effective_volume


def interface_regions(domain) -> dict[str, tuple[str, ...]]:
    """Internal interface (as in the series columns) -> the two regions it joins."""
    found = {}
    for name in domain.boundaries:
        if name.startswith("interface"):
            short = name.removeprefix("interface:")
            found[short] = tuple(short.split("/")) if "/" in short else tuple(domain.regions)  # the inclusion's
    return found


def _point_volumes(model) -> np.ndarray:
    """dV at the volume quadrature points of the local cells (with ghosts): |det J| w_q (2π r)."""
    mesh = model.domain.mesh
    index_map = mesh.topology.index_map(mesh.topology.dim)
    cells = np.arange(index_map.size_local + index_map.num_ghosts, dtype=np.int32)
    jacobian = abs(ufl.JacobianDeterminant(mesh)) * model.weight
    values = dolfinx.fem.Expression(jacobian, model.quadrature_points).eval(mesh, cells)
    return values.reshape(cells.size, -1) * model.quadrature_weights


def update_extremes(extremes: dict[str, float], row: dict[str, float]) -> None:
    """Fold a series row's risk columns into their extremes over the run so far."""
    for column, value in row.items():
        if column.endswith(LARGEST):
            extremes[column] = max(value, extremes.get(column, -math.inf))
        elif column.endswith(SMALLEST):
            extremes[column] = min(value, extremes.get(column, math.inf))


class RiskMeasures:
    """Risk fields and series columns.

    ``fracture``: region -> FractureProperties (regions with at least one
    measure); ``strengths``: interface -> (normal strength in Pa, source).
    """

    def __init__(self, model, stresses, fracture: dict, strengths: dict[str, tuple[float, str]]):
        self.stresses = stresses
        self.strengths = strengths
        domain = model.domain
        self._comm = domain.mesh.comm
        self._dofs = domain.cell_dofs
        self.risk_ratio = self.critical_flaw_size = None  # DG0 fields only where the stress fields are kept
        if stresses.keep_fields:
            self.risk_ratio = dolfinx.fem.Function(domain.cell_space, name="risk_ratio")
            self.critical_flaw_size = dolfinx.fem.Function(domain.cell_space, name="critical_flaw_size")
            for function in (self.risk_ratio, self.critical_flaw_size):
                function.x.array[:] = np.nan
        volumes = None
        if any(props.weibull for props in fracture.values()):
            stresses.keep_point_sigma1()
            volumes = _point_volumes(model)
        self._regions = {}
        for region, props in fracture.items():
            mine = domain.owned_region_cells[region]
            weibull_volumes = volumes[mine] if props.weibull else None  # 8 B per cell and point: only where needed
            self._regions[region] = (props, domain.region_cells[region], mine, weibull_volumes)

    def fields(self) -> list:
        """The DG0 Functions with data somewhere (written to fields.xdmf); none without the stress fields."""
        props = [p for p, *_ in self._regions.values()]
        found = []
        if self.risk_ratio is None:
            return found
        if any(p.tensile_strength is not None for p in props):
            found.append(self.risk_ratio)
        if any(p.fracture_toughness is not None for p in props):
            found.append(self.critical_flaw_size)
        return found

    def update(self) -> None:
        """Re-evaluate the fields, if kept, from the stresses' current σ1 (call after stresses.update)."""
        if self.risk_ratio is None:
            return
        sigma1 = self.stresses.sigma1.x.array
        for props, cells, *_ in self._regions.values():
            dofs = self._dofs[cells]
            if props.tensile_strength is not None:
                self.risk_ratio.x.array[dofs] = sigma1[dofs] / props.tensile_strength
            if props.fracture_toughness is not None:
                self.critical_flaw_size.x.array[dofs] = critical_flaw_size(
                    sigma1[dofs], props.fracture_toughness, props.geometry_factor
                )

    def columns(self, interface_statistics: dict[str, dict[str, float]]) -> dict[str, float]:
        """Series columns: per region R max, P_f, V_eff, a_c min; per interface with a strength the opening risk.

        ``interface_statistics`` are InterfaceTractions.statistics() (Pa).
        """
        row = {}
        for region, (props, _, cells, volumes) in self._regions.items():
            peak = self.stresses.sigma1_max(region)
            if props.tensile_strength is not None:
                row[f"{region}_risk_ratio_max [-]"] = peak / props.tensile_strength
            if props.weibull:
                probability, effective_volume = weibull(self.stresses.point_sigma1(cells), volumes, props, self._comm)
                row[f"{region}_failure_probability [-]"] = probability
                row[f"{region}_effective_volume [m3]"] = effective_volume
            if props.fracture_toughness is not None:
                flaw = critical_flaw_size(np.array([peak]), props.fracture_toughness, props.geometry_factor)[0]
                row[f"{region}_critical_flaw_size_min [um]"] = flaw * MICROMETRE
        for name, values in interface_statistics.items():
            short = name.removeprefix("interface:")
            if short in self.strengths:
                row[f"{short}_opening_risk_max [-]"] = values["normal_traction_max"] / self.strengths[short][0]
        return row

    def describe(self) -> dict:
        """The parameters used, with sources, for summary.json."""
        return {
            "regions": {region: props.describe() for region, (props, *_) in self._regions.items()},
            "interfaces": {name: {"strength": s, "source": src} for name, (s, src) in self.strengths.items()},
        }
