"""SLURM job scripts: ``chemomech slurm`` (one run, with this installation or in a container image)
and the pieces ``chemomech sweep --slurm`` shares with it."""
