"""The damage problem at fixed displacement, solved with PETSc SNES.

Stationarity of the total energy ∫ [g(d) W⁺ + W⁻ + G_c γ(d, ∇d)] dV in d,
with W⁺ replaced by a driving energy D, gives the residual

    R(d; v) = ∫ χ [ g'(d) D v + G_c/(c_w ℓ) w'(d) v + 2 G_c ℓ/c_w ∇d·∇v ] dV,

linear in d (g' = −2(1 − d), w' = 1 for AT1, 2d for AT2), with χ the
indicator of the phase-field regions. Irreversibility:

* AT2: D = H, the history field H = max over the steps of W⁺ at the
  quadrature points (Miehe, Hofacker & Welschinger, CMAME 2010); the
  problem is solved as it stands, and d ≥ d_n follows from H ≥ H_n.
* AT1: D = W⁺(u), and d_n ≤ d ≤ 1 is imposed as a variational inequality
  (SNES ``vinewtonrsls``, a reduced-space active-set Newton method).
  Mixed AT1/AT2 regions are solved together under those bounds.

Nodes that touch no phase-field cell are held at d = 0; nodes on the
boundary of a phase-field region take the natural condition ∇d·n = 0.

Step protocol (a coupled field of the stepper): ``begin_step`` sets the
bounds from the committed d_n, ``solve()`` updates H from the current
displacement and solves for d, reporting the largest change of d since
the previous solve of the step; ``commit()`` and ``restore()`` move the
committed state. ``accelerate(mixing)`` replaces the last update by an
Anderson-mixed one (chemomech.solve.anderson) before another pass.
"""

import basix.ufl
import numpy as np
import ufl

from chemomech.dolfinx_compat import MPI, PETSc, dolfinx
from chemomech.physics.fracture.crack_density import degradation_slope
from chemomech.solve.coupling import CoupledSolve
from chemomech.solve.newton import forget_options
from chemomech.solve.release import destroy_problem


