"""Tiny models of every registered encoder, for the ONNX export tests."""

from __future__ import annotations

from typing import Any, Callable

import torch

from siamkit import SiameseNetwork
from siamkit.adapters import ImageAdapter, TensorAdapter, TextAdapter, VectorAdapter
from siamkit.data import Tokenizer
from siamkit.encoders import create_encoder

TEXTS = ["the cat sat on the mat", "a dog ran", "the dog sat", "cats and dogs and mats", "mat",
         "a cat ran on the mat and the dog sat"]


def tokenizer(**kw: Any) -> Tokenizer:
    return Tokenizer(**kw).fit(TEXTS)


def text_adapter(**kw: Any) -> TextAdapter:
    return TextAdapter(tokenizer(**kw), max_length=12)


# name -> a function making a small SiameseNetwork with that encoder. Every registered encoder
# needs an entry here or in REFUSES (test_every_registered_encoder_is_covered fails otherwise).
MODELS: dict[str, Callable[[], SiameseNetwork]] = {
    "mlp": lambda: SiameseNetwork(
        create_encoder("mlp", input_dim=6, embedding_dim=5, hidden_dims=[8], batch_norm=True),
        adapter=VectorAdapter(6, mean=[0.5] * 6, std=[2.0] * 6)),
    "convnet": lambda: SiameseNetwork(
        create_encoder("convnet", in_channels=1, channels=[4, 8], embedding_dim=5),
        adapter=ImageAdapter(1, (12, 10), mean=[0.4], std=[0.3])),
    "rnn": lambda: SiameseNetwork(
        create_encoder("rnn", vocab_size=tokenizer().vocab_size, token_dim=6, hidden_dim=5,
                       normalize=True),
        adapter=text_adapter(), distance="cosine"),
}
# name -> words the one-line refusal must contain.
REFUSES = {"siamfc": "feature maps", "hf_text": "not verified", "timm": "not verified",
           "torchvision": "not verified"}
# Other settings of the registered encoders, exported in the slow tests.
VARIANTS: dict[str, Callable[[], SiameseNetwork]] = {
    "convnet-keras-mnist-rgb": lambda: SiameseNetwork(
        create_encoder("convnet", in_channels=3, preset="keras-mnist", image_size=(20, 24)),
        adapter=ImageAdapter(3, (20, 24), mean=[0.5, 0.4, 0.3], std=[0.2, 0.3, 0.25])),
    "convnet-l1-sigmoid-head": lambda: SiameseNetwork(
        create_encoder("convnet", in_channels=1, channels=[4], embedding_dim=6),
        adapter=ImageAdapter(1, 8), head="l1_sigmoid"),
    "rnn-gru-bidirectional-last": lambda: SiameseNetwork(
        create_encoder("rnn", vocab_size=tokenizer().vocab_size, token_dim=6, hidden_dim=5,
                       cell="gru", bidirectional=True, pooling="last", num_layers=2),
        adapter=text_adapter()),
    "rnn-lstm-subwords-max": lambda: SiameseNetwork(
        create_encoder("rnn", vocab_size=tokenizer(subword_ngrams=(2, 3), subword_buckets=50).vocab_size,
                       token_dim=6, hidden_dim=5, pooling="max", bidirectional=True,
                       embedding_dim=4),
        adapter=text_adapter(subword_ngrams=(2, 3), subword_buckets=50)),
    "mlp-tensor-adapter": lambda: SiameseNetwork(
        create_encoder("mlp", input_dim=3, embedding_dim=2, hidden_dims=[4]),
        adapter=TensorAdapter(), distance="manhattan"),
}


def build(make: Callable[[], SiameseNetwork]) -> SiameseNetwork:
    torch.manual_seed(0)
    model = make().eval()
    # Non-trivial BatchNorm statistics, so that the graph's folding of them is checked too.
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return model.set_threshold(0.25, rule="given", chosen_on="a test")


def storage_batch(model: SiameseNetwork, batch: int, seed: int) -> torch.Tensor:
    """Inputs of another batch size (and text length) than the export traced."""
    gen = torch.Generator().manual_seed(seed)
    kind = model.adapter.type
    if kind == "image":
        return torch.randint(0, 256, (batch, model.adapter.channels, *model.adapter.image_size),
                             dtype=torch.uint8, generator=gen)
    if kind == "text":
        texts = [TEXTS[(seed + i) % len(TEXTS)] for i in range(batch)]
        return model.prepare(texts)
    dim = getattr(model.adapter, "input_dim", None) or model.encoder.input_dim
    return 2 * torch.randn(batch, dim, generator=gen)
