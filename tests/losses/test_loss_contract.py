"""One contract every registered loss keeps: built from the registry with its defaults, it takes a
batch of its ``input_kind`` and returns a finite scalar with gradients; some batch kind feeds it."""

from __future__ import annotations

import pytest
import torch

from siamkit.batch_kinds import ACCEPTS, batch_kinds_for
from siamkit.registry import LOSSES


def _labels(b: int) -> torch.Tensor:
    return torch.arange(b) % 3  # every class twice or more: positives and negatives exist


def _emb(b: int, seed: int) -> torch.Tensor:
    return torch.randn(b, 5, generator=torch.Generator().manual_seed(seed)).requires_grad_()


# What a config takes from the data for a loss that names them in its entry's ``data_args`` (the
# labelled batch below: 3 classes, 5-dimensional embeddings).
DATA_FACTS = {"n_classes": 3, "embedding_dim": 5}

# One batch maker per input kind (labels: 1 = same, 0 = different): a loss with a new input kind
# fails test_every_input_kind_has_a_batch until one is added here.
BATCHES = {
    "pair_distances": lambda b: (torch.rand(b).mul(2).requires_grad_(), torch.arange(b) % 2),
    "pair_logits": lambda b: (torch.randn(b).requires_grad_(), torch.arange(b) % 2),
    "triplets": lambda b: (_emb(b, 0), _emb(b, 1), _emb(b, 2)),
    "labelled": lambda b: (_emb(b, 0), _labels(b)),
    "duplicates": lambda b: (_emb(b, 0), _emb(b, 1)),
    "scored_pairs": lambda b: (_emb(b, 0), _emb(b, 1), torch.rand(b)),
    # an episode of 3 ways, support then query rows of each class
    "episodes": lambda b: (_emb(b, 0), torch.arange(b) // (b // 3), torch.arange(b) % 2 == 1),
}


def test_every_input_kind_has_a_batch():
    kinds = {e["input_kind"] for e in LOSSES.entries()}
    assert kinds <= set(BATCHES), "add a batch maker for the new input kind"


@pytest.mark.parametrize("name", LOSSES.names())
def test_input_kind_is_the_class_attribute_and_some_batch_kind_feeds_it(name):
    entry = LOSSES.entry(name)
    assert entry.obj.input_kind == entry["input_kind"]
    assert batch_kinds_for(entry["input_kind"]), f"no batch kind of {sorted(ACCEPTS)} feeds it"
    assert entry.summary, "a loss's docstring says what it is in its first line"


@pytest.mark.parametrize("name", LOSSES.names())
def test_defaults_build_and_a_batch_gives_a_finite_scalar_with_gradients(name):
    entry = LOSSES.entry(name)
    loss = entry.obj(**{key: DATA_FACTS[key] for key in entry.get("data_args", ())})
    inputs = BATCHES[loss.input_kind](6)
    value = loss(*inputs)
    assert value.dim() == 0 and torch.isfinite(value)
    value.backward()
    grads = [x.grad for x in inputs if x.requires_grad]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("name", LOSSES.names())
def test_learned_parameters_get_finite_gradients(name):
    entry = LOSSES.entry(name)
    loss = entry.obj(**{key: DATA_FACTS[key] for key in entry.get("data_args", ())})
    params = list(loss.parameters())
    if entry.get("data_args"):
        assert params, "a loss whose sizes come from the data learns something of that size"
    if params:
        loss(*BATCHES[loss.input_kind](6)).backward()
        assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in params)
