"""Parameter sweeps: ``chemomech sweep CASE --param KEY=V1,V2,...``.

The cartesian product of the parameter values (``params``), every run
validated before any starts (``validate``), laid out on disk (``record``),
run here (``local``) or as a SLURM array job (``slurm``), and compared in
one table and overlaid figures (``collect``, ``figures``); ``command`` ties
them together. This package never imports DOLFINx, PETSc or MPI: each run
is its own ``chemomech run`` process.
"""
