"""SiameseNetwork: one shared encoder, the score convention, and the model directory."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

import siamkit as sk
from siamkit.adapters import ImageAdapter, VectorAdapter
from siamkit.errors import ConfigError, ModelFileError, NotCalibratedError


def mlp_model(**kw) -> sk.SiameseNetwork:
    enc = sk.encoders.create_encoder("mlp", input_dim=4, embedding_dim=3, hidden_dims=[8])
    return sk.SiameseNetwork(enc, **kw)


def test_parameters_are_exactly_the_encoders_and_heads():
    model = mlp_model(head="l1_sigmoid")
    own = {id(p) for p in model.parameters()}
    assert own == {id(p) for p in model.encoder.parameters()} | {id(p) for p in model.head.parameters()}
    assert len(list(model.parameters())) == len(list(model.encoder.parameters())) + 2


def test_both_branches_accumulate_gradient_into_one_set_of_weights():
    model = mlp_model()
    x1, x2 = torch.randn(5, 4), torch.randn(5, 4)

    def grads(loss_fn):
        model.zero_grad()
        loss_fn().backward()
        return [p.grad.clone() for p in model.encoder.parameters()]

    g1 = grads(lambda: model(x1, x2)[0].pow(2).sum())
    g2 = grads(lambda: model(x1, x2)[1].pow(2).sum())
    both = grads(lambda: sum(e.pow(2).sum() for e in model(x1, x2)))
    for a, b, c in zip(g1, g2, both):
        assert a.abs().sum() > 0 and b.abs().sum() > 0
        torch.testing.assert_close(a + b, c)


def test_forward_takes_three_inputs_through_the_same_encoder():
    model = mlp_model().eval()
    a, p, n = (torch.randn(2, 4) for _ in range(3))
    ea, ep, en = model(a, p, n)
    torch.testing.assert_close(ep, model.encoder(p))
    # inputs of different batch sizes still work (separate passes)
    e1, e2 = model(a, torch.randn(3, 4))
    assert e1.shape == (2, 3) and e2.shape == (3, 3)


def test_similarity_is_higher_for_identical_inputs_and_verify_uses_threshold():
    model = mlp_model().eval()
    x = torch.randn(6, 4)
    same = model.similarity(x, x)
    diff = model.similarity(x, x.flip(0) + 3)
    assert torch.all(same > diff)
    torch.testing.assert_close(model.distance(x, x), torch.zeros(6))
    with pytest.raises(NotCalibratedError, match="no decision threshold"):
        model.verify(x, x)
    model.set_threshold(-0.01, rule="manual")
    assert model.verify(x, x).all()


def test_head_scores_are_probabilities_and_pairwise_matches_paired():
    model = mlp_model(head="l1_sigmoid").eval()
    u, v = torch.randn(5, 3), torch.randn(4, 3)
    pw = model.pairwise_scores(u, v, chunk_size=2)
    assert pw.shape == (5, 4) and ((pw > 0) & (pw < 1)).all()
    for i in range(5):
        torch.testing.assert_close(pw[i], model.score_embeddings(u[i].expand(4, 3), v))
    assert model.score_kind == "probability"


def test_pairwise_scores_without_head_follow_the_distance():
    model = mlp_model(distance="cosine")
    u, v = torch.randn(3, 3), torch.randn(2, 3)
    torch.testing.assert_close(model.pairwise_scores(u, v), sk.distances.pairwise_cosine_similarity(u, v))


@pytest.mark.parametrize("head", [None, "l1_sigmoid"])
def test_save_load_round_trip_vectors(tmp_path, head):
    enc = sk.encoders.create_encoder("mlp", input_dim=4, embedding_dim=3, batch_norm=True, dropout=0.1)
    adapter = VectorAdapter(4).fit(torch.randn(50, 4) * 3 + 1)
    model = sk.SiameseNetwork(enc, distance="cosine", head=head, adapter=adapter)
    model.train()(torch.randn(8, 4), torch.randn(8, 4))  # move BN statistics off their defaults
    model.eval().set_threshold(0.3, rule="eer", chosen_on="validation pairs (n=10)")
    model.metadata["dataset"] = "unit-test"
    model.save(tmp_path / "m")
    loaded = sk.SiameseNetwork.load(tmp_path / "m")
    assert not loaded.training
    x = np.random.default_rng(0).normal(size=(7, 4)).astype(np.float32)
    torch.testing.assert_close(loaded.embed(x), model.embed(x), atol=1e-6, rtol=0)
    assert loaded.threshold == 0.3 and loaded.threshold_info["rule"] == "eer"
    assert loaded.distance_name == "cosine" and loaded.metadata == {"dataset": "unit-test"}
    assert (loaded.head is None) == (head is None)
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["encoder"]["name"] == "mlp" and config["siamkit_version"] == sk.__version__


def test_save_load_round_trip_images_from_files(tmp_path):
    from PIL import Image

    enc = sk.encoders.create_encoder("convnet", in_channels=1, embedding_dim=4, channels=[4])
    model = sk.SiameseNetwork(enc, adapter=ImageAdapter(1, 12, mean=[0.2], std=[0.3])).eval()
    paths = []
    for i in range(3):
        arr = (np.random.default_rng(i).random((20, 16, 3)) * 255).astype(np.uint8)
        paths.append(tmp_path / f"{i}.png")
        Image.fromarray(arr).save(paths[-1])
    model.save(tmp_path / "m")
    loaded = sk.SiameseNetwork.load(tmp_path / "m")
    torch.testing.assert_close(loaded.embed([str(p) for p in paths]), model.embed(paths), atol=1e-6, rtol=0)
    assert loaded.prepare(paths).shape == (3, 1, 12, 12)


def test_load_refuses_a_pickle(tmp_path):
    mlp_model().save(tmp_path / "m")
    torch.save({"x": torch.zeros(1)}, tmp_path / "m" / "model.safetensors")
    with pytest.raises(ModelFileError, match="pickle.*never"):
        sk.SiameseNetwork.load(tmp_path / "m")


def test_load_refuses_a_truncated_weights_file(tmp_path):
    mlp_model().save(tmp_path / "m")
    weights = tmp_path / "m" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-20])
    with pytest.raises(ModelFileError, match="not a readable safetensors"):
        sk.SiameseNetwork.load(tmp_path / "m")


def test_load_reports_config_problems(tmp_path):
    mlp_model().save(tmp_path / "m")
    cfg_path = tmp_path / "m" / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["encoder"]["name"] = "nonexistent"
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="unknown name 'nonexistent'"):
        sk.SiameseNetwork.load(tmp_path / "m")
    cfg["encoder"]["name"] = "mlp"
    cfg["colour"] = 1
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="unknown key.*colour"):
        sk.SiameseNetwork.load(tmp_path / "m")
    cfg_path.write_text("{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        sk.SiameseNetwork.load(tmp_path / "m")
    with pytest.raises(ModelFileError, match="no such folder"):
        sk.SiameseNetwork.load(tmp_path / "absent")


def test_load_reports_weights_that_do_not_fit_the_config(tmp_path):
    mlp_model().save(tmp_path / "m")
    cfg_path = tmp_path / "m" / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["encoder"]["config"]["embedding_dim"] = 9
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="wrong shape"):
        sk.SiameseNetwork.load(tmp_path / "m")


class UserNet(nn.Module):
    embedding_dim = 2

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 2)

    def forward(self, x):
        return self.lin(x)


def test_user_module_saves_and_reloads_with_an_instance(tmp_path):
    model = sk.SiameseNetwork(UserNet()).eval()
    model.save(tmp_path / "u")
    with pytest.raises(ModelFileError, match="user module.*UserNet.*encoder="):
        sk.SiameseNetwork.load(tmp_path / "u")
    loaded = sk.SiameseNetwork.load(tmp_path / "u", encoder=UserNet())
    x = torch.randn(2, 3)
    torch.testing.assert_close(loaded.embed(x), model.embed(x))


def test_encode_batches_in_eval_mode_and_restores_training_mode():
    model = mlp_model()
    model.encoder.net.insert(1, nn.Dropout(0.9))
    model.train()
    x = torch.randn(10, 4)
    a, b = model.encode(x, batch_size=3), model.encode(x, batch_size=10)
    torch.testing.assert_close(a, b)
    assert model.training and not a.requires_grad


def test_bad_constructor_arguments():
    with pytest.raises(ConfigError, match="unknown name 'hamming'"):
        mlp_model(distance="hamming")
    with pytest.raises(ConfigError, match="expected a torch.nn.Module"):
        sk.SiameseNetwork("mlp")


def test_save_load_round_trip_text_model_with_its_vocabulary(tmp_path):
    from siamkit.adapters import TextAdapter
    from siamkit.data import Tokenizer

    texts = ["The LORD is my shepherd", "I shall not want", "He maketh me to lie down"]
    tok = Tokenizer().fit(texts)
    enc = sk.encoders.create_encoder("rnn", vocab_size=len(tok.vocab_), token_dim=8, hidden_dim=6, normalize=True)
    model = sk.SiameseNetwork(enc, distance="cosine", adapter=TextAdapter(tok, max_length=16)).eval()
    model.save(tmp_path / "t")
    loaded = sk.SiameseNetwork.load(tmp_path / "t")
    probe = ["the lord is my shepherd", "an unseen sentence entirely"]
    torch.testing.assert_close(loaded.embed(probe), model.embed(probe), atol=1e-6, rtol=0)
    assert loaded.adapter.tokenizer.vocab_ == tok.vocab_
    assert loaded.similarity(["I shall not want"], ["i shall not want"]).item() == pytest.approx(1.0)
