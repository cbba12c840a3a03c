"""Computational homogenisation: apparent stiffness and swelling of an RVE versus lithiation.

``chemomech homogenize RVE_CASE`` loads a box-shaped microstructure (geometry
``rve``, ``voxel`` or ``mesh``) by macroscopic strains and stresses at a
sequence of ξ values and writes a table a cell-scale case can name as a
material (physics.md section 9).
"""

from chemomech.upscale.voigt import isotropic_projection

__all__ = ["isotropic_projection"]
