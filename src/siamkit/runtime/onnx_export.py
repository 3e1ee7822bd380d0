"""Export a :class:`~siamkit.SiameseNetwork` to ONNX: ``export_onnx(model, out) -> out``.

The graph takes the *storage form* of the inputs (uint8 images ``[B, C, H, W]``, int64 token ids
``[B, L]``, float32 vectors ``[B, D]``: what ``model.prepare`` returns) and runs the input adapter's
forward (image and vector normalisation) and the encoder, so a deployment needs no PyTorch code to
normalise. The batch axis is dynamic, and so is the sequence length of a text model. Raw inputs
still become that storage form in Python (image decoding, tokenising: ``adapter.prepare``).

Exporter: ``torch.onnx.export(..., dynamo=True)``, the ``torch.export``-based exporter that is the
default since PyTorch 2.9. The legacy TorchScript exporter (``dynamo=False``) also exported every
registered encoder when this was written (torch 2.13), but warns that it will be removed.

An encoder says how it exports through :meth:`siamkit.encoders.Encoder.export_graph`: itself by
default, an equivalent module without data-dependent Python control flow (the RNN's length-sorted
chunks, :mod:`siamkit.encoders.rnn_graph`), or an :class:`~siamkit.errors.ExportError` that says
in one line why it cannot. After writing, the graph is run by ONNX Runtime on a batch of another
size (and length) than the traced one and compared with PyTorch; a difference over ``tolerance``
is an error, and the difference measured is recorded in the folder's config.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from torch import Tensor, nn

from ..atomic import atomic_write_json
from ..errors import ConfigError, ExportError
from ..version import __version__
from .onnx_folder import (CONFIG_FILE, ENCODER_FILE, FORMAT, FORMAT_VERSION, HEAD_FILE,
                          HEAD_INPUTS, HEAD_OUTPUT, INPUT_NAME, OUTPUT_NAME)
from .ort import inference_session

TRACE_BATCH, CHECK_BATCH = 2, 3
# One file up to this many parameter bytes; larger models keep their weights beside it.
EXTERNAL_DATA_BYTES = 1 << 30


class _EmbeddingGraph(nn.Module):
    """Storage-form inputs -> embeddings: the adapter's forward, then the encoder's graph."""

    def __init__(self, adapter: nn.Module, encoder: nn.Module) -> None:
        super().__init__()
        self.adapter, self.encoder = adapter, encoder

    def forward(self, inputs: Tensor) -> Tensor:
        return self.encoder(self.adapter(inputs))


class _HeadGraph(nn.Module):
    """Embedding pairs -> match probabilities: the sigmoid of the head's logits, the model's score."""

    def __init__(self, head: nn.Module) -> None:
        super().__init__()
        self.head = head

    def forward(self, u: Tensor, v: Tensor) -> Tensor:
        return torch.sigmoid(self.head(u, v))


def export_graph(encoder: nn.Module) -> nn.Module:
    """The module to trace for ``encoder``: its ``export_graph()`` if it has one, else itself."""
    make = getattr(encoder, "export_graph", None)
    return make() if callable(make) else encoder


def export_onnx(model: Any, out: str | os.PathLike, example: Tensor | None = None,
                tolerance: float = 1e-4, opset: int | None = None) -> Path:
    """Write ``model`` as an ONNX folder ``out`` (see :mod:`siamkit.runtime.onnx_folder`).

    ``example``: a storage-form batch to trace with, for a model whose adapter does not say what
    its inputs look like (a user encoder without an adapter). ``out`` must not exist yet; it
    appears complete or not at all.
    """
    from ..gallery.fingerprint import model_fingerprint

    out = Path(out)
    if out.exists():
        raise ConfigError(f"output {out}: already exists; choose a new folder or remove it")
    if model.device.type != "cpu":
        raise ExportError(f"export: the model is on {model.device}; export it from the CPU "
                          "(model.cpu())")
    model.eval()
    graph = _EmbeddingGraph(model.adapter, export_graph(model.encoder)).eval()
    trace = example if example is not None else example_inputs(model, TRACE_BATCH, seed=0)
    check = example if example is not None else example_inputs(model, CHECK_BATCH, seed=1)
    text = getattr(model.adapter, "type", None) == "text"
    axes = {0: "batch", 1: "length"} if text else {0: "batch"}
    if text and trace.dim() == 3:  # subword ids [B, L, 1 + K]: K follows the longest word's
        axes[2] = "pieces"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        _export(graph, (trace,), tmp / ENCODER_FILE, [INPUT_NAME], OUTPUT_NAME, [axes], opset)
        with torch.no_grad():
            want = model.embed(check).float()
        got = _run(tmp / ENCODER_FILE, {INPUT_NAME: check})
        diff = {"embeddings": _difference(got, want, tolerance, f"check batch {tuple(check.shape)}")}
        if model.head is not None:
            diff["scores"] = _export_head(model, want, tmp / HEAD_FILE, tolerance, opset)
        model.adapter.save_files(tmp)
        config = model.to_config()
        atomic_write_json(tmp / CONFIG_FILE, {
            "format": FORMAT, "format_version": FORMAT_VERSION, "siamkit_version": __version__,
            "model": config, "fingerprint": model_fingerprint(model),
            "score_kind": model.score_kind, "embedding_dim": model.embedding_dim,
            "input": {"name": INPUT_NAME, "dtype": str(trace.dtype).removeprefix("torch."),
                      "shape": [axes.get(i, int(s)) for i, s in enumerate(trace.shape)],
                      # siamkit's tokenizer pads on the right with id 0, and a text encoder's
                      # embedding never depends on that padding: the runtime may trim it.
                      **({"padding": {"side": "right", "id": 0}} if text else {})},
            "output": {"name": OUTPUT_NAME, "shape": ["batch", int(want.shape[1])]},
            "head": None if model.head is None else {"inputs": list(HEAD_INPUTS), "output": HEAD_OUTPUT,
                                                     "applies": "sigmoid of the head's logit"},
            "exporter": {"torch": torch.__version__, "dynamo": True, "opset": opset},
            "max_abs_difference": diff,
        })
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _export_head(model: Any, embeddings: Tensor, file: Path, tolerance: float,
                 opset: int | None) -> float:
    head = _HeadGraph(model.head).eval()
    gen = torch.Generator().manual_seed(2)
    u = embeddings + 0.1 * torch.randn(embeddings.shape, generator=gen)
    v = embeddings.flip(0)
    _export(head, (u[:TRACE_BATCH], v[:TRACE_BATCH]), file, list(HEAD_INPUTS), HEAD_OUTPUT,
            [{0: "batch"}, {0: "batch"}], opset)
    with torch.no_grad():
        want = model.score_embeddings(u, v).float()
    got = _run(file, {HEAD_INPUTS[0]: u, HEAD_INPUTS[1]: v})
    return _difference(got, want, tolerance, "head scores")


def _export(module: nn.Module, args: tuple, file: Path, input_names: list[str], output: str,
            axes: list[dict[int, str]], opset: int | None) -> None:
    dims = {name: torch.export.Dim(name, min=1) for a in axes for name in a.values()}
    shapes = tuple({i: dims[name] for i, name in a.items()} for a in axes)
    size = sum(p.numel() * p.element_size() for p in module.parameters())
    try:
        with _quiet_exporter(), torch.no_grad():
            torch.onnx.export(module, args, str(file), dynamo=True, input_names=input_names,
                              output_names=[output], dynamic_shapes=shapes, opset_version=opset,
                              external_data=size > EXTERNAL_DATA_BYTES, verbose=False)
            if not _axes_dynamic(file, axes):
                # torch.export sometimes fixes an axis at its traced size (seen with a second LSTM
                # export in one process); the TorchScript exporter keeps the axes it is given.
                names = {i_name: a for i_name, a in zip(input_names, axes)}
                torch.onnx.export(module, args, str(file), dynamo=False, input_names=input_names,
                                  output_names=[output], dynamic_axes=names, opset_version=opset)
                if not _axes_dynamic(file, axes):
                    raise ExportError(f"export: {type(module).__name__}: the exported graph has a "
                                      "fixed batch or length axis")
    except ExportError:
        raise
    except Exception as exc:  # the exporter's own error types; say which module and why
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise ExportError(f"export: torch.onnx.export failed for {type(module).__name__} "
                          f"({type(exc).__name__}: {first})") from exc


def _axes_dynamic(file: Path, axes: list[dict[int, str]]) -> bool:
    """Whether every axis named in ``axes`` is symbolic in the graph's inputs."""
    import onnx

    graph = onnx.load(str(file), load_external_data=False).graph
    for inp, a in zip(graph.input, axes):
        dims = inp.type.tensor_type.shape.dim
        if any(i >= len(dims) or not dims[i].dim_param for i in a):
            return False
    return True


