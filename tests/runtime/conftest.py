"""Exported folders shared by a test module (an export takes seconds): a vector model with the
l1_sigmoid head, and a text model (the LSTM of the duplicate-texts recipe, tiny)."""

from __future__ import annotations

import pytest
import torch
from onnx_helpers import text_adapter, tokenizer

from siamkit import SiameseNetwork, export_onnx
from siamkit.adapters import VectorAdapter
from siamkit.encoders import create_encoder


@pytest.fixture(scope="module")
def head_model(tmp_path_factory):
    torch.manual_seed(0)
    model = SiameseNetwork(create_encoder("mlp", input_dim=4, embedding_dim=3, hidden_dims=[8]),
                           adapter=VectorAdapter(4, mean=[1.0] * 4, std=[0.5] * 4),
                           head="l1_sigmoid").eval()
    with torch.no_grad():
        model.head.linear.weight.mul_(3.0)  # scores spread over (0, 1), not all near one value
    model.set_threshold(0.6, rule="accuracy", chosen_on="a test")
    path = model.save(tmp_path_factory.mktemp("head") / "model")
    out = export_onnx(model, path.parent / "onnx")
    return SiameseNetwork.load(path), path, out


@pytest.fixture(scope="module")
def text_model(tmp_path_factory):
    torch.manual_seed(0)
    model = SiameseNetwork(create_encoder("rnn", vocab_size=tokenizer().vocab_size, token_dim=8,
                                          hidden_dim=6, normalize=True),
                           adapter=text_adapter(), distance="cosine").eval()
    model.set_threshold(0.5, rule="accuracy", chosen_on="a test")
    path = model.save(tmp_path_factory.mktemp("text") / "model")
    out = export_onnx(model, path.parent / "onnx")
    return SiameseNetwork.load(path), path, out
