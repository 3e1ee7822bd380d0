"""``siamkit serve MODEL [--gallery DIR]``: the HTTP API and web pages of a trained model.

``add_parser(subparsers)`` registers the command; its handler ``run(args) -> int`` loads the model
(and the gallery, created if new) and serves until interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ._common import add_command, add_runtime_flags, load_model
from ._serve_options import (
    add_limit_arguments,
    add_security_arguments,
    limits_from_args,
    security_from_args,
)
from .gallery import add_gallery_options, gallery_options

DESCRIPTION = ("Serve a model's HTTP API (OpenAPI at /docs) and web pages (/ to compare two "
               "inputs, /identify against the gallery).")
EXAMPLES = """\
  siamkit serve runs/mnist/model --gallery gallery/ --port 8000   # prints a new admin key once
  SIAMKIT_API_KEY=secret siamkit serve runs/faces/model -g faces/ --host 0.0.0.0 \
      --ssl-certfile cert.pem --ssl-keyfile key.pem
  siamkit serve runs/questions/model --no-auth --max-batch 16 --max-request-mb 4
  siamkit serve runs/mnist/onnx --runtime onnx --threads 2"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = add_command(subparsers, "serve", "serve a model (and a gallery) over HTTP", DESCRIPTION,
                    EXAMPLES)
    p.add_argument("model", type=Path, help="model folder (config.json + model.safetensors), or "
                                            "an exported ONNX folder with --runtime onnx")
    p.add_argument("--gallery", "-g", type=Path, help="gallery folder (created if new)")
    add_gallery_options(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--log-level", default="info",
                   choices=("critical", "error", "warning", "info", "debug"))
    add_security_arguments(p)
    add_limit_arguments(p)
    add_runtime_flags(p)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..gallery import Gallery
    from ..serve import run as serve

    if not 0 < args.port < 65536:
        raise ConfigError(f"--port: expected 1-65535, got {args.port}")
    limits = limits_from_args(args)
    model = load_model(args.model, runtime=args.runtime, threads=args.threads)
    gallery = (None if args.gallery is None
               else Gallery(model, args.gallery, **gallery_options(args)))
    if gallery is not None:
        gallery.record_model_path(args.model)
    try:
        security = security_from_args(args, args.gallery)
    except BaseException:
        if gallery is not None:
            gallery.close()
        raise
    for line in security.pop("lines"):
        print(f"siamkit serve: {line}", file=sys.stderr, flush=True)
    serve(model, gallery, host=args.host, port=args.port, limits=limits,
          log_level=args.log_level, **security)
    return 0
