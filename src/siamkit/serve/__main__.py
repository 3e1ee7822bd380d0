"""``python -m siamkit.serve serve MODEL [--gallery DIR] ...`` (same as ``siamkit serve``)."""

import sys

from .._standalone import main
from .cli import add_parser

sys.exit(main(add_parser))
