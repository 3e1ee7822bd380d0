"""One contract every registered head keeps: ``create_head(name, embedding_dim=D)`` maps twin
embeddings ``(u, v)`` to ``[B]`` outputs of the loss input kind it declares, and rebuilds from its
config; an unknown name is named with a suggestion."""

from __future__ import annotations

import pytest
import torch

from siamkit.errors import ConfigError
from siamkit.heads import create_head
from siamkit.registry import HEADS, LOSSES


@pytest.mark.parametrize("name", HEADS.names())
def test_head_maps_pairs_to_one_output_each_and_rebuilds(name):
    head = create_head(name, embedding_dim=6)
    u, v = torch.randn(4, 6), torch.randn(4, 6)
    out = head(u, v)
    assert out.shape == (4,) and torch.isfinite(out).all()
    twin = create_head(name, **head.get_config())
    twin.load_state_dict(head.state_dict())
    torch.testing.assert_close(twin(u, v), out)
    assert LOSSES.names(input_kind=HEADS.entry(name)["output"]), "some loss must train the head"
    assert HEADS.entry(name)["input"]


def test_unknown_head_is_named_with_a_suggestion():
    suggestion = r"head: unknown name 'l1_sigmiod' \(did you mean 'l1_sigmoid'\?\)"
    with pytest.raises(ConfigError, match=suggestion):
        create_head("l1_sigmiod", embedding_dim=3)
