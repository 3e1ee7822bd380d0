"""``python -m siamkit.serve serve ...``: an alias of ``siamkit serve ...``, with the same
parser, output and exit status (see :mod:`siamkit.cli`)."""

from ..cli import main

raise SystemExit(main())
