"""One contract every registered encoder keeps (scikit-learn's common-test idea)."""

from __future__ import annotations

import inspect

import pytest
import torch
from hf_tiny import random_batch, shared_tiny_bert

from siamkit.encoders import create_encoder, list_encoders
from siamkit.errors import ConfigError
from siamkit.registry import ENCODERS

# Every registered encoder needs an entry here: a new encoder without one fails test_all_covered.
EXAMPLES = {
    "mlp": ({"input_dim": 6, "embedding_dim": 5}, lambda b: torch.randn(b, 6)),
    "convnet": ({"in_channels": 3, "embedding_dim": 8, "channels": [4, 8]}, lambda b: torch.rand(b, 3, 20, 12)),
    "rnn": ({"vocab_size": 30, "token_dim": 8, "hidden_dim": 6}, lambda b: torch.randint(1, 30, (b, 7))),
    # Fully convolutional (SiamFC tracker): returns [B, embedding_dim, h, w] feature maps.
    "siamfc": ({"embedding_dim": 8, "widths": [4, 6]}, lambda b: torch.rand(b, 1, 32, 40)),
    # The image backbones need the vision extra (make test-vision); elsewhere they skip.
    "timm": ({"architecture": "resnet10t", "image_size": 32, "embedding_dim": 8},
             lambda b: torch.rand(b, 3, 32, 32)),
    "torchvision": ({"architecture": "mobilenet_v3_small", "image_size": 32, "embedding_dim": 8},
                    lambda b: torch.rand(b, 3, 32, 32)),
    # A pretrained transformer from a local folder (a tiny random BERT written for the tests).
    "hf_text": ({"path": str(shared_tiny_bert())}, random_batch),
}
VISION = {"timm", "torchvision"}


@pytest.fixture(autouse=True)
def _needs_the_vision_extra(request):
    name = getattr(request.node, "callspec", None) and request.node.callspec.params.get("name")
    if name in VISION:
        try:
            import timm  # noqa: F401
            import torchvision  # noqa: F401
        except Exception as exc:
            pytest.skip(f"{name} needs timm and torchvision (make test-vision): "
                        f"{type(exc).__name__}")


def test_all_covered():
    assert set(list_encoders()) <= set(EXAMPLES), "add an example for every registered encoder"
    assert list_encoders() == ENCODERS.names()


@pytest.mark.parametrize("name", ENCODERS.names())
def test_registered_facts_match_the_class(name):
    entry = ENCODERS.entry(name)
    cls = entry.obj
    assert cls.name == name and entry["modality"] in ("image", "vector", "text")
    assert (entry["output"] == "feature-map") == bool(getattr(cls, "returns_feature_map", False))
    params = inspect.signature(cls.__init__).parameters
    assert set(entry["data_args"]) <= set(params), "data_args must be constructor arguments"
    assert entry.summary, "an encoder's docstring says what it is in its first line"


def test_one_auto_encoder_per_modality():
    for modality in ("image", "vector", "text"):
        assert len(ENCODERS.names(auto=True, modality=modality)) == 1, modality


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_forward_shape_and_embedding_dim(name):
    config, make = EXAMPLES[name]
    enc = create_encoder(name, **config).eval()
    out = enc(make(3))
    if getattr(enc, "returns_feature_map", False):
        assert out.dim() == 4 and out.shape[:2] == (3, enc.embedding_dim)
    else:
        assert out.shape == (3, enc.embedding_dim)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_config_round_trip_rebuilds_the_same_architecture(name):
    config, make = EXAMPLES[name]
    enc = create_encoder(name, **config).eval()
    twin = create_encoder(name, **enc.get_config()).eval()
    twin.load_state_dict(enc.state_dict())
    x = make(4)
    torch.testing.assert_close(enc(x), twin(x))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_normalize_gives_unit_vectors(name):
    config, make = EXAMPLES[name]
    enc = create_encoder(name, **config, normalize=True).eval()
    norms = enc(make(5)).norm(dim=1)  # [5], or [5, h, w] for feature maps: one norm per location
    torch.testing.assert_close(norms, torch.ones_like(norms))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_unknown_argument_is_named(name):
    config, _ = EXAMPLES[name]
    with pytest.raises(ConfigError, match="unknown argument.*colour"):
        create_encoder(name, **config, colour="red")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_gradients_reach_every_parameter(name):
    config, make = EXAMPLES[name]
    enc = create_encoder(name, **config).train()
    enc(make(4)).pow(2).sum().backward()
    for pname, p in enc.named_parameters():
        assert p.grad is not None, pname


def test_unknown_encoder_name():
    with pytest.raises(ConfigError, match="unknown name 'transformer'.*convnet"):
        create_encoder("transformer")
