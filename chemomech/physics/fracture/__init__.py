"""Phase-field fracture (physics.md section 8): crack density, energy split, damage problem."""
