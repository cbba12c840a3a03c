"""Comparison figures of a sweep: the runs' series overlaid, one legend entry per run.

``sweep_vs_time`` and ``sweep_vs_capacity`` (PNG and SVG), one panel per
cell signal (stack pressure, thickness change); an inclusion, which has no
load cell, gets a panel per region's max σ1 instead.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from chemomech.output.figures import FORMATS  # noqa: E402

SIGNALS = ("stack_pressure [MPa]", "thickness_change [um]")
SIGMA1 = "_sigma1_max [MPa]"
AXES = {"sweep_vs_time": "time [h]", "sweep_vs_capacity": "capacity [mAh/g_S]"}


def _panels(curves: list[tuple[str, dict]]) -> list[str]:
    present = []
    for _, series in curves:
        present += [column for column in series if column not in present]
    signals = [column for column in SIGNALS if column in present]
    return signals or [column for column in present if column.endswith(SIGMA1)]


def _figure(curves: list[tuple[str, dict]], panels: list[str], x_column: str, title: str):
    figure, axes = plt.subplots(len(panels), 1, sharex=True, figsize=(7.5, 2.6 * len(panels)), squeeze=False)
    colours = plt.cm.viridis(np.linspace(0.0, 0.9, len(curves))) if len(curves) > 10 else [None] * len(curves)
    for axis, column in zip(axes[:, 0], panels, strict=True):
        for (label, series), colour in zip(curves, colours, strict=True):
            if column in series:
                axis.plot(series[x_column], series[column], marker=".", lw=1.2, color=colour, label=label)
        axis.set_ylabel(column.replace("_", " "))
        axis.grid(alpha=0.3)
    axes[0, 0].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes[-1, 0].set_xlabel(x_column.replace("_", " "))
    axes[0, 0].set_title(title)
    return figure


def write_sweep_figures(directory: Path, curves: list[tuple[str, dict]], title: str) -> list[Path]:
    """Draw the runs' ``(label, series)`` curves into ``directory``; return the files written."""
    panels = _panels(curves)
    if not panels:
        return []
    directory = Path(directory)
    directory.mkdir(exist_ok=True)
    written = []
    for name, x_column in AXES.items():
        figure = _figure(curves, panels, x_column, title)
        for extension in FORMATS:
            written.append(directory / f"{name}.{extension}")
            figure.savefig(written[-1], dpi=150, bbox_inches="tight")
        plt.close(figure)
    return written
