"""Models past PyTorch: export to ONNX, and run the exported folder on ONNX Runtime.

``export_onnx(model, out)`` writes the folder (:mod:`.onnx_folder` describes it);
``OnnxModel(out, threads=...)`` runs it with the interface the service, ``siamkit embed`` and
the gallery use. ``load_runtime(path, runtime)`` is what ``--runtime torch|onnx`` picks.
Needs the ``onnx`` extra (``pip install siamkit[onnx]``); without it, one line says so.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import ConfigError
from .onnx_export import example_inputs, export_graph, export_onnx
from .onnx_folder import read_onnx_config
from .onnx_model import OnnxModel
from .ort import import_onnxruntime, inference_session

RUNTIMES = ("torch", "onnx")


def load_runtime(path: str | os.PathLike, runtime: str = "torch", device: str = "cpu",
                 threads: int | None = None) -> Any:
    """The model at ``path`` on ``runtime``: a :class:`~siamkit.SiameseNetwork` (``"torch"``,
    a model folder) or an :class:`OnnxModel` (``"onnx"``, an exported folder, CPU only)."""
    if runtime == "onnx":
        if device not in ("cpu", "auto"):
            raise ConfigError(f"--device {device}: the onnx runtime runs on the CPU provider")
        return OnnxModel(path, threads=threads)
    if runtime != "torch":
        raise ConfigError(f"runtime: expected one of {', '.join(RUNTIMES)}, got {runtime!r}")
    import torch

    from ..model import SiameseNetwork

    if threads:
        torch.set_num_threads(int(threads))
    device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
    return SiameseNetwork.load(path, map_location=device)


__all__ = ["OnnxModel", "RUNTIMES", "example_inputs", "export_graph", "export_onnx",
           "import_onnxruntime", "inference_session", "load_runtime", "read_onnx_config"]
