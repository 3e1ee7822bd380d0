"""``python -m siamkit.gallery gallery enroll|identify|verify|remove|list ...``, the same as
``siamkit gallery ...``."""

import sys

from .._standalone import main
from .cli import add_parser

sys.exit(main(add_parser))
