"""``python -m siamkit``: the same as the ``siamkit`` command."""

from .cli import main

raise SystemExit(main())
