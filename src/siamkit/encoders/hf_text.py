"""A pretrained Hugging Face ``transformers`` text encoder as the twin: AutoModel + pooling.

``create_encoder("hf_text", path=FOLDER, pooling="mean", normalize=True)`` builds
``transformers.AutoModel`` from a local model folder (its ``config.json`` and safetensors weights,
checked first: see :mod:`.hf_folder`) and pools its last hidden states over the attention mask:

* ``"mean"``: the mean of the real tokens' states, sentence-transformers' default and the pooling
  all-MiniLM-L6-v2 was trained with (Reimers & Gurevych 2019, "Sentence-BERT");
* ``"cls"``: the first token's state (BERT's ``[CLS]``; Devlin et al. 2019);
* ``"max"``: the per-dimension maximum over the real tokens.

With ``normalize=True`` embeddings are L2-normalised (cosine similarity is then a dot product).
The encoder reads the ``[B, L, 2]`` ids + attention mask of
:class:`siamkit.hf_text_adapter.HFTextAdapter`, the adapter it brings with it
(:meth:`own_adapter`: the folder's tokenizer, cut at ``max_length`` tokens; by default the
``max_seq_length`` of a sentence-transformers folder, else the tokenizer's ``model_max_length``,
at most the model's positions). BERT's pooler layer is dropped: no pooling here reads it.

Saved, the backbone's architecture config goes to ``backbone/config.json`` in the siamkit model
folder and its weights into ``model.safetensors`` with the rest of the model; reloading builds the
architecture with ``AutoModel.from_config`` (no download, no ``trust_remote_code``), so the model
folder needs neither the hub nor the original folder. ``path`` is kept in ``config.json`` as a
record of where the weights came from; a reload never reads it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import torch
from torch import Tensor

from ..atomic import atomic_write_text
from ..errors import ConfigError, ModelFileError
from .base import Encoder, register_encoder
from .hf_folder import backbone_config, read_json, require_transformers, resolve_folder, weights_files

POOLINGS = ("mean", "cls", "max")
BACKBONE = "backbone"


@register_encoder("hf_text", modality="text", output="embedding", data_args=())
class HFTextEncoder(Encoder):
    """A pretrained Hugging Face transformer (local folder) with mean / cls / max pooling."""

    def __init__(self, path: str, pooling: str = "mean", normalize: bool = False,
                 max_length: int | None = None) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ConfigError(f"hf_text: unknown pooling {pooling!r}; choose one of {', '.join(POOLINGS)}")
        self.path = str(path)
        self.pooling = pooling
        self.normalize = bool(normalize)
        self.max_length = None if max_length is None else int(max_length)
        self._arch: Any = None
        if path is not None and not getattr(self, "_from_saved", False):
            folder = resolve_folder(self.path)  # create_encoder names the encoder
            self._build(backbone_config(folder, f"encoder 'hf_text' {folder}"), folder)

    def _build(self, arch: Any, weights_from: Path | None) -> None:
        transformers = require_transformers()
        what = f"encoder 'hf_text' {weights_from}"
        if weights_from is None:
            self.backbone = transformers.AutoModel.from_config(arch, trust_remote_code=False)
        else:
            weights_files(weights_from, what)
            from transformers.utils import logging as hf_logging

            bars, verbosity = hf_logging.is_progress_bar_enabled(), hf_logging.get_verbosity()
            hf_logging.disable_progress_bar()  # a command's output stays its own
            hf_logging.set_verbosity_error()
            try:
                self.backbone = transformers.AutoModel.from_pretrained(
                    str(weights_from), config=arch, use_safetensors=True, trust_remote_code=False,
                    local_files_only=True, dtype=torch.float32)
            except Exception as exc:
                raise ModelFileError(f"{what}: the weights do not load ({type(exc).__name__}: "
                                     f"{str(exc).splitlines()[0][:200] if str(exc) else ''})") from None
            finally:
                hf_logging.set_verbosity(verbosity)
                if bars:
                    hf_logging.enable_progress_bar()
        if isinstance(getattr(self.backbone, "pooler", None), torch.nn.Module):
            self.backbone.pooler = None  # BERT's [CLS] pooler: unused by every pooling here
        self.backbone.float()
        self._arch = self.backbone.config
        self.embedding_dim = int(self._arch.hidden_size)
        positions = getattr(self._arch, "max_position_embeddings", None)
        if self.max_length is not None and positions is not None and self.max_length > positions:
            raise ConfigError(f"hf_text: max_length={self.max_length} exceeds the model's "
                              f"{positions} positions")

    # ---- the tokenizer that comes with the weights ------------------------------------------
    @classmethod
    def own_adapter(cls, args: Mapping[str, Any]) -> Any:
        from ..data.text.hf_tokenizer import HFTokenizer
        from ..hf_text_adapter import HFTextAdapter

        try:
            require_transformers()
        except ConfigError as exc:
            raise ConfigError(f"encoder 'hf_text': {exc}") from None
        if "path" not in args:
            raise ConfigError("encoder 'hf_text': set path (a local Hugging Face model folder)")
        folder = resolve_folder(str(args["path"]), "encoder 'hf_text': ")
        what = f"encoder 'hf_text' {folder}"
        max_length = args.get("max_length")
        if max_length is None:
            max_length = default_max_length(folder, backbone_config(folder, what), what)
        return HFTextAdapter(HFTokenizer.from_folder(folder, max_length, what))

    def make_adapter(self) -> Any:
        """The adapter (tokenizer) of this encoder's folder: ``own_adapter(get_config())``."""
        return self.own_adapter(self.get_config())

    # ---- forward --------------------------------------------------------------------------
    def export_graph(self) -> torch.nn.Module:
        from ..errors import ExportError

        raise ExportError("hf_text: ONNX export of a Hugging Face backbone (ids + attention mask "
                          "as one input) is not verified against ONNX Runtime yet, so siamkit "
                          "does not write it")

    def encode(self, x: Tensor) -> Tensor:
        if x.dim() != 3 or x.shape[2] != 2 or x.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"hf_text encoder expects [B, L, 2] token ids and attention mask "
                             f"(its HFTextAdapter's form), got {tuple(x.shape)} {x.dtype}")
        ids, mask = x[..., 0].long(), x[..., 1].long()
        vocab = int(self._arch.vocab_size)
        if ids.numel() and (int(ids.max()) >= vocab or int(ids.min()) < 0):
            raise ValueError(f"hf_text encoder: token id outside 0..{vocab - 1}")
        full = bool(mask.all())
        # No mask when no row has padding: the attention kernels take their fast path.
        states = self.backbone(input_ids=ids, attention_mask=None if full else mask).last_hidden_state
        if self.pooling == "cls":
            return states[:, 0]
        if full:
            return states.mean(dim=1) if self.pooling == "mean" else states.amax(dim=1)
        keep = mask.unsqueeze(2).to(states.dtype)
        if self.pooling == "mean":
            return (states * keep).sum(dim=1) / keep.sum(dim=1).clamp_min(1.0)
        return states.masked_fill(keep == 0, float("-inf")).amax(dim=1)

    # ---- the model folder ------------------------------------------------------------------
    def save_files(self, folder: Path) -> None:
        (folder / BACKBONE).mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / BACKBONE / "config.json",
                          json.dumps(self._arch.to_dict(), indent=2, sort_keys=True) + "\n")

    @classmethod
    def from_saved(cls, config: dict[str, Any], folder: Path | None = None) -> "HFTextEncoder":
        if folder is None:
            raise ModelFileError("hf_text: its architecture lives in the model folder; load the "
                                 "model with SiameseNetwork.load(folder)")
        config = dict(config)
        unknown = sorted(set(config) - {"path", "pooling", "normalize", "max_length"})
        if unknown:
            raise ConfigError(f"encoder 'hf_text': unknown argument(s) {', '.join(unknown)}")
        arch = backbone_config(folder / BACKBONE, f"model {folder}")
        encoder = cls.__new__(cls)
        encoder._from_saved = True
        cls.__init__(encoder, config.get("path", ""), config.get("pooling", "mean"),
                     config.get("normalize", False), config.get("max_length"))
        encoder._build(arch, None)
        return encoder


def default_max_length(folder: Path, arch: Any, what: str) -> int | None:
    """sentence-transformers' ``max_seq_length``, else the tokenizer's ``model_max_length``, at
    most the model's positions."""
    positions = getattr(arch, "max_position_embeddings", None)
    for name, key in (("sentence_bert_config.json", "max_seq_length"),
                      ("tokenizer_config.json", "model_max_length")):
        file = folder / name
        value = read_json(file, what).get(key) if file.is_file() else None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 2:
            return min(value, positions) if positions else value
    return positions
