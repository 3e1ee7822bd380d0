"""Where named datasets live on disk.

The data directory is, in order: the ``data_dir`` argument, the environment variable
``SIAMKIT_DATA``, then a per-user cache folder (``$XDG_CACHE_HOME/siamkit``, by default
``~/.cache/siamkit``). Under it each dataset has its own folder:

```
<data_dir>/mnist/          train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...
<data_dir>/fashion-mnist/  the same four file names
<data_dir>/paraphrase/     kjv_web_pairs.tsv
```
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "SIAMKIT_DATA"


def default_cache_dir() -> Path:
    """The per-user cache folder used when neither an argument nor ``SIAMKIT_DATA`` is given."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "siamkit"


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The data directory: ``data_dir``, else ``$SIAMKIT_DATA``, else :func:`default_cache_dir`."""
    if data_dir is not None and str(data_dir) != "":
        return Path(data_dir).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return default_cache_dir()


def where_from(data_dir: str | os.PathLike | None) -> str:
    """How the data directory was chosen, for error messages."""
    if data_dir is not None and str(data_dir) != "":
        return "data_dir argument"
    if os.environ.get(ENV_VAR):
        return f"${ENV_VAR}"
    return "default cache folder; pass data_dir=... or set SIAMKIT_DATA to use another"
