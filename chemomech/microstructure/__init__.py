"""Microstructure (RVE) tools in pure numpy/scipy: random particle packings and metrics of tagged meshes."""

from chemomech.microstructure.metrics import mesh_metrics, size_distribution
from chemomech.microstructure.packing import Packing, PackingError, Particle, PhaseSpec, inside_volume, pack

__all__ = [
    "Packing",
    "PackingError",
    "Particle",
    "PhaseSpec",
    "inside_volume",
    "mesh_metrics",
    "pack",
    "size_distribution",
]
