"""Virtual sensors (physics.md section 7): load cell, dilatometer, fibre Bragg gratings."""

from chemomech.sensors.fbg import FibreBraggGrating
from chemomech.sensors.plunger import Dilatometer, LoadCell

__all__ = ["Dilatometer", "FibreBraggGrating", "LoadCell"]