@contextmanager
def _quiet_exporter() -> Iterator[None]:
    """The exporter logs each stage and every missing optional op library, and warns about its
    internals; keep the CLI's stderr for siamkit's own lines."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            # torch.export's deprecation notes about its own internals, and a note that the two
            # head inputs share one batch axis (they do: pairs).
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _run(file: Path, feeds: dict[str, Tensor]) -> Tensor:
    session = inference_session(file, threads=1)
    arrays = {k: v.detach().cpu().numpy() for k, v in feeds.items()}
    return torch.from_numpy(np.asarray(session.run(None, arrays)[0]))


def _difference(got: Tensor, want: Tensor, tolerance: float, what: str) -> float:
    if got.shape != want.shape:
        raise ExportError(f"export: ONNX Runtime gave shape {tuple(got.shape)} on the {what}, "
                          f"PyTorch {tuple(want.shape)}")
    diff = float((got - want).abs().max()) if got.numel() else 0.0
    if not diff <= tolerance:
        raise ExportError(f"export: ONNX Runtime and PyTorch differ by {diff:.3g} (> {tolerance:g}) "
                          f"on the {what}")
    return diff


def example_inputs(model: Any, batch: int, seed: int = 0) -> Tensor:
    """A storage-form batch of ``batch`` inputs for ``model``, from what its adapter (or encoder)
    says about them: random pixels, random token ids with right padding, random vectors."""
    gen = torch.Generator().manual_seed(seed)
    adapter, encoder = model.adapter, model.encoder
    kind = getattr(adapter, "type", None)
    if kind == "image":
        return torch.randint(0, 256, (batch, adapter.channels, *adapter.image_size),
                             dtype=torch.uint8, generator=gen)
    if kind == "text":
        return _example_ids(adapter, encoder, batch, gen)
    dim = getattr(adapter, "input_dim", None) or getattr(encoder, "input_dim", None)
    if dim is None:
        raise ExportError("export: cannot tell what inputs this model takes (its adapter is "
                          f"{kind!r} and its encoder has no input_dim); pass example= to export_onnx")
    return 3 * torch.randn(batch, int(dim), generator=gen)


def _example_ids(adapter: Any, encoder: Any, batch: int, gen: torch.Generator) -> Tensor:
    # The tokenizer's own output gives the layout ([B, L] or subword [B, L, 1 + K]) and dtype;
    # random ids of the encoder's vocabulary replace the (mostly unknown) words of the filler text.
    words = "siamkit exports the encoder with its input adapter into one graph".split()
    texts = [" ".join(words[: 3 + (5 * i) % len(words)]) for i in range(batch)]
    texts[-1] = words[0]  # one short row, so padding is in the batch
    ids = adapter.prepare(texts)
    vocab = getattr(encoder, "vocab_size", None)
    if vocab is not None:
        random = torch.randint(1, int(vocab), ids.shape, generator=gen, dtype=ids.dtype)
        ids = torch.where(ids != 0, random, ids)
    return ids
