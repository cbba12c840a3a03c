"""Meshing once (chemomech mesh) and running on the written domain (run --mesh DIR).

* A run on a pre-meshed domain gives the series of a run that meshes, for a
  stack and for a plane-strain particle RVE (pores, attached carbon), and the
  same microstructure.json, whose metrics were measured on the gmsh model;
  its summary names the directory and the geometry fingerprint.
* A domain written on one number of ranks and read on another (1 → 2 and
  2 → 1, in-process under mpiexec -n 2) has the same regions, boundaries and
  measures of every tag; a run on 2 ranks from a domain meshed on 1 gives
  the serial series.
* A stale directory (another geometry), a missing or an incomplete one is
  refused with exit 2 on every rank, naming the directory and the problem,
  before anything is written.
* The geometry fingerprint ignores what does not change the mesh (material
  names, save_mesh) and hashes data files by content, not path.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import meshio
import numpy as np
import pytest
import ufl

from chemomech.case import CaseError, load_case, load_case_text, schema
from chemomech.case.datafiles import file_digest
from chemomech.cli import main
from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.geometry import build_domain
from chemomech.geometry.premeshed import (
    geometry_fingerprint,
    mesh_case,
    read_domain,
    recorded_data_file,
    version_warnings,
    write_domain,
)
from chemomech.output.series import read_series
from chemomech.solve.run import run_case
from simulate import assert_series_agree
from test_geometry_import import mesh_case as mesh_file_case
from test_geometry_import import structured_mesh

ROOT = Path(__file__).resolve().parents[1]
MPIEXEC = Path(sys.executable).parent / "mpiexec"
WORLD = MPI.COMM_WORLD

STACK = """
name: premeshed_stack
geometry:
  type: stack
  dimension: axisymmetric
  diameter: 1 mm
  mesh_size: 60 um
  layers:
    - {name: cathode, material: cathode_S, thickness: 60 um, mesh_size: 20 um}
    - {name: separator, material: Li6PS5Cl, thickness: 200 um}
materials:
  cathode_S: {base: Li6PS5Cl, youngs_modulus: 12 GPa, poisson_ratio: 0.3, active_fraction: 0.3}
lithiation:
  active_material: sulfur
  protocol: [{step: discharge, rate: 1 C, until_xi: 1.0}]
fixture: {type: gap, preload: 10 MPa, preload_steps: 1}
outputs: {figures: false}
solver: {max_xi_step: 0.5}
"""

RVE = """
name: premeshed_rve
geometry:
  type: rve
  dimension: plane_strain
  size: [24 um, 20 um]
  matrix: {name: electrolyte, material: Li6PS5Cl}
  particles:
    - {name: active, material: sulfur, volume_fraction: 0.25, radius: 3 um, radius_spread: 0.2}
    - {name: carbon, material: carbon_black_agglomerate, volume_fraction: 0.05, radius: 1.8 um,
       attach_to: active, overlap: 0.2}
    - {name: pores, void: true, volume_fraction: 0.04, radius: 1.6 um}
  seed: 1
  min_gap: 0.3 um
  boundary: cut
  mesh_size: 2.5 um
  interface_mesh_size: 0.8 um
  triple_phase: [active, electrolyte, carbon]
lithiation:
  active_material: sulfur
  protocol: [{step: discharge, rate: 1 C, until_xi: 1.0}]
