"""``chemomech homogenize``: the apparent response of an RVE case at a sequence of ξ.

Writes, from rank 0, into the output directory:

* ``homogenized.csv`` — the table of chemomech.upscale.table, one row per ξ
  and boundary condition, that a cell-scale case names as a material;
* ``homogenized.json`` — the full apparent stiffness tensors and swelling
  strains (Voigt, chemomech.upscale.voigt), the phase fractions, the active
  fraction (volume share of lithiating material, which a cell case using the
  table takes by default), the case, versions and rank count;
* ``microstructure.json`` — the RVE's metrics, as ``chemomech run`` writes them.
"""

from __future__ import annotations

import time
from pathlib import Path

from chemomech.dolfinx_compat import MPI
from chemomech.errors import SolverFailure
from chemomech.output.provenance import environment, package_versions, write_json_atomic
from chemomech.materials.tabulated import BOUNDARY_CONDITIONS
from chemomech.upscale.apparent import RVELoading
from chemomech.upscale.table import phase_bounds, table_row, write_table

BOX_GEOMETRIES = ("rve", "voxel", "mesh")
DEFAULT_XI = (0.0, 0.25, 0.5, 0.75, 1.0)


def homogenize_case(
    case, outdir: Path, xi_values=DEFAULT_XI, *, comm=MPI.COMM_WORLD, announce=print, mesh_dir: Path | None = None
) -> list[dict]:
    """Solve the RVE load cases at every ξ, write the outputs; return the table rows (on every rank).

    With ``mesh_dir`` the RVE is read from that pre-meshed directory (chemomech mesh).
    """
    start = time.perf_counter()
    loading = RVELoading(case, comm, mesh_dir)
    try:
        fractions, active, rows, states = _solve_table(loading, xi_values, comm, announce)
    except SolverFailure:  # raised on every rank together: the collective close is safe
        loading.close()
        raise
    # Any other exception may be this rank's alone: a collective close could then
    # wait forever for ranks that never join it, so the solvers are left to exit.
    loading.close()
    if comm.rank == 0:
        outdir.mkdir(parents=True, exist_ok=True)
        write_table(outdir / "homogenized.csv", rows)
        record = {
            "case": case.name,
            **environment(comm),
            "versions": package_versions(),
            "voigt_order": "xx, yy, zz, yz, xz, xy (3D); xx, zz, xz (plane strain); engineering shear strains",
            "box [m]": loading.lengths.tolist(),
            **({"premeshed": loading.domain.source} if loading.domain.source else {}),
            "volume_fractions [-]": fractions,
            "active_fraction [-]": active,
            "states": states,
            "wall_time_s": time.perf_counter() - start,
        }
        write_json_atomic(outdir / "homogenized.json", record)
        if loading.domain.metrics:
            write_json_atomic(outdir / "microstructure.json", {"case": case.name, **loading.domain.metrics})
    comm.barrier()
    return rows


def _solve_table(loading: RVELoading, xi_values, comm, announce) -> tuple[dict, float, list[dict], list[dict]]:
    """Phase fractions, active fraction, table rows and states of both boundary conditions at every ξ."""
    fractions = loading.phase_fractions()
    active = sum(share * loading.materials[name].active_fraction for name, share in fractions.items() if name != "void")
    scale = loading.fields.max_youngs_modulus
    rows, states = [], []
    for xi in xi_values:
        apparent = loading.apparent(float(xi), scale)
        bounds = phase_bounds(loading.materials, fractions, float(xi))
        for bc in BOUNDARY_CONDITIONS:
            rows.append(table_row(apparent[bc], bounds))
            states.append({
                "xi [-]": float(xi),
                "boundary_conditions": bc,
                "stiffness [Pa]": apparent[bc].stiffness.tolist(),
                "swelling_strain [-]": apparent[bc].swelling_strain.tolist(),
            })
        if comm.rank == 0:
            ud, ut = rows[-2], rows[-1]
            announce(
                f"xi = {xi:.3f}: K = {ud['bulk_modulus [Pa]'] / 1e9:.4g} (UD) / {ut['bulk_modulus [Pa]'] / 1e9:.4g} "
                f"(UT) GPa, G = {ud['shear_modulus [Pa]'] / 1e9:.4g} / {ut['shear_modulus [Pa]'] / 1e9:.4g} GPa, "
                f"swelling strain {ud['swelling_strain [-]']:.4g} / {ut['swelling_strain [-]']:.4g}"
            )
    return fractions, active, rows, states
