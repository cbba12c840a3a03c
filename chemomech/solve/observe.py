"""What is measured after every converged step, and where it goes.

Series columns (units in every name): step, time, cycle, capacity per gram
of sulfur Q = ξ·1672 mAh/g, current, mean lithiation of the active phase
⟨ξ⟩ = ∫ f_a ξ dV / ∫ f_a dV, the load cell and dilatometer on stacks, the
fibre Bragg gratings' strains and shifts, the apparent axial strain
(plunger displacement / height) on domains with a plunger, per region max
σ1, min σ3, max von Mises and mean hydrostatic stress, per internal
interface the mean, max and min normal traction and the area fraction in
tension (chemomech.output.interfaces), the crack-risk measures of regions
and interfaces with fracture data (chemomech.output.risk), the porosity of
every homogenised composite region (a function of ξ), the mean porosity of
compacting and the largest creep strain of creeping regions, the columns of
every coupled field (transport, damage: chemomech.solve.coupling), plus the
Newton and Krylov iteration counts of the step and, with coupled fields, its
passes.

Each step also goes to run.log (with its Newton residual norms), to the
progress display, and through the element-distortion check, whose
warnings join the stepper's.
"""

from chemomech.dolfinx_compat import dolfinx
from chemomech.materials import SULFUR_SPECIFIC_CAPACITY as SULFUR_CAPACITY
from chemomech.materials import CompositeMaterial
from chemomech.output.distortion import DistortionMonitor
from chemomech.output.interfaces import InterfaceTractions
from chemomech.output.risk import update_extremes

MPA = 1.0e-6
MICROMETRE = 1.0e6
MAH_PER_G = 1.0 / 3.6e3  # C/kg -> mAh/g


def _progress_line(row: dict) -> str:
    """One line per converged step for run.log."""
    parts = [f"step {row['step [-]']:4d}", f"t = {row['time [h]']:8.3f} h", f"xi = {row['lithiation [-]']:.4f}"]
    if "stack_pressure [MPa]" in row:
        parts.append(f"p = {row['stack_pressure [MPa]']:9.3f} MPa")
        parts.append(f"dh = {row['thickness_change [um]']:+8.3f} um")
    parts.append(f"newton {row['newton_iterations [-]']:2d}  krylov {row['krylov_iterations [-]']:4d}")
    return "  ".join(parts)


