"""Figures of a run from its ``series.csv`` (matplotlib, off-screen).

Written by rank 0 at the end of every run (also a failed one) and by
``chemomech plot OUTDIR`` from saved results, as PNG and SVG under
``OUTDIR/figures/``:

* ``signals_vs_time``: the cell signals (load-cell pressure, dilatometer
  thickness change, Bragg shifts of every fibre grating, lithiation) against time;
* ``signals_vs_capacity``: the same against capacity per gram of sulfur;
* ``stress_vs_time``: per region max σ1, min σ3 and max von Mises stress;
* ``risk_vs_time``, where the run has crack-risk columns
  (chemomech.output.risk): the largest risk ratios σ1/σ_t and interface
  opening risks, the Weibull failure probabilities and the smallest critical
  flaw sizes (log scale).
"""

import json
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from chemomech.output.series import read_series  # noqa: E402

SIGNALS = ("stack_pressure [MPa]", "thickness_change [um]", "lithiation [-]")
BRAGG_SHIFTS = ("_bragg_shift_x [pm]", "_bragg_shift_y [pm]")
STRESSES = ("sigma1_max [MPa]", "sigma3_min [MPa]", "von_mises_max [MPa]")
RISKS = (
    ("risk ratio σ1/σ_t, t_n/s [-]", ("_risk_ratio_max [-]", "_opening_risk_max [-]"), "linear"),
    ("failure probability [-]", ("_failure_probability [-]",), "linear"),
    ("critical flaw size [um]", ("_critical_flaw_size_min [um]",), "log"),
)
"""Panels of the risk figure: y label, column suffixes, y scale."""
FORMATS = ("png", "svg")


def _save(figure, directory: Path, name: str) -> list[Path]:
    paths = []
    for extension in FORMATS:
        path = directory / f"{name}.{extension}"
        figure.savefig(path, dpi=150, bbox_inches="tight")
        paths.append(path)
    plt.close(figure)
    return paths


def _signal_panels(series: dict) -> list[tuple[str, list[str]]]:
    """(y label, columns) per panel: the plunger signals, all Bragg shifts, lithiation."""
    panels = [(c.replace("_", " "), [c]) for c in SIGNALS[:-1] if c in series]
    shifts = [c for c in series if c.endswith(BRAGG_SHIFTS)]
    if shifts:
        panels.append(("Bragg shift [pm]", shifts))
    return [*panels, (SIGNALS[-1].replace("_", " "), [SIGNALS[-1]])]


def _signals(series: dict, x_column: str, title: str):
    panels = _signal_panels(series)
    figure, axes = plt.subplots(len(panels), 1, sharex=True, figsize=(6.5, 2.2 * len(panels)), squeeze=False)
    for axis, (label, columns) in zip(axes[:, 0], panels, strict=True):
        for column in columns:
            axis.plot(series[x_column], series[column], marker=".", lw=1.2, label=column.split(" [")[0])
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
        if len(columns) > 1:
            axis.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        if max(np.ptp(series[c]) for c in columns) < 1e-9:  # zero to solver tolerance (thickness at constant gap)
            axis.set_ylim(-1, 1)
    axes[-1, 0].set_xlabel(x_column.replace("_", " "))
    axes[0, 0].set_title(title)
    return figure


def _regions(series: dict) -> list[str]:
    suffix = "_" + STRESSES[0]
    return [c[: -len(suffix)] for c in series if c.endswith(suffix)]


def _stresses(series: dict, title: str):
    regions = _regions(series)
    figure, axes = plt.subplots(len(STRESSES), 1, sharex=True, figsize=(6.5, 2.4 * len(STRESSES)), squeeze=False)
    for axis, quantity in zip(axes[:, 0], STRESSES, strict=True):
        for region in regions:
            axis.plot(series["time [h]"], series[f"{region}_{quantity}"], marker=".", lw=1.2, label=region)
        axis.set_ylabel(quantity.replace("_", " "))
        axis.grid(alpha=0.3)
    axes[0, 0].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes[-1, 0].set_xlabel("time [h]")
    axes[0, 0].set_title(title)
    return figure


def _risks(series: dict, title: str):
    """The risk figure, or None without risk columns."""
    panels = []
    for label, suffixes, scale in RISKS:
        # (column, region or interface) of every column with one of the suffixes
        curves = [(c, c.removesuffix(suffix)) for c in series for suffix in suffixes if c.endswith(suffix)]
        if curves:
            panels.append((label, curves, scale))
    if not panels:
        return None
    figure, axes = plt.subplots(len(panels), 1, sharex=True, figsize=(6.5, 2.4 * len(panels)), squeeze=False)
    for axis, (label, curves, scale) in zip(axes[:, 0], panels, strict=True):
        for column, name in curves:
            axis.plot(series["time [h]"], series[column], marker=".", lw=1.2, label=name)
        axis.set_ylabel(label)
        axis.set_yscale(scale)
        axis.grid(alpha=0.3)
        axis.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes[-1, 0].set_xlabel("time [h]")
    axes[0, 0].set_title(title)
    return figure


def _case_name(outdir: Path) -> str:
    summary = outdir / "summary.json"
    if summary.is_file():
        return json.loads(summary.read_text()).get("case") or outdir.name
    return outdir.name


def write_figures(outdir: Path, title: str | None = None) -> list[Path]:
    """Draw every figure of the run in ``outdir``; return the files written.

    The title defaults to the case name recorded in ``summary.json``.
    """
    outdir = Path(outdir)
    series = read_series(outdir / "series.csv")
    if not series:
        return []
    title = title or _case_name(outdir)
    directory = outdir / "figures"
    directory.mkdir(exist_ok=True)
    written = _save(_signals(series, "time [h]", title), directory, "signals_vs_time")
    written += _save(_signals(series, "capacity [mAh/g_S]", title), directory, "signals_vs_capacity")
    written += _save(_stresses(series, title), directory, "stress_vs_time")
    risks = _risks(series, title)
    if risks is not None:
        written += _save(risks, directory, "risk_vs_time")
    return written
