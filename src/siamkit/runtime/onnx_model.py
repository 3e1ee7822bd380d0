"""An exported model run by ONNX Runtime, with the interface the service, ``embed`` and the gallery
use of a :class:`~siamkit.SiameseNetwork`: ``prepare -> run -> embeddings``, scores, threshold.

``OnnxModel(folder, threads=None)`` reads a folder written by :func:`siamkit.runtime.export_onnx`.
Raw inputs become the storage form in Python with the model's own adapter (rebuilt from the saved
config: image decoding and resizing, the tokenizer), the graph does the rest (normalisation and
the encoder). Scores follow the source model: a head's match probability from ``head.onnx``, or
the distance's score computed from the embeddings with siamkit's distance code (as the PyTorch
model computes them). ``fingerprint`` is the source model's, so a gallery it enrolled accepts
this model. Embeddings come back as CPU tensors, as ``SiameseNetwork.encode`` returns them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..adapters import adapter_from_config
from ..distances import Distance, ScoreScale, get_distance
from ..errors import DataError, ModelFileError, NotCalibratedError
from ..heads import create_head, head_scores
from ..length_chunks import encode_in_chunks
from .onnx_folder import ENCODER_FILE, HEAD_FILE, HEAD_INPUTS, SINGLE_INPUT_VERSION, read_onnx_config
from .ort import import_onnxruntime, inference_session

CHUNK_ROWS = 64  # rows per length-sorted chunk of a text batch (as the RNN encoder's)
DTYPES = {"uint8": np.uint8, "int64": np.int64, "int32": np.int32, "float32": np.float32}


class OnnxModel:
    """An exported siamkit model on ONNX Runtime's CPU provider with ``threads`` intra-op threads
    (None or 0: ONNX Runtime's default)."""

    runtime = "onnx"
    encoder = None  # no PyTorch module: code that asks for one (input_dim) gets None
    training = False

    def __init__(self, folder: str | os.PathLike, threads: int | None = None) -> None:
        import_onnxruntime()  # a missing extra is the one thing to say, whatever the folder
        self.folder = Path(folder)
        self.threads = threads
        self.config_ = read_onnx_config(self.folder)
        source = self.config_["model"]
        where = f"onnx model {self.folder}"
        self.adapter = adapter_from_config(source.get("adapter") or {"type": "tensor"}, self.folder)
        self.distance_name = get_distance(source["distance"]).name
        threshold = source.get("threshold") or {}
        self.threshold = None if threshold.get("value") is None else float(threshold["value"])
        self.threshold_info = dict(threshold)
        self.metadata = dict(source.get("metadata") or {})
        self.fingerprint = str(self.config_["fingerprint"])
        # The graph's input names, in the order of the storage form's last axis when it packs
        # several (format 2: a Hugging Face tokenizer's [B, L, 2] ids + attention mask).
        if self.config_["format_version"] == SINGLE_INPUT_VERSION:
            described = self.config_["input"]
            self.input_names = [described["name"]]
            self.padding_id = (described.get("padding") or {}).get("id")
            self.padding_mask = None
        else:
            described = self.config_["storage"]
            self.input_names = list(described["inputs"])
            mask = (described.get("padding") or {}).get("mask")
            if mask is not None and mask not in self.input_names:
                raise ModelFileError(f"{where}: the padding mask {mask!r} is not one of the "
                                     f"inputs {self.input_names}")
            self.padding_id = None
            self.padding_mask = None if mask is None else self.input_names.index(mask)
        self.input_name = self.input_names[0]
        dtype = described["dtype"]
        if dtype not in DTYPES:
            raise ModelFileError(f"{where}: unknown input dtype {dtype!r}")
        self.input_dtype = DTYPES[dtype]
        self.session_ = inference_session(self.folder / ENCODER_FILE, threads)
        head = source.get("head")
        # The torch head (untrained) only says what its scores mean; head.onnx computes them.
        self.head = None if not head else create_head(head["name"], **head.get("config", {}))
        self.head_session_ = None if not head else inference_session(self.folder / HEAD_FILE, threads)

    # ---- what SiameseNetwork offers ---------------------------------------------------------

    @property
    def embedding_dim(self) -> int:
        return int(self.config_["output"]["shape"][1])

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    @property
    def distance_fn(self) -> Distance:
        return get_distance(self.distance_name)

    @property
    def score_scale(self) -> ScoreScale:
        return head_scores(self.head) if self.head is not None else self.distance_fn

    @property
    def score_kind(self) -> str:
        return self.score_scale.score_kind

    def eval(self) -> "OnnxModel":
        return self

    def train(self, mode: bool = True) -> "OnnxModel":
        return self

    def to_config(self) -> dict[str, Any]:
        """The source model's ``config.json``."""
        return dict(self.config_["model"])

    # ---- embedding --------------------------------------------------------------------------

    def prepare(self, raw: Any) -> Tensor:
        """Raw inputs -> the storage-form batch the graph reads (the adapter's ``prepare``)."""
        return raw if isinstance(raw, Tensor) else self.adapter.prepare(raw)

    def run(self, batch: Tensor | np.ndarray) -> np.ndarray:
        """Embeddings ``[B, D]`` float32 of a storage-form batch."""
        array = batch.detach().cpu().numpy() if isinstance(batch, Tensor) else np.asarray(batch)
        if array.dtype != self.input_dtype:
            same_kind = np.dtype(self.input_dtype).kind == array.dtype.kind
            if not same_kind and not (self.input_dtype == np.float32 and array.dtype.kind in "iu"):
                raise DataError(f"inputs: this ONNX model reads {np.dtype(self.input_dtype).name} "
                                f"batches, got {array.dtype.name}")
            array = array.astype(self.input_dtype)
        parts = len(self.input_names)
        if parts > 1 and (array.ndim != 3 or array.shape[2] != parts):
            raise DataError(f"inputs: this ONNX model reads [B, L, {parts}] batches "
                            f"({' + '.join(self.input_names)}), got shape {tuple(array.shape)}")
        trims = self.padding_id is not None or self.padding_mask is not None
        if trims and array.ndim >= 2 and array.shape[0] > 1:
            return self._run_by_length(array)
        return self._session_run(array)

    def _session_run(self, array: np.ndarray) -> np.ndarray:
        if len(self.input_names) == 1:
            feeds = {self.input_name: array}
        else:
            feeds = {name: np.ascontiguousarray(array[..., i])
                     for i, name in enumerate(self.input_names)}
        return self.session_.run(None, feeds)[0]

    def _run_by_length(self, ids: np.ndarray) -> np.ndarray:
        """Rows sorted by length, in chunks trimmed to their longest row: a graph run over a
        whole batch computes every row to the longest one, which for a recurrent encoder is most
        of the work on text of mixed lengths (the PyTorch encoder does the same, see
        :mod:`siamkit.encoders.rnn`; for a transformer, attention costs grow with the square of
        the length). Right padding never changes an embedding, so the result is the same."""
        if self.padding_mask is not None:  # [B, L, k]: the mask says where the padding is
            real = ids[:, :, self.padding_mask] != 0
        else:  # siamkit's ids: padding is id 0 (of the word ids, for subwords)
            word = ids[:, :, 0] if ids.ndim == 3 else ids
            real = word != self.padding_id
        lengths = np.where(real.any(axis=1), ids.shape[1] - np.argmax(real[:, ::-1], axis=1), 1)
        order = np.argsort(-lengths, kind="stable")
        out = np.empty((ids.shape[0], self.embedding_dim), dtype=np.float32)
        for start in range(0, len(order), CHUNK_ROWS):
            rows = order[start:start + CHUNK_ROWS]
            chunk = np.ascontiguousarray(ids[rows, : int(lengths[rows].max())])
            out[rows] = self._session_run(chunk)
        return out

    def embed(self, x: Any) -> Tensor:
        return torch.from_numpy(self.run(self.prepare(x)))

    def encode(self, inputs: Any, batch_size: int = 256, progress: bool = False) -> Tensor:
        """Embeddings of many inputs as a CPU tensor: ``batch_size`` at a time, or, where the
        adapter knows the inputs' sizes (token counts), longest first in chunks of at most
        ``batch_size`` rows and about :data:`~siamkit.length_chunks.MAX_TOKENS` padded tokens,
        as :meth:`siamkit.SiameseNetwork.encode`; rows come back in the order of ``inputs``."""
        return encode_in_chunks(self.embed, inputs, self.adapter, batch_size,
                                self.embedding_dim, progress)

    # ---- comparing --------------------------------------------------------------------------

    def score_embeddings(self, u: Tensor, v: Tensor) -> Tensor:
        """Paired scores ``[B]``, higher = more similar."""
        if self.head_session_ is None:
            return self.distance_fn.paired_scores(u, v)
        feeds = {HEAD_INPUTS[0]: _floats(u), HEAD_INPUTS[1]: _floats(v)}
        return torch.from_numpy(self.head_session_.run(None, feeds)[0])

    def pairwise_scores(self, u: Tensor, v: Tensor, chunk_size: int = 256) -> Tensor:
        """Scores ``[B, B']`` of every (u_i, v_j)."""
        if self.head_session_ is None:
            return self.distance_fn.pairwise_scores(u, v)
        rows = []
        step = max(1, chunk_size * chunk_size // max(1, v.shape[0]))  # ~chunk_size^2 pairs a run
        for start in range(0, u.shape[0], step):
            block = u[start:start + step]
            left = block.repeat_interleave(v.shape[0], dim=0)
            right = v.repeat(block.shape[0], 1)
            rows.append(self.score_embeddings(left, right).view(block.shape[0], v.shape[0]))
        return torch.cat(rows) if rows else u.new_zeros((0, v.shape[0]))

    def similarity(self, x1: Any, x2: Any) -> Tensor:
        return self.score_embeddings(self.embed(x1), self.embed(x2))

    def distance(self, x1: Any, x2: Any) -> Tensor:
        return self.distance_fn.paired(self.embed(x1), self.embed(x2))

    def verify(self, x1: Any, x2: Any) -> Tensor:
        if self.threshold is None:
            raise NotCalibratedError("this model has no decision threshold: it was exported "
                                     "before one was set")
        return self.similarity(x1, x2) >= self.threshold


def _floats(x: Tensor) -> np.ndarray:
    return x.detach().cpu().float().numpy()
