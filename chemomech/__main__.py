"""``python -m chemomech``: the same as the ``chemomech`` command."""

from chemomech.cli import main

raise SystemExit(main())
