"""``siamkit serve MODEL [--gallery DIR]``: the HTTP API and web pages of a trained model.

``add_parser(subparsers)`` registers the command; its handler ``run(args) -> int`` loads the model
(and the gallery, created if new) and serves until interrupted.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..serve import API_KEY_HEADER, Limits
from ._common import add_command
from .gallery import add_gallery_options, gallery_options

API_KEY_ENV = "SIAMKIT_API_KEY"
DESCRIPTION = ("Serve a model's HTTP API (OpenAPI at /docs) and web pages (/ to compare two "
               "inputs, /identify against the gallery).")
EXAMPLES = """\
  siamkit serve runs/mnist/model --gallery gallery/ --port 8000
  SIAMKIT_API_KEY=secret siamkit serve runs/faces/model --host 0.0.0.0
  siamkit serve runs/questions/model --max-batch 16 --max-request-mb 4"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = add_command(subparsers, "serve", "serve a model (and a gallery) over HTTP", DESCRIPTION,
                    EXAMPLES)
    p.add_argument("model", type=Path, help="model folder (config.json + model.safetensors)")
    p.add_argument("--gallery", "-g", type=Path, help="gallery folder (created if new)")
    add_gallery_options(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--api-key", help=f"require this key in the {API_KEY_HEADER} header "
                                     f"(default: ${API_KEY_ENV} if set; prefer the variable, "
                                     "command lines are visible to other users)")
    p.add_argument("--max-request-mb", type=float, default=16.0,
                   help="largest request body (default 16)")
    p.add_argument("--max-batch", type=int, default=64, help="most inputs per request (default 64)")
    p.add_argument("--log-level", default="info",
                   choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..gallery import Gallery
    from ..model import SiameseNetwork
    from ..serve import run as serve

    if not 0 < args.port < 65536:
        raise ConfigError(f"--port: expected 1-65535, got {args.port}")
    if args.max_batch < 1 or args.max_request_mb <= 0:
        raise ConfigError("--max-batch and --max-request-mb must be positive")
    limits = Limits(max_request_bytes=int(args.max_request_mb * 1024 * 1024),
                    max_batch=args.max_batch)
    model = SiameseNetwork.load(args.model)
    gallery = (None if args.gallery is None
               else Gallery(model, args.gallery, **gallery_options(args)))
    if gallery is not None:
        gallery.record_model_path(args.model)
    api_key = args.api_key or os.environ.get(API_KEY_ENV) or None
    serve(model, gallery, host=args.host, port=args.port, api_key=api_key, limits=limits,
          log_level=args.log_level)
    return 0
