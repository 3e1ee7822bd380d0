"""ONNX Runtime sessions, and the one line that says how to install it when it is missing.

Sessions run on the CPU execution provider with every graph optimisation ONNX Runtime has
(``ORT_ENABLE_ALL``: constant folding, node fusions such as Conv + BatchNorm, layout changes).
``threads`` sets the intra-op thread pool (0 = ONNX Runtime's default, one per core); inter-op
parallelism stays sequential, as PyTorch eager runs one op after another.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError, SiamkitError

INSTALL = "ONNX Runtime is not installed: pip install siamkit[onnx]"


def import_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError:
        raise SiamkitError(INSTALL) from None
    return onnxruntime


def inference_session(file: str | os.PathLike, threads: int | None = None) -> Any:
    """A CPU ``InferenceSession`` of the ONNX ``file`` with ``threads`` intra-op threads."""
    ort = import_onnxruntime()
    if threads is not None and int(threads) < 0:
        raise ConfigError(f"threads: expected 0 (the runtime's default) or more, got {threads}")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = int(threads or 0)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: its warnings are about its own internals
    return ort.InferenceSession(str(Path(file)), sess_options=options,
                                providers=["CPUExecutionProvider"])
