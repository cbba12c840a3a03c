"""Box-shaped domains (RVEs, voxel images, imported meshes): face names and supports.

The box spans [0, L_x] × [0, L_y] × [0, L_z] (3D) or [0, L_x] × [0, L_z]
(plane strain), z (the last coordinate) being the stack axis. Its faces are
``bottom`` and ``top`` (z = 0, z = L_z), ``x_min``/``x_max`` and, in 3D,
``y_min``/``y_max``. Internal boundaries between regions a and b are named
``interface:a/b`` with a before b in the order of the regions; the surface of
a void phase (pores, not meshed) seen from region a is ``surface:a``.

Supports: rollers on the bottom and on every side face (each holds its normal
displacement component), so the box deforms as a cell in a row of identical
neighbours under a die; the top face carries the plunger fixture.
"""

from __future__ import annotations

FACES_2D = ("bottom", "top", "x_min", "x_max")
FACES_3D = ("bottom", "top", "x_min", "x_max", "y_min", "y_max")


def faces(gdim: int) -> tuple[str, ...]:
    """Names of the box faces in ``gdim`` dimensions."""
    return FACES_3D if gdim == 3 else FACES_2D


def face_planes(gdim: int, lengths) -> dict[str, tuple[int, float]]:
    """Face name -> (coordinate index, coordinate value) of its plane."""
    axes = {"x": 0, "y": 1} if gdim == 3 else {"x": 0}
    planes = {"bottom": (gdim - 1, 0.0), "top": (gdim - 1, float(lengths[-1]))}
    for name, axis in axes.items():
        planes[f"{name}_min"] = (axis, 0.0)
        planes[f"{name}_max"] = (axis, float(lengths[axis]))
    return planes


def rollers(gdim: int) -> dict[str, tuple[int, ...]]:
    """Held components: u_z = 0 on the bottom, the normal component on each side face."""
    held = {"bottom": (gdim - 1,), "x_min": (0,), "x_max": (0,)}
    if gdim == 3:
        held |= {"y_min": (1,), "y_max": (1,)}
    return held


def interface_name(a: str, b: str, order: tuple[str, ...]) -> str:
    """``interface:a/b`` with the two regions in the order of ``order``."""
    first, second = sorted((a, b), key=order.index)
    return f"interface:{first}/{second}"


def surface_name(region: str) -> str:
    """The boundary between ``region`` and a void phase (pore surface)."""
    return f"surface:{region}"
