"""Hand-written DOLFINx reference for the inclusion benchmark (issue 9, problem a).

What a DOLFINx user would write for benchmarks/inclusion_problem.py in one
sitting, following the DOLFINx hyperelasticity demo: P1 displacement,
compressible neo-Hookean energy with growth, ``ufl.derivative`` for the
residual and Jacobian (UFL's default quadrature degree), SNES Newton with
backtracking, CG + GAMG with the six rigid-body modes as near-nullspace,
one ``NonlinearProblem`` reused for the five steps. It does not use
chemomech.

    mpiexec -n 2 python benchmarks/inclusion_reference.py MESH.msh OUT.json

OUT.json: wall times (mesh read, setup, each solve), Newton and Krylov
counts, peak memory (summed over ranks), dofs, and the particle's mean
hydrostatic Cauchy stress after each step (the accuracy check against the
chemomech run).
"""

import json
import resource
import sys
import time

import dolfinx_solver  # noqa: F401  (the PyPI wheel: sets up MPI before dolfinx)
import ufl
from dolfinx import fem, io, la
from dolfinx.fem import petsc
from mpi4py import MPI
from petsc4py import PETSc

from inclusion_problem import FACES, STEPS, ELECTROLYTE, growth_stretch, lame, particle_moduli


def rigid_body_modes(V):
    """Six rigid-body modes of a 3D P1 vector space as a PETSc near-nullspace."""
    x = V.tabulate_dof_coordinates()
    vectors = [la.vector(V.dofmap.index_map, V.dofmap.index_map_bs) for _ in range(6)]
    for i in range(3):
        vectors[i].array.reshape(-1, 3)[:, i] = 1.0
    for k, (a, b) in enumerate([(0, 1), (1, 2), (2, 0)]):
        mode = vectors[3 + k].array.reshape(-1, 3)
        mode[:, a] = -x[:, b]
        mode[:, b] = x[:, a]
    la.orthonormalize(vectors)
    return PETSc.NullSpace().create(vectors=[la.petsc.create_vector_wrap(v) for v in vectors]), vectors


def main(msh: str, out: str) -> None:
    comm = MPI.COMM_WORLD
    timings = {}
    t0 = time.perf_counter()
    data = io.gmsh.read_from_msh(msh, comm, 0, gdim=3)
    domain, cell_tags, facet_tags = data.mesh, data.cell_tags, data.facet_tags
    timings["mesh [s]"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    V = fem.functionspace(domain, ("Lagrange", 1, (3,)))
    Q = fem.functionspace(domain, ("DG", 0))
    u, v = fem.Function(V), ufl.TestFunction(V)
    mu, lmbda, g = fem.Function(Q), fem.Function(Q), fem.Function(Q)
    particle, electrolyte = cell_tags.find(1), cell_tags.find(2)

    def set_fields(xi):
        for cells, (E, nu), stretch in (
            (particle, particle_moduli(xi), growth_stretch(xi)),
            (electrolyte, ELECTROLYTE, 1.0),
        ):
            mu.x.array[cells], lmbda.x.array[cells] = lame(E, nu)
            g.x.array[cells] = stretch
        for f in (mu, lmbda, g):
            f.x.scatter_forward()

    I = ufl.Identity(3)
    F = I + ufl.grad(u)
    Fe = F / g
    Je = ufl.det(Fe)
    psi = mu / 2 * (ufl.tr(Fe.T * Fe) - 3) - mu * ufl.ln(Je) + lmbda / 2 * ufl.ln(Je) ** 2
    energy = g**3 * psi * ufl.dx
    residual = ufl.derivative(energy, u, v)

    fdim = domain.topology.dim - 1
    bcs = []
    for tag, name in enumerate(FACES, start=1):
        axis = FACES.index(name) // 2
        dofs = fem.locate_dofs_topological(V.sub(axis), fdim, facet_tags.find(tag))
        bcs.append(fem.dirichletbc(0.0, dofs, V.sub(axis)))

    set_fields(0.0)
    E_max = max(particle_moduli(1.0)[0], ELECTROLYTE[0])
    problem = petsc.NonlinearProblem(
        residual,
        u,
        bcs=bcs,
        petsc_options_prefix="reference_",
        petsc_options={
            "snes_type": "newtonls",
            "snes_linesearch_type": "bt",
            "snes_rtol": 1e-9,
            "snes_atol": 1e-10 * E_max * 1e-12,  # a stress of E_max on a 1 µm² face
            "snes_max_it": 25,
            "ksp_type": "cg",
            "ksp_rtol": 1e-8,
            "pc_type": "gamg",
        },
    )
    nullspace, _modes = rigid_body_modes(V)
    problem.A.setNearNullSpace(nullspace)

    sigma = _piola(mu, lmbda, g, F) * F.T / ufl.det(F)
    dx = ufl.Measure("dx", domain=domain, subdomain_data=cell_tags)
    pressure_form = fem.form(ufl.tr(sigma) / 3 * dx(1))
    volume = comm.allreduce(fem.assemble_scalar(fem.form(1.0 * dx(1))), op=MPI.SUM)
    timings["setup [s]"] = time.perf_counter() - t0

    snes = problem.solver
    steps = []
    for step in range(1, STEPS + 1):
        xi = step / STEPS
        set_fields(xi)
        t0 = time.perf_counter()
        problem.solve()
        elapsed = time.perf_counter() - t0
        if snes.getConvergedReason() <= 0:
            raise RuntimeError(f"Newton failed at xi = {xi} (SNES reason {snes.getConvergedReason()})")
        mean = comm.allreduce(fem.assemble_scalar(pressure_form), op=MPI.SUM) / volume
        steps.append(
            {
                "xi [-]": xi,
                "solve [s]": elapsed,
                "newton_iterations [-]": snes.getIterationNumber(),
                "krylov_iterations [-]": snes.getLinearSolveIterations(),
                "particle_hydrostatic_mean [Pa]": mean,
            }
        )
    peak = comm.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, op=MPI.SUM)
    if comm.rank == 0:
        dofs = V.dofmap.index_map.size_global * 3
        with open(out, "w") as f:
            json.dump({"dofs": dofs, "ranks": comm.size, "peak_memory [B]": peak, **timings, "steps": steps}, f, indent=1)


def _piola(mu, lmbda, g, F):
    """First Piola stress P = ∂(g³ ψ(F/g))/∂F, written out as a user would from the demo."""
    Fe = F / g
    Je = ufl.det(Fe)
    Pe = mu * (Fe - ufl.inv(Fe).T) + lmbda * ufl.ln(Je) * ufl.inv(Fe).T
    return g**2 * Pe


if __name__ == "__main__":
    main(*sys.argv[1:3])