fixture: {type: pressure, preload: 10 MPa, pressure: 10 MPa}
outputs: {figures: false, fields: false}
solver: {max_xi_step: 0.5}
"""


def shared_dir(factory, name: str) -> Path:
    """A fresh directory that every rank sees (rank 0's)."""
    path = factory.mktemp(name) if WORLD.rank == 0 else None
    return Path(WORLD.bcast(str(path) if path else None, root=0))


@pytest.fixture(scope="module")
def run_pair(tmp_path_factory):
    """For a case name: (case text, meshing run's outdir, mesh directory, pre-meshed run's outdir),
    run once per module on this process's ranks."""
    made = {}

    def get(name: str) -> tuple:
        if name not in made:
            text = {"stack": STACK, "rve": RVE}[name]
            root = shared_dir(tmp_path_factory, name)
            case = load_case_text(text)
            run_case(case, root / "meshed")
            mesh_case(case, root / "mesh", WORLD)
            run_case(load_case_text(text), root / "premeshed", mesh_dir=root / "mesh")
            made[name] = text, root / "meshed", root / "mesh", root / "premeshed"
        return made[name]

    return get


@pytest.fixture(params=["stack", "rve"])
def runs(request, run_pair):
    return run_pair(request.param)


def test_premeshed_run_gives_the_series_of_a_meshing_run(runs):
    _, meshed, mesh_dir, premeshed = runs
    assert_series_agree(read_series(meshed / "series.csv"), read_series(premeshed / "series.csv"))
    summary = json.loads((premeshed / "summary.json").read_text())
    record = json.loads((mesh_dir / "domain.json").read_text())
    assert summary["mesh"]["premeshed"]["directory"] == str(mesh_dir.resolve())
    assert summary["mesh"]["premeshed"]["fingerprint"] == record["fingerprint"]
    assert "premeshed" not in json.loads((meshed / "summary.json").read_text())["mesh"]
    assert summary["mesh"]["cells"] == record["cells"]
    assert not any("pre-meshed" in warning for warning in summary["warnings"])


def test_a_domain_of_another_chemomech_version_is_used_with_a_warning(mpi_tmp_path, run_pair, monkeypatch):
    _, _, mesh_dir, _ = run_pair("stack")
    monkeypatch.setattr("chemomech.__version__", "0.0.1")
    domain = read_domain(mesh_dir, geometry_fingerprint(load_case_text(STACK).geometry), WORLD)
    [warning] = version_warnings(domain)
    assert f"{mesh_dir.resolve()} was written by chemomech " in warning and "this is 0.0.1" in warning


def test_premeshed_run_writes_the_microstructure_metrics(runs):
    text, meshed, _, premeshed = runs
    if "type: rve" not in text:
        assert not (premeshed / "microstructure.json").exists()
        return
    metrics = [json.loads((out / "microstructure.json").read_text()) for out in (meshed, premeshed)]
    for record in metrics:
        record.pop("versions")
    assert metrics[0] == metrics[1]
    assert metrics[0]["mesh"]["triple_phase_points [-]"] > 0  # measured on the gmsh model, carried in domain.json


def measures(domain) -> tuple[dict, dict]:
    """Area (volume) of every region and length (area) of every boundary, summed over the ranks."""
    mesh = domain.mesh
    dx = ufl.Measure("dx", domain=mesh, subdomain_data=domain.cell_tags)
    ds = ufl.Measure("ds", domain=mesh, subdomain_data=domain.facet_tags)
    dS = ufl.Measure("dS", domain=mesh, subdomain_data=domain.facet_tags)
    one = dolfinx.fem.Constant(mesh, 1.0)

    def total(form):
        return mesh.comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(form)), op=MPI.SUM)

    regions = {name: total(one * dx(tag)) for name, tag in domain.regions.items()}
    boundaries = {name: total(one * ds(tag)) + total(one * dS(tag)) for name, tag in domain.boundaries.items()}
    return regions, boundaries


