"""Writes rve_labels.npy, the small segmented image of cases/rve_voxel_import.yaml.

A 20 × 20 × 16 voxel box (1 µm voxels, array axes x, y, z) of Li6PS5Cl
(label 1) holding two sulfur balls (label 2), a carbon agglomerate (label 3)
and a pore (label 0). Run from this folder: ``python make_rve_labels.py``.
"""

import numpy as np

SHAPE = (20, 20, 16)
BALLS = [  # (label, centre in voxels, radius in voxels)
    (2, (6.5, 6.5, 6.5), 4.5),
    (2, (13.5, 13.0, 9.5), 4.5),
    (3, (15.0, 5.0, 4.0), 3.0),
    (0, (5.0, 15.0, 12.0), 2.5),
]


def labels() -> np.ndarray:
    """The label image: voxel centres inside a ball take its label."""
    centres = np.stack(np.meshgrid(*(np.arange(n) + 0.5 for n in SHAPE), indexing="ij"), axis=-1)
    image = np.ones(SHAPE, dtype=np.int8)
    for label, centre, radius in BALLS:
        image[np.linalg.norm(centres - np.asarray(centre), axis=-1) < radius] = label
    return image


if __name__ == "__main__":
    np.save("rve_labels.npy", labels())
