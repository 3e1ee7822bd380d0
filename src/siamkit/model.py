"""The Siamese network: one input adapter, ONE encoder, a distance or a learned head, a threshold.

Every branch of the twin (two inputs for pairs, three for triplets) passes through the same encoder
module, so the weights are shared by construction rather than kept in sync (Bromley et al. 1993,
"Signature Verification using a Siamese Time Delay Neural Network"; Chopra, Hadsell, LeCun 2005).

Scores follow siamkit's convention, higher = more similar: the head's match probability when the
model has a head (Koch et al. 2015), otherwise the distance turned into a score (``-d`` for euclidean
and manhattan, cosine similarity for cosine). ``threshold`` lives on that score scale and
``verify`` answers ``score >= threshold``.

A model directory holds ``config.json`` (encoder by registry name and arguments, input adapter with
its normalisation or tokenizer vocabulary, distance, head, threshold and how it was chosen, library
version) and ``model.safetensors`` (weights). Loading reads JSON and tensors only: it never unpickles
and never imports code named in a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from .atomic import atomic_path, atomic_write_json, write_failure
from .version import __version__
from .adapters import Adapter, TensorAdapter, adapter_from_config
from .distances import Distance, ScoreScale, get_distance
from .encoders.base import Encoder, get_encoder_class
from .errors import ConfigError, ModelFileError, NotCalibratedError, SiamkitError, WriteError
from .heads import create_head, head_scores
from .length_chunks import encode_in_chunks
from .model_checks import (
    build_on_meta,
    check_arguments,
    check_shapes,
    check_threshold_range,
    check_top_level,
    weights_header,
)
from .registry import ADAPTERS

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
FORMAT = "siamkit-model"
FORMAT_VERSION = 1
_CONFIG_KEYS = {"format", "format_version", "siamkit_version", "encoder", "adapter", "distance",
                "head", "embedding_dim", "threshold", "metadata"}


class SiameseNetwork(nn.Module):
    """A twin network around one shared ``encoder``.

    Args:
        encoder: a registered :class:`~siamkit.encoders.Encoder` or any module mapping a batch to
            ``[B, D]`` (the latter saves, but reloads only with ``load(path, encoder=...)``).
        distance: "euclidean", "squared_euclidean", "cosine" or "manhattan".
        head: None, "l1_sigmoid" (Koch et al. 2015) or a head module.
        adapter: how raw inputs become tensors (see :mod:`siamkit.adapters`); none = tensors as given.
        threshold: decision threshold on the score scale (higher = more similar), usually set by
            :func:`siamkit.evaluation.calibrate` on validation data.
    """

    def __init__(self, encoder: nn.Module, distance: str = "euclidean", head: str | nn.Module | None = None,
                 adapter: Adapter | None = None, threshold: float | None = None,
                 threshold_info: dict | None = None, metadata: dict | None = None) -> None:
        super().__init__()
        if not isinstance(encoder, nn.Module):
            raise ConfigError(f"encoder: expected a torch.nn.Module, got {type(encoder).__name__}")
        self.encoder = encoder
        self.distance_name = get_distance(distance).name
        if isinstance(head, str):
            dim = getattr(encoder, "embedding_dim", None)
            if dim is None:
                raise ConfigError("head: the encoder has no embedding_dim; build the head yourself")
            head = create_head(head, embedding_dim=dim)
        self.head = head
        self.adapter = adapter if adapter is not None else TensorAdapter()
        self.threshold = None if threshold is None else float(threshold)
        self.threshold_info = dict(threshold_info or {})
        self.metadata = dict(metadata or {})

    # ---- properties -------------------------------------------------------------------------

    @property
    def distance_fn(self) -> Distance:
        return get_distance(self.distance_name)

    @property
    def embedding_dim(self) -> int | None:
        return getattr(self.encoder, "embedding_dim", None)

    @property
    def device(self) -> torch.device:
        param = next(self.parameters(), None)
        return param.device if param is not None else torch.device("cpu")

    @property
    def score_scale(self) -> ScoreScale:
        """What this model's scores mean: its head's account (match probabilities) when it has a
        head, else its distance's (see :class:`~siamkit.distances.ScoreScale`)."""
        return head_scores(self.head) if self.head is not None else self.distance_fn

    @property
    def score_kind(self) -> str:
        """What a score is: "probability" (head), "cosine_similarity", "negative_euclidean", ..."""
        return self.score_scale.score_kind

    # ---- embedding --------------------------------------------------------------------------

    def prepare(self, raw: Any) -> Tensor:
        """Raw inputs (paths, PIL images, arrays, strings) -> a batch tensor on the model's device."""
        batch = raw if isinstance(raw, Tensor) else self.adapter.prepare(raw)
        return batch.to(self.device)

    def embed(self, x: Any) -> Tensor:
        """``[B, D]`` embeddings of a batch (tensor or raw inputs). Follows the module's mode and
        grad state; for inference over many inputs use :meth:`encode`."""
        return self.encoder(self.adapter(self.prepare(x)))

    def forward(self, *inputs: Any) -> tuple[Tensor, ...]:
        """Embeddings of each input, all through the one encoder: ``model(x1, x2) -> (e1, e2)``."""
        batches = [self.prepare(x) for x in inputs]
        if len(batches) > 1 and all(b.shape == batches[0].shape and b.dtype == batches[0].dtype for b in batches):
            # One pass over the concatenation: one larger matrix product is faster than several.
            out = self.encoder(self.adapter(torch.cat(batches)))
            return tuple(out.split(batches[0].shape[0]))
        return tuple(self.encoder(self.adapter(b)) for b in batches)

    @torch.no_grad()
    def encode(self, inputs: Any, batch_size: int = 256, progress: bool = False) -> Tensor:
        """Embeddings of many inputs, in batches, in eval mode without gradients; returned on CPU.

        When the adapter knows the inputs' sizes (a Hugging Face tokenizer's token counts), they
        are embedded longest first, so that each batch holds texts of similar length and pads
        little, in batches of at most ``batch_size`` rows and about
        :data:`~siamkit.length_chunks.MAX_TOKENS` padded tokens (see
        :mod:`siamkit.length_chunks`); the rows come back in the order of ``inputs``."""
        was_training = self.training
        self.eval()
        try:
            return encode_in_chunks(self.embed, inputs, self.adapter, batch_size,
                                    self.embedding_dim or 0, progress)
        finally:
            self.train(was_training)

    # ---- comparing --------------------------------------------------------------------------

    def score_embeddings(self, u: Tensor, v: Tensor) -> Tensor:
        """Paired scores ``[B]`` (higher = more similar) from embeddings."""
        if self.head is not None:
            return torch.sigmoid(self.head(u, v))
        return self.distance_fn.paired_scores(u, v)

    def pairwise_scores(self, u: Tensor, v: Tensor, chunk_size: int = 256) -> Tensor:
        """Scores ``[B, B']`` of every (u_i, v_j), higher = more similar."""
        if self.head is not None:
            return torch.sigmoid(self.head.pairwise_logits(u, v, chunk_size=chunk_size))
        return self.distance_fn.pairwise_scores(u, v)

    def distance(self, x1: Any, x2: Any) -> Tensor:
        """Distances ``[B]`` between the embeddings of paired inputs (smaller = more similar)."""
        u, v = self(x1, x2)
        return self.distance_fn.paired(u, v)

    def similarity(self, x1: Any, x2: Any) -> Tensor:
        """Scores ``[B]`` of paired inputs, higher = more similar (a probability with a head)."""
        u, v = self(x1, x2)
        return self.score_embeddings(u, v)

    def verify(self, x1: Any, x2: Any) -> Tensor:
        """``[B]`` booleans, True = same, from ``similarity >= threshold``."""
        if self.threshold is None:
            raise NotCalibratedError(
                "this model has no decision threshold: calibrate it on validation pairs "
                "(siamkit.evaluation.calibrate or `siamkit train`) or model.set_threshold(value)"
            )
        return self.similarity(x1, x2) >= self.threshold

    def set_threshold(self, value: float, **info: Any) -> "SiameseNetwork":
        """Set the decision threshold (score scale) and record how it was chosen (``rule``,
        ``chosen_on``, ...) in ``threshold_info``; the one way siamkit sets a threshold."""
        self.threshold = float(value)
        rule = {"rule": info.pop("rule")} if "rule" in info else {}  # the record reads rule first
        self.threshold_info = {**rule, "value": float(value), **info}
        return self

    # ---- saving and loading -----------------------------------------------------------------

    def to_config(self) -> dict[str, Any]:
        enc = self.encoder
        if isinstance(enc, Encoder) and enc.name:
            encoder_cfg: dict[str, Any] = {"name": enc.name, "config": enc.get_config()}
        else:
            encoder_cfg = {"name": None, "class": f"{type(enc).__module__}.{type(enc).__qualname__}"}
        head_cfg = None
        if self.head is not None:
            head_cfg = {"name": getattr(self.head, "name", None),
                        "config": self.head.get_config() if hasattr(self.head, "get_config") else {}}
        threshold = None
        if self.threshold is not None:
            threshold = {**self.threshold_info, "value": self.threshold}
        return {
            "format": FORMAT, "format_version": FORMAT_VERSION, "siamkit_version": __version__,
            "encoder": encoder_cfg, "adapter": self.adapter.to_config(), "distance": self.distance_name,
            "head": head_cfg, "embedding_dim": self.embedding_dim, "threshold": threshold,
            "metadata": self.metadata,
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write ``config.json`` and ``model.safetensors`` into the folder ``path`` (atomically)."""
        from safetensors.torch import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}
        if isinstance(self.encoder, Encoder):
            self.encoder.save_files(path)
        self.adapter.save_files(path)
        try:
            with atomic_path(path / WEIGHTS_FILE, check=_readable_weights) as tmp:
                save_file(state, str(tmp), metadata={"format": "pt",
                                                     "siamkit_version": __version__})
        except (SiamkitError, OSError):
            raise
        except Exception as exc:  # safetensors raises its own type for a failed write
            raise WriteError(write_failure(path / WEIGHTS_FILE, exc)) from None
        atomic_write_json(path / CONFIG_FILE, self.to_config())
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, encoder: nn.Module | None = None,
             map_location: str | torch.device = "cpu") -> "SiameseNetwork":
        """Rebuild a saved model (in eval mode). ``encoder`` is only needed for a model whose encoder
        is a user module outside the registry: pass an instance of it to receive the weights."""
        path = Path(path)
        config = read_model_config(path)
        where = f"model {path}"
        in_config = f"{where}: {CONFIG_FILE}"
        weights = path / WEIGHTS_FILE
        refuse_pickle(weights)
        header = weights_header(weights)  # the shapes, read without loading a tensor
        enc_cfg = config["encoder"]
        if encoder is None and not enc_cfg.get("name"):
            raise ModelFileError(
                f"{where}: its encoder is a user module ({enc_cfg.get('class')}) that is not in "
                "siamkit's registry; pass an instance: SiameseNetwork.load(path, encoder=...)"
            )
        given = encoder

        def build() -> "SiameseNetwork":
            enc = given
            if enc is None:
                enc_cls = get_encoder_class(enc_cfg["name"])
                check_arguments(enc_cls, enc_cfg.get("config", {}), "encoder.config", in_config)
                enc = enc_cls.from_saved(enc_cfg.get("config", {}), path)
            head = None
            if config.get("head"):
                head = create_head(config["head"]["name"], **config["head"].get("config", {}))
            adapter_cfg = config.get("adapter") or {"type": "tensor"}
            if adapter_cfg.get("type") in ADAPTERS:
                check_arguments(ADAPTERS.get(adapter_cfg["type"]),
                                {k: v for k, v in adapter_cfg.items() if k != "type"},
                                "adapter", in_config)
            adapter = adapter_from_config(adapter_cfg, path)
            threshold = config.get("threshold") or {}
            return cls(enc, distance=config["distance"], head=head, adapter=adapter,
                       threshold=threshold.get("value"), threshold_info=threshold,
                       metadata=config.get("metadata"))

        try:
            # Shapes first, on the meta device: a config that asks for more than the weights
            # hold is refused before any memory is taken.
            meta = build_on_meta(build, in_config) if given is None else None
            if meta is not None:
                check_shapes(meta, header, in_config, WEIGHTS_FILE)
            model = build()
        except ConfigError as exc:
            raise ModelFileError(f"{in_config}: {exc}") from None
        check_threshold_range(model.threshold, model.score_kind, in_config)
        dim = config.get("embedding_dim")
        if dim is not None and model.embedding_dim is not None and dim != model.embedding_dim:
            raise ModelFileError(f"{in_config}: embedding_dim: {dim}, but the encoder gives "
                                 f"{model.embedding_dim}-dim embeddings")
        state = read_weights(weights)
        check_state_keys(model, state, where)
        model.load_state_dict(state)
        return model.to(map_location).eval()


def read_model_config(path: Path) -> dict[str, Any]:
    """The validated ``config.json`` of a model directory."""
    if not path.is_dir():
        raise ModelFileError(f"model {path}: no such folder (a model is a folder with {CONFIG_FILE} and {WEIGHTS_FILE})")
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (path / name).is_file():
            raise ModelFileError(f"model {path}: {name} is missing")
    try:
        config = json.loads((path / CONFIG_FILE).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"model {path}: {CONFIG_FILE} is not valid JSON ({exc})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelFileError(f"model {path}: {CONFIG_FILE} is not a siamkit model config (no format: {FORMAT})")
    unknown = sorted(set(config) - _CONFIG_KEYS)
    if unknown:
        raise ModelFileError(f"model {path}: {CONFIG_FILE} has unknown key(s) {', '.join(unknown)}")
    for key in ("encoder", "distance"):
        if key not in config:
            raise ModelFileError(f"model {path}: {CONFIG_FILE} lacks the key {key!r}")
    check_top_level(config, f"model {path}: {CONFIG_FILE}", FORMAT_VERSION)
    return config


def refuse_pickle(file: Path) -> None:
    """A pickle or torch.save file where safetensors belong is refused before it is parsed."""
    with open(file, "rb") as fh:
        head = fh.read(16)
    if head[:1] == b"\x80" or head[:2] == b"PK":
        raise ModelFileError(f"{file}: this is a pickle/torch.save file, not safetensors; siamkit never "
                             "unpickles model files (convert it with safetensors.torch.save_file)")


def _readable_weights(file: Path) -> None:
    """A safetensors file whose header and sizes check out (read without loading the tensors)."""
    from safetensors import safe_open

    with safe_open(str(file), framework="pt") as fh:
        fh.keys()


def read_weights(file: Path) -> dict[str, Tensor]:
    """The tensors of a safetensors ``file``; a pickle or corrupt file is a ModelFileError."""
    from safetensors.torch import load_file

    refuse_pickle(file)
    try:
        return load_file(str(file))
    except Exception as exc:  # safetensors raises its own error types for bad headers and sizes
        raise ModelFileError(f"{file}: not a readable safetensors file ({exc})") from None


def check_state_keys(model: nn.Module, state: dict[str, Tensor], where: str) -> None:
    """Refuse weights whose names do not match ``model``'s, naming ``where`` and the keys."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = sorted(k for k in set(expected) & set(state) if expected[k].shape != state[k].shape)
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:5])}")
        if unexpected:
            parts.append(f"unexpected {', '.join(unexpected[:5])}")
        if wrong:
            parts.append(f"wrong shape {', '.join(wrong[:5])}")
        raise ModelFileError(f"{where}: weights do not match the config ({'; '.join(parts)})")