@pytest.mark.parametrize("direction", ["world_to_self", "self_to_world"])
def test_domain_written_on_one_rank_count_reads_on_another(mpi_tmp_path, direction):
    """Under mpiexec -n 2: written on 2 ranks and read on 1 (each rank alone), and the other way round.
    The cell and facet tags read by cell (tags_by_cell.npy) are those matched by their vertices
    in domain.xdmf."""
    case = load_case_text(RVE)
    writer, reader = (WORLD, MPI.COMM_SELF) if direction == "world_to_self" else (MPI.COMM_SELF, WORLD)
    directory = mpi_tmp_path / "mesh"
    fingerprint = geometry_fingerprint(case.geometry)
    if writer is WORLD or WORLD.rank == 0:
        domain = build_domain(case.geometry, writer)
        reference = measures(domain)
        write_domain(domain, directory, fingerprint, writer)
    reference = WORLD.bcast(reference if WORLD.rank == 0 else None, root=0)
    read = read_domain(directory, fingerprint, reader)
    assert json.loads((directory / "domain.json").read_text())["tags_by_cell_file"] == "tags_by_cell.npy"
    if WORLD.rank == 0:  # the same domain without the tags by cell: read from domain.xdmf instead
        shutil.copytree(directory, mpi_tmp_path / "matched")
        (mpi_tmp_path / "matched" / "tags_by_cell.npy").unlink()
    WORLD.barrier()
    matched = read_domain(mpi_tmp_path / "matched", fingerprint, reader)
    np.testing.assert_array_equal(read.mesh.geometry.x, matched.mesh.geometry.x)
    for by_cell, by_vertices in [(read.cell_tags, matched.cell_tags), (read.facet_tags, matched.facet_tags)]:
        np.testing.assert_array_equal(by_cell.indices, by_vertices.indices)
        np.testing.assert_array_equal(by_cell.values, by_vertices.values)
    assert read.kind == "plane_strain" and read.loaded_area == pytest.approx(24e-6)
    assert list(read.regions) == ["electrolyte", "active", "carbon"]
    assert "interface:active/carbon" in read.boundaries and "surface:electrolyte" in read.boundaries
    regions, boundaries = measures(read)
    assert regions.keys() == reference[0].keys() and boundaries.keys() == reference[1].keys()
    for name, value in [*regions.items(), *boundaries.items()]:
        expected = {**reference[0], **reference[1]}[name]
        assert value == pytest.approx(expected, rel=1e-12), name
        assert value > 0.0, name


def _cli_run(tmp_path: Path, text: str, mesh_dir: Path, outdir: Path, *overrides: str) -> int:
    case = tmp_path / "case.yaml"
    case.write_text(text)
    return main(["run", str(case), "-o", str(outdir), "-q", "--mesh", str(mesh_dir),
                 *(arg for item in overrides for arg in ("--set", item))])


def test_stale_missing_or_incomplete_mesh_directory_is_refused(tmp_path, mpi_tmp_path, capsys):
    mesh_dir = mpi_tmp_path / "mesh"
    mesh_case(load_case_text(STACK), mesh_dir, WORLD)
    outdir = mpi_tmp_path / "out"

    def refused(directory, *overrides) -> str:
        assert _cli_run(tmp_path, STACK, directory, outdir, *overrides) == 2
        assert not outdir.exists()  # nothing written
        return capsys.readouterr().err

    err = refused(mesh_dir, "geometry.layers.0.thickness=70 um")
    assert WORLD.rank > 0 or f"--mesh {mesh_dir}: stale mesh: it was meshed from another geometry" in err
    err = refused(mpi_tmp_path / "nowhere")
    assert WORLD.rank > 0 or f"--mesh {mpi_tmp_path / 'nowhere'}: no such directory" in err
    if WORLD.rank == 0:
        (mesh_dir / "domain.h5").unlink()
    WORLD.barrier()
    err = refused(mesh_dir)
    assert WORLD.rank > 0 or f"--mesh {mesh_dir}: not a complete pre-meshed domain: domain.h5 missing" in err


def test_mesh_command_writes_the_domain(tmp_path, mpi_tmp_path, capsys):
    case = tmp_path / "case.yaml"
    case.write_text(STACK)
    directory = mpi_tmp_path / "mesh"
    assert main(["mesh", str(case), "-o", str(directory), "--set", "geometry.mesh_size=80 um"]) == 0
    out = capsys.readouterr().out
    record = json.loads((directory / "domain.json").read_text())
    assert WORLD.rank > 0 or f"{record['cells']} cells" in out
    overridden = load_case_text(STACK, overrides=["geometry.mesh_size=80 um"]).geometry
    assert record["fingerprint"] == geometry_fingerprint(overridden)
    assert record["layer_bounds [m]"]["separator"] == pytest.approx([60e-6, 260e-6])
    assert record["rollers"] and record["boundaries"]["interface:cathode/separator"] == 5
    assert (directory / "domain.xdmf").is_file() and (directory / "domain.h5").is_file()
    bad = tmp_path / "bad.yaml"
    bad.write_text(STACK.replace("diameter: 1 mm", "diameter: -1 mm"))
    assert main(["mesh", str(bad), "-o", str(mpi_tmp_path / "bad")]) == 2
    (tmp_path / "a_file").write_text("")
    assert main(["mesh", str(case), "-o", str(tmp_path / "a_file")]) == 2
    assert "cannot write the domain here" in capsys.readouterr().err or WORLD.rank > 0


