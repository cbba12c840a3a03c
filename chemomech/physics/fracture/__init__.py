"""Phase-field fracture (physics.md section 8).

* crack_density: AT1/AT2 w(d), c_w, g(d), the homogeneous strengths;
* split: W = W⁺ + W⁻ (volumetric–deviatoric, spectral) of the constitutive laws;
* phase_field: the damage field, per-cell parameters and the degraded law;
* damage: the damage problem (SNES; AT2 history, AT1 bounds), a coupled field of the stepper;
* resolve: parameters of a case's regions, the strength report and the ℓ ≥ 2h check.
"""