def damage_options(linear_solver: str, variational_inequality: bool, atol: float) -> dict:
    """SNES/KSP options: a linear solve (AT2) or the active-set VI Newton (AT1)."""
    options = {
        "snes_type": "vinewtonrsls" if variational_inequality else "newtonls",
        "snes_linesearch_type": "basic",
        "snes_rtol": 1e-9,
        "snes_atol": atol,
        "snes_stol": 0.0,
        "snes_max_it": 50,
    }
    if linear_solver == "mumps":
        return options | {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
    return options | {"ksp_type": "cg", "ksp_rtol": 1e-10, "pc_type": "gamg"}


class DamageProblem:
    """d of a PhaseField driven by the tensile energy of a MechanicsModel (a coupled field, solve.coupling).

    ``change`` is max |Δd|, already relative (d ∈ [0, 1]).
    """

    name = "damage"
    before_mechanics = False
    two_way = True

    def __init__(self, phase_field, model, *, linear_solver: str = "mumps", prefix: str = "chemomech_damage_"):
        self.phase_field = phase_field
        self.model = model
        mesh = model.domain.mesh
        pf = phase_field
        self.d = pf.d
        self.d_n = dolfinx.fem.Function(pf.space, name="damage_committed")
        self.d_before = dolfinx.fem.Function(pf.space, name="damage_before_solve")
        degree = model.dx.metadata()["quadrature_degree"]
        cell = mesh.topology.cell_name()
        element = basix.ufl.quadrature_element(cell, value_shape=(), scheme="default", degree=degree)
        points_space = dolfinx.fem.functionspace(mesh, element)
        self.history = dolfinx.fem.Function(points_space, name="tensile_energy_history")
        self.history_n = dolfinx.fem.Function(points_space, name="tensile_energy_history_committed")
        self.tensile_energy = pf.tensile_energy(model.law.law, model.H)
        points, _ = points_space.ufl_element().custom_quadrature()
        self._tensile_at_points = dolfinx.fem.Expression(self.tensile_energy, points)
        self._cells = np.concatenate(list(pf.region_cells.values())).astype(np.int32)
        self._point_dofs = points_space.dofmap.list[self._cells].ravel()

        d, v = self.d, ufl.TestFunction(pf.space)
        driving = pf.at1 * self.tensile_energy + (1 - pf.at1) * self.history
        gc, ell, c_w = pf.fracture_energy, pf.length_scale, pf.c_w
        w_prime = pf.at1 + (1 - pf.at1) * 2 * d
        integrand = (
            degradation_slope(d) * driving * v
            + gc / (c_w * ell) * w_prime * v
            + 2 * gc * ell / c_w * ufl.dot(ufl.grad(d), ufl.grad(v))
        )
        dx = model.dx  # all cells, weighted by χ: the matrix then has a pattern for the held nodes too
        self.residual = pf.indicator * integrand * model.weight * dx
        free = pf.free_dofs()
        index_map = pf.space.dofmap.index_map
        all_dofs = np.arange(index_map.size_local + index_map.num_ghosts, dtype=np.int32)
        held = np.setdiff1d(all_dofs, free).astype(np.int32)
        bcs = [dolfinx.fem.dirichletbc(0.0, held, pf.space)]
        scale = self._vector_norm(pf.indicator * gc / (c_w * ell) * v * model.weight * dx)
        options = damage_options(linear_solver, pf.has_at1, 1e-10 * scale)
        self.problem = dolfinx.fem.petsc.NonlinearProblem(
            self.residual, d, bcs=bcs, petsc_options_prefix=prefix, petsc_options=options
        )
        forget_options(prefix, options)
        self._lower = self._upper = None
        if pf.has_at1:
            self._lower = self.d_n.x.petsc_vec.duplicate()
            self._upper = self.d_n.x.petsc_vec.duplicate()
            self._upper.set(1.0)
            self.problem.solver.setVariableBounds(self._lower, self._upper)
        self._crack_forms = self._region_forms()

    @staticmethod
    def _vector_norm(form) -> float:
        vector = dolfinx.fem.petsc.assemble_vector(dolfinx.fem.form(form))
        vector.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        norm = vector.norm()
        vector.destroy()
        return norm

    # -- step protocol ---------------------------------------------------

    def begin_step(self, goal=None, dt: float = 0.0) -> None:
        """Start a step from the committed state: AT1's lower bound is d_n."""
        if self._lower is not None:
            self.d_n.x.petsc_vec.copy(self._lower)

    def update_history(self) -> None:
        """H = max(H_n, W⁺(u)) at the quadrature points of the phase-field cells."""
        values = self._tensile_at_points.eval(self.model.domain.mesh, self._cells).ravel()
        dofs = self._point_dofs
        self.history.x.array[dofs] = np.maximum(self.history_n.x.array[dofs], values)

    def solve(self) -> CoupledSolve:
        """d at the current displacement; ``change`` is max |Δd| since the previous solve."""
        self.update_history()
        self.d_before.x.array[:] = self.d.x.array
        self.problem.solve()
        snes = self.problem.solver
        reason = snes.getConvergedReason()
        owned = self.phase_field.space.dofmap.index_map.size_local
        local = float(np.max(np.abs(self.d.x.array[:owned] - self.d_before.x.array[:owned]), initial=0.0))
        change = self.model.domain.mesh.comm.allreduce(local, op=MPI.MAX)
        return CoupledSolve(reason > 0, change, snes.getIterationNumber())

    def accelerate(self, mixing) -> None:
        """Replace the last solve's d = G(d_k) by ``mixing``'s iterate (chemomech.solve.anderson),
        projected onto the set the solve itself maps into, so that the fixed points stay G's:
        d_n ≤ d ≤ 1 under AT1's bounds (irreversibility). AT2's solve has no bounds (d ≥ d_n
        comes from H ≥ H_n; near a crack a P1 d may pass 1 slightly), so its mix is kept as it
        is; H is rebuilt from H_n and the displacement at every solve, so the history stays
        consistent."""
        owned = self.phase_field.space.dofmap.index_map.size_local
        d = self.d.x.array
        mixed = mixing.update(self.d_before.x.array[:owned], d[:owned])
        d[:owned] = mixed if self._lower is None else np.clip(mixed, self.d_n.x.array[:owned], 1.0)
        self.d.x.scatter_forward()

    def commit(self) -> None:
        self.d_n.x.array[:] = self.d.x.array
        self.history_n.x.array[:] = self.history.x.array

    def restore(self) -> None:
        self.d.x.array[:] = self.d_n.x.array
        self.history.x.array[:] = self.history_n.x.array

    def functions(self) -> dict:
        """The committed Functions a checkpoint stores (call ``restore()`` after reading them)."""
        return {"damage": self.d_n, "tensile_energy_history": self.history_n}

    def output_functions(self) -> list:
        return [self.d]

    def close(self) -> None:
        """Destroy the SNES now (collective; see chemomech.solve.release)."""
        destroy_problem(self.problem)

    # -- outputs ---------------------------------------------------------

    def _region_forms(self) -> dict:
        pf, model = self.phase_field, self.model
        forms = {}
        for name in pf.laws:
            dx = model.dx(model.domain.regions[name])
            forms[name] = {
                key: dolfinx.fem.form(integrand * model.weight * dx)
                for key, integrand in (
                    ("volume", ufl.as_ufl(1.0)),
                    ("damage", self.d),
                    ("area", pf.density(self.d)),
                    ("stiffness", (1 - self.d) ** 2),
                )
            }
        return forms

    def columns(self) -> dict:
        """Per region: crack volume fraction ∫d dV/V, crack area ∫γ dV, stiffness fraction ∫(1 − d)² dV/V."""
        comm = self.model.domain.mesh.comm
        columns = {}
        for name, forms in self._crack_forms.items():
            value = {key: comm.allreduce(dolfinx.fem.assemble_scalar(form)) for key, form in forms.items()}
            columns[f"{name}_crack_volume_fraction [-]"] = value["damage"] / value["volume"]
            columns[f"{name}_crack_area [m^2]"] = value["area"]
            columns[f"{name}_stiffness_fraction [-]"] = value["stiffness"] / value["volume"]
        return columns
