"""Field snapshots: σ1, von Mises, lithiation (and damage, when written) on the deformed mesh.

One PNG per chosen step, ``figures/fields_step<step>.png``, drawn with
pyvista off-screen from the saved ``fields.xdmf`` (so ``chemomech plot``
redraws them without re-running). The mesh is warped by the displacement at
scale 1 (the true deformation); 2D and axisymmetric models are seen in the
r–z (x–z) plane, 3D models from an isometric view. Each panel has a colour
bar with units: σ1 on a diverging map centred at zero (tension red),
von Mises from zero, lithiation and damage on [0, 1].

The steps come from ``outputs.snapshots`` in ``case.resolved.json``: step
numbers, times in s (the latest step nearest in time), and the keywords
``preload`` (the end of the preload), ``first_cycle`` / ``all_cycles`` (the
end of each protocol step of the first / every cycle, from
``summary.json``) and ``end`` (the last step). Each is drawn at the nearest
step the field file holds (see ``outputs.field_every``).

Rendering runs in a child process (``python -m chemomech.output.snapshots
OUTDIR``): an OpenGL library that is missing or broken can crash VTK, and a
picture must never cost a run. Off-screen rendering needs EGL (libEGL +
Mesa) or OSMesa on a machine without a display; see the README.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

from chemomech.output.fieldfile import FieldFileError, read_field_file
from chemomech.output.series import read_series

# (name in the field file, colour-bar title, factor to the shown unit, colour map)
FIELDS = (
    ("sigma1", "max principal stress σ1 [MPa]", 1e-6, "coolwarm"),
    ("von_mises", "von Mises stress [MPa]", 1e-6, "viridis"),
    ("lithiation", "lithiation ξ [-]", 1.0, "cividis"),
    ("damage", "damage [-]", 1.0, "inferno"),
)
LIMITS = {"lithiation": (0.0, 1.0), "damage": (0.0, 1.0)}
DEFAULT = ["preload", "first_cycle", "end"]  # where case.resolved.json has no outputs.snapshots
PATTERN = "fields_step*.png"
PANEL_WIDTH = 1200


def _nearest(values, target: float) -> int:
    """Index of the value nearest ``target``; the last one among equals."""
    distances = np.abs(np.asarray(values, dtype=float) - target)
    return int(np.flatnonzero(distances == distances.min())[-1])


def select_steps(spec, series: dict, protocol_steps: list[dict], written: list[int]) -> list[int]:
    """The written steps to draw for a snapshot spec, in order, without repeats."""
    if not written or not series:
        return []
    steps = [int(s) for s in series["step [-]"]]
    times, cycles = series["time [s]"], series["cycle [-]"]
    cycling = [i for i, c in enumerate(cycles) if c > 0]
    wanted = []
    for item in spec:
        if isinstance(item, bool):
            continue
        if isinstance(item, int):
            wanted.append(item)
        elif isinstance(item, float):
            wanted.append(steps[_nearest(times, item)])
        elif item == "end":
            wanted.append(steps[-1])
        elif item == "preload":
            wanted += [s for s, c in zip(steps, cycles, strict=True) if c == 0 and s > 0][-1:]
        elif item in ("first_cycle", "all_cycles") and cycling:
            for protocol_step in protocol_steps:
                if item == "all_cycles" or protocol_step["cycle"] == 1:
                    end = protocol_step["end_time [s]"]
                    if end <= times[cycling[-1]] * (1 + 1e-9):  # reached before the run ended
                        wanted.append(steps[cycling[_nearest([times[i] for i in cycling], end)]])
    chosen = []
    for step in wanted:
        nearest = written[_nearest(written, step)]
        if nearest not in chosen:
            chosen.append(nearest)
    return chosen


def _json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def _caption(case: str, row: dict) -> str:
    return (
        f"{case}: step {int(row['step [-]'])}, t = {row['time [h]']:.4g} h, "
        f"Q = {row['capacity [mAh/g_S]']:.4g} mAh/g S (deformation to scale)"
    )


def _grid(pv, file, step: int):
    """The mesh warped by the displacement at ``step``, with the fields to draw as cell or point data."""
    displacement, _ = file.read("displacement", step)
    mesh = file.mesh(step)
    points = mesh.points.copy()
    points[:, : displacement.shape[1]] += displacement[:, :3]
    count = mesh.cells.shape[1]
    cells = np.hstack([np.full((mesh.cells.shape[0], 1), count), mesh.cells]).ravel()
    kinds = np.full(mesh.cells.shape[0], mesh.cell_type, dtype=np.uint8)
    grid = pv.UnstructuredGrid(cells, kinds, points)
    drawn = []
    for name, title, factor, _ in FIELDS:
        if not file.has(name) or step not in file.series[name]:
            continue
        values, centre = file.read(name, step)
        data = grid.point_data if centre == "Node" else grid.cell_data
        data[title] = np.asarray(values, dtype=float).reshape(len(values), -1)[:, 0] * factor
        drawn.append(name)
    return grid, drawn


def _layout(points: np.ndarray, count: int, gdim: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """(rows, columns) of panels and the window size: stacked for wide 2D domains, a grid otherwise.

    Decided on the reference mesh, so every snapshot of a run has the same layout.
    """
    width, height = np.ptp(points[:, 0]), np.ptp(points[:, 1])
    aspect = width / max(height, 1e-30)
    if gdim == 2 and aspect > 1.6:
        height = int(np.clip(PANEL_WIDTH / aspect / 0.7 * 0.9, 300, 800))
        return (count, 1), (PANEL_WIDTH, height * count)
    columns = 2 if count > 1 else 1
    rows = -(-count // columns)
    return (rows, columns), (PANEL_WIDTH, int(PANEL_WIDTH / columns) * rows)


def _frame_plane(camera, bounds, aspect: float) -> None:
    """Parallel view of the x–y plane: the domain across 90 % of the width, in the band 22–92 % of the height.

    The band leaves room for the colour bar below and the caption above; the
    parallel scale s is half the visible height in model units.
    """
    xmin, xmax, ymin, ymax, _, _ = bounds
    width, height = xmax - xmin, ymax - ymin
    scale = max(width / (1.8 * aspect), height / 1.4, 1e-30)
    focus = (0.5 * (xmin + xmax), 0.5 * (ymin + ymax) - 0.14 * scale, 0.0)
    camera.parallel_projection = True
    camera.focal_point = focus
    camera.position = (focus[0], focus[1], focus[2] + 10 * max(width, height))
    camera.up = (0.0, 1.0, 0.0)
    camera.parallel_scale = scale


def _use_font(properties, font: str) -> None:
    """Draw text with a TrueType file (VTK's built-in fonts have no σ or ξ)."""
    for prop in properties:
        prop.SetFontFamily(4)  # VTK_FONT_FILE
        prop.SetFontFile(font)


def render(file, step: int, path: Path, caption: str, kind: str = "") -> Path:
    """Draw the fields of ``step`` into ``path`` (PNG); ``kind`` is the model dimension (labels the axes)."""
    import pyvista as pv
    from matplotlib import font_manager

    pv.OFF_SCREEN = True
    font = font_manager.findfont("DejaVu Sans")
    grid, drawn = _grid(pv, file, step)
    if not drawn:
        raise FieldFileError(f"{file.path}: no field to draw at step {step}")
    mesh = file.mesh(step)
    shape, size = _layout(mesh.points, len(drawn), mesh.gdim)
    panel_aspect = (size[0] / shape[1]) / (size[1] / shape[0])
    theme = pv.themes.DocumentTheme()  # white background, black text
    theme.anti_aliasing = None  # software OpenGL renders several times faster without multisampling
    theme.multi_samples = 1
    plotter = pv.Plotter(off_screen=True, shape=shape, window_size=size, border=False, theme=theme)
    for index, name in enumerate(drawn):
        _, title, _, cmap = next(f for f in FIELDS if f[0] == name)
        plotter.subplot(*divmod(index, shape[1]))
        values = grid[title]
        limits = LIMITS.get(name)
        if name == "sigma1":
            bound = float(np.max(np.abs(values))) or 1.0
            limits = (-bound, bound)
        elif limits is None:
            limits = (0.0, float(values.max()) or 1.0)
        plotter.add_mesh(
            grid,
            scalars=title,
            cmap=cmap,
            clim=limits,
            show_edges=grid.n_cells <= 5000,
            edge_color="#888888",
            line_width=0.5,
            scalar_bar_args={
                "title": title,
                "vertical": False,
                "position_x": 0.25,
                "position_y": 0.02,
                "width": 0.6,
                "height": 0.16,
                "fmt": "%.3g",
                "color": "black",
                "unconstrained_font_size": True,
                "title_font_size": 18,
                "label_font_size": 15,
            },
        )
        bar = plotter.scalar_bars[title]
        bar.SetTextPositionToPrecedeScalarBar()  # labels below the bar, the title above it
        _use_font((bar.GetTitleTextProperty(), bar.GetLabelTextProperty()), font)
        if index == 0:
            plotter.add_text(caption, position="upper_left", font_size=11, color="black", font_file=font)
        if mesh.gdim == 2:
            plotter.add_axes(xlabel="r" if kind == "axisymmetric" else "x", ylabel="z", zlabel="", color="black")
            _frame_plane(plotter.camera, grid.bounds, panel_aspect)
        else:
            plotter.add_axes(color="black")
            plotter.view_vector((-1.0, -1.0, 1.0))  # isometric, facing the symmetry planes of a quarter model
            plotter.camera.zoom(0.8)
    plotter.screenshot(str(path))
    plotter.close()
    return path


def write_snapshots(outdir: Path) -> list[Path]:
    """Draw every snapshot of the run in ``outdir`` (in this process); return the files written."""
    outdir = Path(outdir)
    directory = outdir / "figures"
    for old in directory.glob(PATTERN):
        old.unlink()
    if not (outdir / "fields.xdmf").is_file() or not (outdir / "series.csv").is_file():
        return []
    spec = _json(outdir / "case.resolved.json").get("outputs", {}).get("snapshots", DEFAULT)
    summary = _json(outdir / "summary.json")
    series = read_series(outdir / "series.csv")
    file = read_field_file(outdir / "fields.xdmf")
    steps = select_steps(spec, series, summary.get("protocol_steps", []), file.steps)
    rows = {int(step): i for i, step in enumerate(series["step [-]"])}
    case, kind = summary.get("case", outdir.name), summary.get("mesh", {}).get("kind", "")
    directory.mkdir(exist_ok=True)
    written = []
    for step in steps:
        row = {key: values[rows[step]] for key, values in series.items()}
        written.append(render(file, step, directory / f"fields_step{step:04d}.png", _caption(case, row), kind))
    return written


def _child_environment() -> dict:
    """This environment without the MPI launcher's variables: the child is not an MPI process."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "PMIX_", "MPIR_", "HYDRA_", "OMPI_"))}


def draw_snapshots(outdir: Path, timeout: float = 600.0) -> tuple[list[Path], list[str]]:
    """Draw the snapshots in a child process; return (files written, problems as warnings)."""
    outdir = Path(outdir)
    if not (outdir / "fields.xdmf").is_file():
        for old in (outdir / "figures").glob(PATTERN):
            old.unlink()
        return [], []
    command = [sys.executable, "-m", "chemomech.output.snapshots", str(outdir)]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=_child_environment(), check=False
        )
    except subprocess.TimeoutExpired:
        return [], [f"field snapshots not drawn: no picture after {timeout:.0f} s"]
    if result.returncode < 0:
        name = signal.Signals(-result.returncode).name
        advice = "off-screen rendering needs libEGL with Mesa or libOSMesa (see README)"
        return [], [f"field snapshots not drawn: the renderer crashed ({name}); {advice}"]
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        return [], [f"field snapshots not drawn: {lines[-1] if lines else f'exit code {result.returncode}'}"]
    return [Path(line) for line in result.stdout.splitlines() if line.strip()], []


def main(argv: list[str]) -> int:
    for path in write_snapshots(Path(argv[0])):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
