"""The stepper's alternation of coupled fields with the mechanics (chemomech.solve.coupling).

A scalar stand-in field iterates x ← x/2 + 1 (fixed point 2) once per pass:
its relative change after pass k is known, so the number of passes the
tolerance needs is too. Anderson acceleration (chemomech.solve.anderson)
solves that affine map exactly from its second update on: 3 passes in the
first step (plain 1, mixed to 2, check), 2 in the next. Its solve can be made to fail, which must cut the
step back and restore the field with the displacement.
"""

import math

import numpy as np
import pytest

from chemomech.errors import SolverFailure
from chemomech.solve.coupling import CoupledSolve
from chemomech.case import load_case_text
from chemomech.dolfinx_compat import MPI
from chemomech.solve.simulation import build_simulation

CASE = """
name: coupled
geometry:
  type: inclusion
  dimension: axisymmetric
  inclusion_radius: 5 um
  outer_radius: 15 um
  inclusion_material: sulfur
  matrix_material: Li6PS5Cl
  mesh_size: 3 um
lithiation:
  protocol: [{{step: discharge, rate: 1 C, until_xi: 0.2}}]
solver:
  max_xi_step: 0.1
  max_cutbacks: 1
  coupling: {{tolerance: {tolerance}, max_iterations: {passes}, acceleration: {{method: {method}, depth: 3}}}}
"""


class HalvingField:
    """x ← x/2 + 1 per solve, from the committed x; fails on the solves listed in ``fail_on``."""

    name = "halving"
    before_mechanics = True

    def __init__(self, two_way=True, fail_on=()):
        self.two_way = two_way
        self.fail_on = set(fail_on)
        self.committed = 0.0
        self.x = 0.0
        self.solves = 0
        self.events = []

    def begin_step(self, goal, dt):
        self.x = self.committed
        self.events.append("begin")

    def solve(self):
        self.solves += 1
        if self.solves in self.fail_on:
            return CoupledSolve(converged=False, change=math.inf, iterations=1)
        new = 0.5 * self.x + 1.0
        change = abs(new - self.x) / abs(new)
        self.x = new
        return CoupledSolve(converged=True, change=change, iterations=1)

    def commit(self):
        self.committed = self.x
        self.events.append("commit")

    def restore(self):
        self.x = self.committed
        self.events.append("restore")

    def functions(self):
        return {}

    def columns(self):
        return {"halving [-]": self.x}

    def output_functions(self):
        return []

    def close(self):
        self.events.append("close")


class AcceleratedHalvingField(HalvingField):
    """The halving field with ``accelerate``: x (the same on every rank) mixed from its last input and output."""

    def begin_step(self, goal, dt):
        super().begin_step(goal, dt)
        self.before = self.x

    def solve(self):
        self.before = self.x
        return super().solve()

    def accelerate(self, mixing):
        self.x = float(mixing.update(np.array([self.before]), np.array([self.x]))[0])


def passes_needed(start: float, tolerance: float) -> int:
    """Passes of x ← x/2 + 1 from ``start`` until a pass after the first changes x by ≤ tolerance (relative)."""
    x, passes = start, 0
    while True:
        new = 0.5 * x + 1.0
        passes += 1
        if passes > 1 and abs(new - x) / abs(new) <= tolerance:
            return passes
        x = new


def run_with(field, tolerance=1e-6, passes=40, method="none"):
    text = CASE.format(tolerance=tolerance, passes=passes, method=method)
    sim = build_simulation(load_case_text(text), MPI.COMM_WORLD)
    sim.stepper.coupled = (field,)
    steps = list(sim.run_schedule())
    sim.stepper.close()
    return sim, steps


def test_two_way_field_iterates_to_the_tolerance():
    field = HalvingField()
    _, steps = run_with(field, tolerance=1e-6)
    assert len(steps) == 2
    first, second = (stats.coupling_passes for _, stats in steps)
    assert first == passes_needed(0.0, 1e-6)
    assert second == passes_needed(2.0 - 2.0 ** (1 - first), 1e-6)  # x after `first` passes from 0
    assert field.committed == pytest.approx(2.0, rel=1e-6)
    assert field.events == ["begin", "commit", "begin", "commit", "close"]
    norms = [len(stats.residual_norms) for _, stats in steps]  # one or more per mechanics solve
    assert all(n >= passes for n, passes in zip(norms, (first, second), strict=True))


def test_anderson_acceleration_solves_the_affine_field_in_three_passes():
    field = AcceleratedHalvingField()
    _, steps = run_with(field, tolerance=1e-6, method="anderson")
    assert [stats.coupling_passes for _, stats in steps] == [3, 2]
    assert passes_needed(0.0, 1e-6) == 20  # the plain passes of the first step
    assert field.committed == pytest.approx(2.0, rel=1e-12)


def test_without_acceleration_the_field_is_not_mixed():
    field = AcceleratedHalvingField()
    _, steps = run_with(field, tolerance=1e-6, method="none")
    assert steps[0][1].coupling_passes == passes_needed(0.0, 1e-6)


def test_one_way_field_takes_one_pass():
    field = HalvingField(two_way=False)
    _, steps = run_with(field)
    assert [stats.coupling_passes for _, stats in steps] == [1, 1]
    assert field.solves == 2


def test_failed_field_solve_cuts_back_and_restores():
    field = HalvingField(two_way=False, fail_on={1})
    sim, steps = run_with(field)
    assert sim.stepper.cutbacks == 1
    assert "the halving solve failed" in sim.stepper.warnings[0]
    assert field.events[:3] == ["begin", "restore", "begin"]
    assert [state.xi for state, _ in steps] == pytest.approx([0.05, 0.1, 0.2])


def test_passes_without_convergence_fail_cleanly():
    field = HalvingField()
    with pytest.raises(SolverFailure, match=r"^The coupling \(3 passes\) did not converge .*\(tolerance not reached\)"):
        run_with(field, tolerance=1e-12, passes=3)