class StepObserver:
    """Turns each converged state into a series row and, periodically, fields."""

    def __init__(self, sim, series, field_writer, field_every: int, log, announce, progress=None):
        model, fields = sim.model, sim.fields
        self.stresses = sim.stresses
        self.risk = sim.risk
        self.risk_extremes: dict[str, float] = {}  # column -> extreme over the run (summary.json)
        self.interfaces = InterfaceTractions(model, sim.stresses, fields.max_youngs_modulus)
        self._height = model.domain.height
        self.history = sim.history
        self.coupled = sim.coupled
        self.sensors = sim.sensors
        self.gratings = sim.gratings
        self.series = series
        self.field_writer = field_writer
        self.field_every = field_every
        self.log = log
        self.announce = announce  # a line for run.log and, with progress on, the terminal
        self.progress = progress  # a ProgressDisplay, or None
        self._stepper = sim.stepper
        self._warnings = sim.stepper.warnings
        self.distortion = DistortionMonitor(model)
        self._fields_written = -1  # the last step written to the field file
        self._warned = 0
        weight, dx = model.weight, model.dx
        self._comm = model.domain.mesh.comm
        self._active_xi = dolfinx.fem.form(fields.active_fraction * fields.xi * weight * dx)
        # f_a is set once per cell (MaterialFields) and dV is of the reference configuration
        self._active_volume = self._integral(dolfinx.fem.form(fields.active_fraction * weight * dx))
        self._composites = {
            region: material for region, material in sim.materials.items() if isinstance(material, CompositeMaterial)
        }
        self._preload_displacement = 0.0
        self.steps = 0
        self.newton_iterations = 0
        self.krylov_iterations = 0
        self.last_row = None

    def _integral(self, form) -> float:
        return self._comm.allreduce(dolfinx.fem.assemble_scalar(form))

    def _mean_lithiation(self, xi: float) -> float:
        return self._integral(self._active_xi) / self._active_volume if self._active_volume > 0 else xi

    def record(self, state, stats) -> None:
        self.stresses.update()
        self.risk.update()
        row = {
            "step [-]": self.steps,
            "time [s]": state.time,
            "time [h]": state.time / 3600.0,
            "cycle [-]": state.cycle,
            "capacity [mAh/g_S]": state.xi * SULFUR_CAPACITY * MAH_PER_G,
            "current [mA/g_S]": state.c_rate * SULFUR_CAPACITY * MAH_PER_G,
            "lithiation [-]": self._mean_lithiation(state.xi),
        }
        if self.sensors is not None:
            load_cell, dilatometer = self.sensors
            displacement, pressure = dilatometer.displacement(), load_cell.pressure()
            if state.stage == "preload":
                self._preload_displacement = displacement
            row |= {
                "stack_pressure [MPa]": pressure * MPA,
                "force [N]": load_cell.force(pressure),
                "plunger_displacement [um]": displacement * MICROMETRE,
                "thickness_change [um]": (displacement - self._preload_displacement) * MICROMETRE,
                "apparent_axial_strain [-]": displacement / self._height,
            }
        for grating in self.gratings:
            row |= grating.read()
        for region, values in self.stresses.region_statistics().items():
            row |= {f"{region}_{key} [MPa]": value * MPA for key, value in values.items()}
        interface_statistics = self.interfaces.statistics()
        row |= self.risk.columns(interface_statistics)
        for interface, values in interface_statistics.items():
            name = interface.removeprefix("interface:")
            fraction = values.pop("tensile_area_fraction")
            row |= {f"{name}_{key} [MPa]": value * MPA for key, value in values.items()}
            row[f"{name}_tensile_area_fraction [-]"] = fraction
        for region, material in self._composites.items():
            row[f"{region}_porosity [-]"] = material.porosity(state.xi)
        if self.history is not None:
            self.history.update()
            for region, values in self.history.region_statistics().items():
                row |= {f"{region}_{key} [-]": value for key, value in values.items()}
        for field in self.coupled:
            row |= field.columns()
        newton = stats.newton_iterations if stats else 0
        krylov = stats.krylov_iterations if stats else 0
        row |= {"newton_iterations [-]": newton, "krylov_iterations [-]": krylov}
        if self.coupled:
            row["coupling_passes [-]"] = stats.coupling_passes if stats else 0
        update_extremes(self.risk_extremes, row)
        self.series.write(row)
        if self.field_writer is not None and self.steps % self.field_every == 0:
            self.field_writer.write(self.steps)
            self._fields_written = self.steps
        where = f"at step {self.steps} (t = {row['time [h]']:.4g} h)"
        for warning in self.distortion.check(where):
            self._stepper.warn(warning)
        self.steps += 1
        self.newton_iterations += newton
        self.krylov_iterations += krylov
        self.last_row = row
        self._log(_progress_line(row), stats)
        if self.progress is not None:
            self.progress.step(row, state, newton)

    def write_last_fields(self) -> None:
        """Write the fields of the last recorded step if ``field_every`` skipped it (collective)."""
        last = self.steps - 1
        if self.field_writer is not None and 0 <= self._fields_written < last:
            self.field_writer.write(last)
            self._fields_written = last

    def snapshot(self) -> dict:
        """Counters and the last row, for a checkpoint."""
        return {
            "steps": self.steps,
            "newton_iterations": self.newton_iterations,
            "krylov_iterations": self.krylov_iterations,
            "preload_displacement": self._preload_displacement,
            "warned": self._warned,
            "last_row": self.last_row,
            "risk_extremes": self.risk_extremes,
        }

    def restore(self, snapshot: dict) -> None:
        """Continue counting from a checkpoint's ``snapshot``."""
        self.steps = snapshot["steps"]
        self.newton_iterations = snapshot["newton_iterations"]
        self.krylov_iterations = snapshot["krylov_iterations"]
        self._preload_displacement = snapshot["preload_displacement"]
        self._warned = snapshot["warned"]
        self.last_row = snapshot["last_row"]
        self.risk_extremes = dict(snapshot.get("risk_extremes", {}))

    def flush_warnings(self) -> None:
        """Announce the warnings raised since the last call."""
        for warning in self._warnings[self._warned :]:
            self.announce(f"WARNING {warning}")
        self._warned = len(self._warnings)

    def _log(self, line: str, stats) -> None:
        """Warnings raised since the last step, then this step's line and residuals."""
        self.flush_warnings()
        self.log.line(line)
        if stats is not None and stats.residual_norms:
            self.log.line("      residual norms [N]: " + " ".join(f"{n:.3e}" for n in stats.residual_norms))
