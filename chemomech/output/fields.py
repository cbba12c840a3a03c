"""Fields for ParaView: ``fields.xdmf`` (+ ``.h5``), written collectively.

Displacement is written as P1 point data (interpolated when the solution is
P2), lithiation, the stress invariants and any history fields (porosity,
creep strain) as DG0 cell data, and the region tags once, so ParaView can
threshold by layer. The XDMF time value is the
step number of ``series.csv`` (the preload steps all sit at t = 0 s, and XDMF
needs distinct times); the series maps steps to times.
"""

from pathlib import Path

from chemomech.dolfinx_compat import dolfinx


class FieldWriter:
    """XDMF time series of displacement, lithiation and stress invariants."""

    def __init__(self, path: Path, model, material_fields, stresses, history_fields=()):
        mesh = model.domain.mesh
        self._file = dolfinx.io.XDMFFile(mesh.comm, str(path), "w")
        self._file.write_mesh(mesh)
        model.domain.cell_tags.name = "regions"
        self._file.write_meshtags(model.domain.cell_tags, mesh.geometry)
        self._u = model.u
        if model.space.element.basix_element.degree > 1:
            p1 = dolfinx.fem.functionspace(mesh, ("Lagrange", 1, (mesh.geometry.dim,)))
            self._u_out = dolfinx.fem.Function(p1, name="displacement")
        else:
            self._u_out = model.u
        self._cell_fields = [
            material_fields.xi,
            stresses.sigma1,
            stresses.sigma3,
            stresses.von_mises,
            stresses.hydrostatic,
            *history_fields,
        ]

    def write(self, step: int) -> None:
        if self._u_out is not self._u:
            self._u_out.interpolate(self._u)
        self._file.write_function(self._u_out, float(step))
        for field in self._cell_fields:
            self._file.write_function(field, float(step))

    def close(self) -> None:
        self._file.close()
