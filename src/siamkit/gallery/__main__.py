"""``python -m siamkit.gallery gallery ...``: an alias of ``siamkit gallery ...``, with the same
parser, output and exit status (see :mod:`siamkit.cli`)."""

from ..cli import main

raise SystemExit(main())
