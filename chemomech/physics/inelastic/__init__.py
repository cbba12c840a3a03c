"""Inelasticity with history at quadrature points: powder compaction and creep.

``principal`` (return mapping in principal elastic log strains, consistent
tangent), ``compaction`` (cap plasticity with Heckel hardening), ``creep``
(power-law viscoplasticity with a yield stress), ``state`` (the quadrature
Functions, their place in the weak form and the commit/restore protocol).
"""