def test_fingerprint_ignores_materials_and_save_mesh_but_not_sizes():
    base = geometry_fingerprint(load_case_text(STACK).geometry)
    same = ["geometry.layers.1.material=sulfur", "geometry.save_mesh=true"]
    other = ["geometry.mesh_size=50 um", "geometry.layers.0.thickness=61 um", "geometry.dimension=plane_strain"]
    for override in same:
        assert geometry_fingerprint(load_case_text(STACK, overrides=[override]).geometry) == base, override
    for override in other:
        assert geometry_fingerprint(load_case_text(STACK, overrides=[override]).geometry) != base, override


VOXEL = """
name: premeshed_voxel
geometry:
  type: voxel
  dimension: plane_strain
  image: {image}
  voxel_size: [1 um, 1 um]
  phases:
    electrolyte: {{label: 0, material: Li6PS5Cl}}
    active: {{label: 1, material: sulfur}}
lithiation: {{active_material: sulfur, protocol: [{{step: discharge, rate: 1 C, until_xi: 1.0}}]}}
fixture: {{type: gap}}
"""


@pytest.mark.serial  # writes files beside each other; pure Python
def test_fingerprint_hashes_a_data_file_by_content(tmp_path):
    labels = np.zeros((6, 4), dtype=np.int32)
    labels[2:4, 1:3] = 1
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        np.save(tmp_path / folder / "labels.npy", labels)
    first, moved = (load_case_text(VOXEL.format(image=tmp_path / f / "labels.npy")).geometry for f in ("a", "b"))
    assert geometry_fingerprint(first) == geometry_fingerprint(moved)
    labels[0, 0] = 1
    np.save(tmp_path / "b" / "labels.npy", labels)
    assert geometry_fingerprint(first) != geometry_fingerprint(moved)


needs_mpiexec = pytest.mark.skipif(not MPIEXEC.exists(), reason="no mpiexec beside the Python interpreter")


