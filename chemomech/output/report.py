"""``report.html``: one self-contained page per run.

Everything is inside the file (figures as base64 PNG, inline CSS), so it
opens in any browser with no server: case summary, key numbers with units,
warnings, the series figures, the field snapshots, versions, rank count and
wall time. Built from the files of the
output directory only, so ``chemomech plot`` can rebuild it.
"""

import base64
import html
import json
from pathlib import Path

from chemomech.output.series import read_series
from chemomech.output.snapshots import PATTERN as SNAPSHOTS

STYLE = """
body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:0}.sub{color:#666;margin-top:.2em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.warn{background:#fff4e0;border-left:4px solid #e69500;padding:.5em 1em;margin:.5em 0}
.ok{background:#eaf6ea;border-left:4px solid #3a3;padding:.5em 1em;margin:.5em 0}
img{max-width:100%;border:1px solid #ddd;margin:.5em 0}
"""


def _table(rows, header=None) -> str:
    head = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>" if header else ""
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{c:.6g}</td>' if isinstance(c, float) else f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table>{head}{body}</table>"


def key_numbers(series: dict) -> list[tuple[str, float, str]]:
    """(quantity, value, unit) over the whole run, from the series."""
    numbers = []
    if "stack_pressure [MPa]" in series:
        pressure = series["stack_pressure [MPa]"]
        thickness = series["thickness_change [um]"]
        cycling = [p for p, cycle in zip(pressure, series["cycle [-]"], strict=True) if cycle > 0] or pressure
        numbers += [
            ("peak stack pressure", max(pressure), "MPa"),
            ("stack pressure swing while cycling", max(cycling) - min(cycling), "MPa"),
            ("largest thickness change", max(thickness, key=abs), "µm"),
            ("final thickness change", thickness[-1], "µm"),
        ]
    numbers.append(("final capacity", series["capacity [mAh/g_S]"][-1], "mAh/g S"))
    for column, values in series.items():
        for suffix, label, pick, unit in RISK_NUMBERS:
            if column.endswith(suffix):
                numbers.append((f"{label}, {column.removesuffix(suffix)}", pick(values), unit))
    return numbers


RISK_NUMBERS = (
    ("_risk_ratio_max [-]", "largest risk ratio σ1/σ_t", max, "-"),
    ("_failure_probability [-]", "largest Weibull failure probability", max, "-"),
    ("_critical_flaw_size_min [um]", "smallest critical flaw size", min, "µm"),
    ("_opening_risk_max [-]", "largest interface opening risk", max, "-"),
)
"""Crack-risk columns (chemomech.output.risk) shown among the key numbers: suffix, label, extreme, unit."""


def region_extremes(series: dict) -> list[tuple[str, float, float, float]]:
    """Per region: max σ1, min σ3, max von Mises over the run [MPa]."""
    suffix = "_sigma1_max [MPa]"
    regions = [c[: -len(suffix)] for c in series if c.endswith(suffix)]
    return [
        (
            region,
            max(series[f"{region}_sigma1_max [MPa]"]),
            min(series[f"{region}_sigma3_min [MPa]"]),
            max(series[f"{region}_von_mises_max [MPa]"]),
        )
        for region in regions
    ]


SHOWN_WARNINGS = 20


def warnings(summary: dict) -> list[str]:
    """What a reader should know before trusting the numbers.

    Cut-backs are counted; every other warning of summary.json is listed
    (the first SHOWN_WARNINGS of them; run.log has them all).
    """
    found = []
    if summary.get("status") != "completed":
        found.append(f"The run did not complete ({summary.get('status')}): {summary.get('error', '')}")
    if summary.get("cutbacks"):
        found.append(f"The solver cut back the step {summary['cutbacks']} time(s); see run.log.")
    others = [w for w in summary.get("warnings", []) if not w.startswith("cut-back:")]
    found += others[:SHOWN_WARNINGS]
    if len(others) > SHOWN_WARNINGS:
        found.append(f"... and {len(others) - SHOWN_WARNINGS} more warnings in run.log.")
    return found


def _image(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def write_report(outdir: Path) -> Path:
    """Write ``outdir/report.html`` from the run's saved files."""
    outdir = Path(outdir)
    summary = json.loads((outdir / "summary.json").read_text())
    series = read_series(outdir / "series.csv")
    resolved = outdir / "case.resolved.json"
    case = json.loads(resolved.read_text()) if resolved.is_file() else {}
    geometry = case.get("geometry", {})
    mesh = summary.get("mesh", {})
    parts = [
        f"<h1>{html.escape(summary['case'])}</h1>",
        f'<p class="sub">{html.escape(case.get("description", "").strip())}</p>',
        "<h2>Run</h2>",
        _table(
            [
                ("status", summary.get("status", "")),
                ("geometry", f"{geometry.get('type', '')}, {mesh.get('kind', '')}"),
                ("regions", ", ".join(summary.get("materials", {}))),
                ("cells / displacement dofs", f"{mesh.get('cells')} / {mesh.get('displacement_dofs')}"),
                ("MPI ranks", summary.get("ranks")),
                ("wall time [s]", float(summary.get("wall_time_s", 0.0))),
                ("steps / Newton / Krylov iterations", f"{summary.get('steps')} / {summary.get('newton_iterations')} / {summary.get('krylov_iterations')}"),
                ("cut-backs", summary.get("cutbacks")),
                ("started", summary.get("started", "")),
                ("host", summary.get("host", "")),
            ]
        ),
    ]
    found = warnings(summary)
    parts += [f'<div class="warn">{html.escape(w)}</div>' for w in found] or ['<div class="ok">No warnings.</div>']
    if series:
        parts += ["<h2>Key numbers</h2>", _table(key_numbers(series), ("quantity", "value", "unit"))]
        parts += [
            "<h2>Stress extremes over the run [MPa]</h2>",
            _table(region_extremes(series), ("region", "max σ1", "min σ3", "max von Mises")),
        ]
    pictures = sorted((outdir / "figures").glob("*.png")) if (outdir / "figures").is_dir() else []
    snapshots = [path for path in pictures if path.match(SNAPSHOTS)]
    figures = [path for path in pictures if path not in snapshots]
    if figures:
        parts += ["<h2>Figures</h2>", *(_image(path) for path in figures)]
    if snapshots:
        parts += ["<h2>Field snapshots (deformed mesh)</h2>", *(_image(path) for path in snapshots)]
    versions = summary.get("versions", {})
    parts += ["<h2>Versions</h2>", _table(sorted(versions.items()), ("package", "version"))]
    page = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>chemomech: {html.escape(summary['case'])}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(parts)}</body></html>\n"
    )
    path = outdir / "report.html"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path
