"""Electrode-scale transport: effective conductivities, kinetics, equilibrium curves, the potential problem."""