@needs_mpiexec
@pytest.mark.serial  # starts its own 2-rank run
def test_run_on_two_ranks_from_a_domain_meshed_on_one(tmp_path, run_pair):
    text, meshed, mesh_dir, _ = run_pair("stack")
    case = tmp_path / "case.yaml"
    case.write_text(text)
    outdir = tmp_path / "out"
    command = [str(MPIEXEC), "-n", "2", sys.executable, "-m", "chemomech", "run", str(case), "-q",
               "-o", str(outdir), "--mesh", str(mesh_dir)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_series_agree(read_series(meshed / "series.csv"), read_series(outdir / "series.csv"))
    assert json.loads((outdir / "summary.json").read_text())["ranks"] == 2
    shutil.rmtree(outdir)


def test_homogenize_on_a_premeshed_rve(mpi_tmp_path, run_pair):
    """chemomech homogenize --mesh DIR: the apparent response of the meshed RVE, and the same metrics."""
    from chemomech.upscale.command import homogenize_case

    _, _, mesh_dir, _ = run_pair("rve")
    case = load_case_text(RVE)
    rows = [
        homogenize_case(case, mpi_tmp_path / name, (0.5,), announce=lambda _: None, mesh_dir=directory)
        for name, directory in (("meshed", None), ("premeshed", mesh_dir))
    ]
    assert len(rows[0]) == len(rows[1]) == 2  # uniform displacement, uniform traction
    for meshed, premeshed in zip(*rows, strict=True):
        assert meshed.keys() == premeshed.keys()
        for column, value in meshed.items():
            if isinstance(value, str):  # the boundary conditions
                assert premeshed[column] == value
                continue
            scale = abs(meshed["bulk_modulus [Pa]"]) if column.endswith("[Pa]") else 1.0
            assert premeshed[column] == pytest.approx(value, rel=1e-8, abs=1e-12 * scale), column
    record = json.loads((mpi_tmp_path / "premeshed" / "homogenized.json").read_text())
    assert record["premeshed"]["directory"] == str(mesh_dir.resolve())
    metrics = [json.loads((mpi_tmp_path / name / "microstructure.json").read_text()) for name in ("meshed", "premeshed")]
    assert metrics[0] == metrics[1]


def test_a_run_on_a_domain_from_a_mesh_file_does_not_read_the_file_again(mpi_tmp_path, monkeypatch):
    """The domain records what validating the case found in its mesh file (tag array, tags, corners of
    the used points, with the file's digest); validating the case for a run on the domain takes it from
    there: the same case and fingerprint, and no rank reads the file. An unmapped tag is still reported;
    an edited file, or a case naming another tag array, is read as before."""
    points, cells, x = structured_mesh((3, 2, 2), (10.0, 20.0, 30.0))
    phases = "    matrix: {tag: 5, material: Li6PS5Cl}\n    particle: {tag: 7, material: sulfur}\n"
    text = mesh_file_case(mpi_tmp_path / "rve.msh", "3d", phases)
    path = mpi_tmp_path / "case.yaml"
    if WORLD.rank == 0:
        mesh = meshio.Mesh(points, [("tetra", cells)], cell_data={"gmsh:physical": [np.where(x < 11.0, 5, 7)]})
        meshio.write(mpi_tmp_path / "rve.msh", mesh, file_format="gmsh22", binary=False)
        path.write_text(text)
    WORLD.barrier()
    parsed = load_case(path)
    mesh_dir = mpi_tmp_path / "mesh"
    mesh_case(parsed, mesh_dir, WORLD)
    recorded = recorded_data_file(mesh_dir)
    assert recorded == {"sha256": file_digest(mpi_tmp_path / "rve.msh"), "cell_data": "gmsh:physical",
                        "tags": [5, 7], "corners": [[10.0, 20.0, 30.0], [13.0, 22.0, 32.0]]}
    reads = []
    read = schema.read_simplex_mesh
    monkeypatch.setattr(schema, "read_simplex_mesh", lambda *args: reads.append(args) or read(*args))

    again = load_case(path, (), recorded)
    assert not reads and again.model_dump() == parsed.model_dump()
    assert again.geometry.box_lengths() == parsed.geometry.box_lengths() == pytest.approx([3e-6, 2e-6, 2e-6])
    assert geometry_fingerprint(again.geometry) == geometry_fingerprint(parsed.geometry)
    assert main(["run", str(path), "-q", "-o", str(mpi_tmp_path / "out"), "--mesh", str(mesh_dir)]) == 0
    assert not reads
    with pytest.raises(CaseError, match="not mapped: 7"):
        load_case_text(text.replace(phases.splitlines()[1], ""), str(path), validated_file=recorded)
    assert not reads

    with pytest.raises(CaseError, match="no cell-data array 'labels'"):
        load_case(path, ["geometry.cell_data=labels"], recorded)
    assert len(reads) == 1
    WORLD.barrier()  # every rank has read the file before rank 0 rewrites it
    if WORLD.rank == 0:
        mesh.cell_data["gmsh:physical"] = [np.where(x < 12.0, 5, 7)]
        meshio.write(mpi_tmp_path / "rve.msh", mesh, file_format="gmsh22", binary=False)
    WORLD.barrier()
    load_case(path, (), recorded)
    assert len(reads) == 2


@pytest.mark.serial
def test_a_run_loads_no_mesher_until_it_meshes():
    """A run on a pre-meshed domain imports neither gmsh nor h5py (26 MB resident on every rank):
    the geometry builders load when a run meshes, h5py when a field file is read back."""
    code = (
        "import sys; import chemomech.cli, chemomech.solve.run, chemomech.geometry.premeshed; "
        "import chemomech.output.report, chemomech.output.snapshots; "
        "print(sorted({'gmsh', 'h5py'} & set(sys.modules)))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
    # ... and the check sees gmsh where it is loaded
    code = "import sys; from chemomech.geometry import rve; print('gmsh' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "True"
