"""Which model produced a gallery's embeddings: a fingerprint of all that shapes an embedding.

Embeddings from two different models live in different spaces; comparing them gives numbers that
look like scores and mean nothing. A gallery therefore records the fingerprint of the model that
enrolled its references and refuses any other.

The fingerprint is a SHA-256 over the encoder's and adapter's configuration (as written to the
model's ``config.json``) and the encoder's and adapter's weights. The distance, the head and the
threshold are left out on purpose: they decide how embeddings are *compared*, not what they are, so
recalibrating a threshold or switching euclidean for cosine must not invalidate enrolled references
(the gallery rebuilds its search index when the comparison changes).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import torch

FINGERPRINT_VERSION = 1


def model_fingerprint(model: Any) -> str:
    """Hex SHA-256 identifying the embedding function of a :class:`~siamkit.SiameseNetwork`
    (an exported model, :class:`siamkit.runtime.OnnxModel`, carries its source model's)."""
    recorded = getattr(model, "fingerprint", None)
    if isinstance(recorded, str):
        return recorded
    config = model.to_config()
    described = {
        "fingerprint_version": FINGERPRINT_VERSION,
        "encoder": config.get("encoder"),
        "adapter": config.get("adapter"),
        "embedding_dim": config.get("embedding_dim"),
    }
    digest = hashlib.sha256(json.dumps(described, sort_keys=True, separators=(",", ":")).encode())
    for prefix, module in (("encoder.", model.encoder), ("adapter.", model.adapter)):
        state = module.state_dict()
        for key in sorted(state):
            tensor = state[key].detach().cpu().contiguous()
            digest.update(f"{prefix}{key}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
            # Raw bytes, whatever the dtype (bfloat16 has no numpy view of its own).
            digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def describe_model(model: Any) -> dict[str, Any]:
    """A short human-readable description, stored beside the fingerprint for error messages."""
    config = model.to_config()
    encoder = config.get("encoder") or {}
    return {
        "encoder": encoder.get("name") or encoder.get("class"),
        "adapter": (config.get("adapter") or {}).get("type"),
        "embedding_dim": config.get("embedding_dim"),
        "distance": config.get("distance"),
        "head": (config.get("head") or {}).get("name") if config.get("head") else None,
    }


# The described fields that shape an embedding (distance and head only compare embeddings).
EMBEDDING_FIELDS = ("encoder", "adapter", "embedding_dim")
_WORDS = {"encoder": "encoder", "adapter": "input", "embedding_dim": "embedding size"}


def mismatch_message(where: str, stored: Any, stored_fp: str, given: Any, given_fp: str) -> str:
    """One readable line: which of the models' fields differ, or that only the weights do.
    ``stored`` / ``given``: :func:`describe_model` dicts (a gallery's may be older or missing)."""
    stored = stored if isinstance(stored, dict) else {}
    differ = [f"{_WORDS[key]} {stored.get(key)} (gallery) vs {given.get(key)} (given model)"
              for key in EMBEDDING_FIELDS if key in stored and stored.get(key) != given.get(key)]
    if not differ:
        kind = ", ".join(f"{_WORDS[k]} {given.get(k)}" for k in EMBEDDING_FIELDS)
        differ = [f"same {kind}, but other weights (fingerprint {stored_fp[:12]} vs "
                  f"{given_fp[:12]})"]
    return (f"{where}: its references were embedded by another model: {'; '.join(differ)}. "
            f"Open it with the model that enrolled them, or enroll into a new gallery")
