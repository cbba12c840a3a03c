"""Outputs of the quadrature-point history: porosity and creep strain.

Cell fields (DG0, quadrature-weighted cell means) for ParaView, and per
region the volume mean of the porosity, ∫ φ dV / ∫ dV, of compacting
regions and the largest equivalent creep strain at any quadrature point of
creeping regions (MPI-reduced over owned cells).
"""

import numpy as np

from chemomech.dolfinx_compat import MPI, dolfinx


class HistoryOutputs:
    """Observes a model's InelasticState after each converged step."""

    def __init__(self, model):
        self.state = state = model.inelastic
        mesh = model.domain.mesh
        space = model.domain.cell_space
        self._comm = mesh.comm
        owned = mesh.topology.index_map(mesh.topology.dim).size_local
        self._regions = []
        self._fields = {}
        for region in state.regions:
            kind = "porosity" if region.compaction is not None else "creep_strain"
            if kind not in self._fields:
                self._fields[kind] = dolfinx.fem.Function(space, name=kind)
            tag = model.domain.regions[region.name]
            mean = None
            if kind == "porosity":
                mean = (
                    dolfinx.fem.form(state.porosity * model.weight * model.dx(tag)),
                    dolfinx.fem.form(model.weight * model.dx(tag)),
                )
            owned_points = (region.cells < owned).repeat(len(state.weights))
            self._regions.append((region, kind, space.dofmap.list[region.cells, 0], owned_points, mean))
        self._weights = state.weights / state.weights.sum()

    def fields(self) -> list:
        """The DG0 Functions written to fields.xdmf."""
        return list(self._fields.values())

    def _points(self, region, kind) -> np.ndarray:
        source = self.state.porosity if kind == "porosity" else self.state.creep_strain
        return source.x.array[region.dofs]

    def update(self) -> None:
        """Cell means of the current history."""
        for region, kind, cell_dofs, _, _ in self._regions:
            values = self._points(region, kind).reshape(len(region.cells), len(self._weights)) @ self._weights
            self._fields[kind].x.array[cell_dofs] = values

    def region_statistics(self) -> dict[str, dict[str, float]]:
        """Per region: porosity_mean (compaction) or creep_strain_max (creep), dimensionless."""
        stats = {}
        for region, kind, _, owned_points, mean in self._regions:
            if kind == "porosity":
                integral, volume = (self._comm.allreduce(dolfinx.fem.assemble_scalar(f)) for f in mean)
                stats[region.name] = {"porosity_mean": integral / volume}
            else:
                values = self._points(region, kind)[owned_points]
                local = float(values.max()) if values.size else 0.0
                stats[region.name] = {"creep_strain_max": self._comm.allreduce(local, op=MPI.MAX)}
        return stats
