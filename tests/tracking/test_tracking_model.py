"""SiamFCTracker: geometry of the score map, one shared encoder, the model folder."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from siamkit import SiameseNetwork
from siamkit.encoders import create_encoder
from siamkit.errors import ConfigError, ModelFileError
from siamkit.tracking import SiamFCTracker


def small() -> SiamFCTracker:
    return SiamFCTracker(
        create_encoder("siamfc", embedding_dim=8, widths=[4, 8]), exemplar_size=32, search_size=64
    )


def test_default_geometry():
    model = SiamFCTracker()
    assert (model.exemplar_size, model.search_size, model.score_size, model.total_stride) == (
        48,
        96,
        13,
        4,
    )


def test_score_cell_k_is_a_shift_of_k_strides():
    model = small().eval()
    assert (model.score_size, model.total_stride) == (9, 4)
    search = torch.rand(1, 1, 64, 64)
    for dx, dy in [(0, 0), (2, -1), (-4, 4)]:
        # The exemplar cut from the search region, shifted by (dx, dy) strides from its centre:
        # without padding its features are exactly those of the search at that place.
        x0, y0 = 16 + 4 * dx, 16 + 4 * dy
        exemplar = search[:, :, y0 : y0 + 32, x0 : x0 + 32]
        with torch.no_grad():
            z = model.features(exemplar)
            scores = model(exemplar, search)[0, 0]
        expected = (z * z).sum() * model.adjust_scale + model.adjust_bias
        torch.testing.assert_close(scores[4 + dy, 4 + dx], expected.detach(), rtol=1e-4, atol=1e-4)


def test_exemplar_and_search_share_one_encoder():
    model = small()
    encoders = [
        m for m in model.modules() if m is not model and type(m).__name__ == "SiamFCEncoder"
    ]
    assert len(encoders) == 1
    own = {id(p) for p in model.parameters()}
    assert own == {id(p) for p in model.encoder.parameters()} | {
        id(model.adjust_log_scale),
        id(model.adjust_bias),
    }


def test_save_load_round_trip(tmp_path):
    model = small()
    model.params = model.params.updated({"window_influence": 0.3})
    with torch.no_grad():
        model.adjust_bias.fill_(0.25)
    model.eval().save(tmp_path / "trk")
    config = json.loads((tmp_path / "trk" / "config.json").read_text())
    assert config["format"] == "siamkit-tracker" and config["encoder"]["name"] == "siamfc"
    loaded = SiamFCTracker.load(tmp_path / "trk")
    assert loaded.params.window_influence == 0.3 and not loaded.training
    z, x = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 64, 64)
    torch.testing.assert_close(loaded(z, x), model(z, x))


def test_loading_errors_name_the_problem(tmp_path):
    with pytest.raises(ModelFileError, match="no such folder"):
        SiamFCTracker.load(tmp_path / "missing")
    small().save(tmp_path / "t")
    cfg = json.loads((tmp_path / "t" / "config.json").read_text())
    (tmp_path / "t" / "config.json").write_text(json.dumps({**cfg, "colour": "red"}))
    with pytest.raises(ModelFileError, match="unknown key.*colour"):
        SiamFCTracker.load(tmp_path / "t")
    (tmp_path / "t" / "config.json").write_text(json.dumps({**cfg, "tracking": {"num_scales": 2}}))
    with pytest.raises(ModelFileError, match="num_scales"):
        SiamFCTracker.load(tmp_path / "t")
    (tmp_path / "t" / "config.json").write_text(json.dumps(cfg))
    torch.save({"x": torch.zeros(1)}, tmp_path / "t" / "model.safetensors")
    with pytest.raises(ModelFileError, match="pickle"):
        SiamFCTracker.load(tmp_path / "t")


def test_a_siamese_model_folder_is_not_a_tracker(tmp_path):
    SiameseNetwork(create_encoder("mlp", input_dim=3, embedding_dim=2)).save(tmp_path / "m")
    with pytest.raises(ModelFileError, match="not a tracker"):
        SiamFCTracker.load(tmp_path / "m")


def test_bad_geometry_is_refused():
    with pytest.raises(ConfigError, match="multiple of the encoder's stride"):
        SiamFCTracker(exemplar_size=32, search_size=66)
    with pytest.raises(ConfigError, match="total_stride"):
        SiamFCTracker(nn.Conv2d(1, 4, 3))


def test_batch_norm_is_what_makes_training_and_tracking_differ():
    # Without BatchNorm train and eval mode agree, whatever the batch holds; with it (the default)
    # they do not (see siamkit.encoders.siamfc).
    z, x = torch.rand(4, 1, 32, 32), torch.rand(4, 1, 64, 64)
    plain = SiamFCTracker(
        create_encoder("siamfc", embedding_dim=8, widths=[4, 8], batch_norm=False),
        exemplar_size=32,
        search_size=64,
    )
    torch.testing.assert_close(plain.train()(z, x), plain.eval()(z, x))
    bn = small()
    assert bn.encoder.batch_norm
    assert not torch.allclose(bn.train()(z, x), bn.eval()(z, x))


def test_the_adjust_scale_stays_positive():
    # Learned as a logarithm: no optimiser step can make a better match score lower.
    model = small()
    opt = torch.optim.SGD([model.adjust_log_scale], lr=1.0)
    (model.adjust_scale * 1e4).backward()  # a strong push down
    opt.step()
    assert 0 < model.adjust_scale.item() < 1e-6


def test_version_1_files_are_upgraded_or_refused(tmp_path):
    from safetensors.torch import load_file, save_file

    model = small()
    folder = model.eval().save(tmp_path / "v1")
    config = json.loads((folder / "config.json").read_text())
    config["format_version"] = 1
    (folder / "config.json").write_text(json.dumps(config))
    state = load_file(str(folder / "model.safetensors"))
    state["adjust_scale"] = state.pop("adjust_log_scale").exp()
    save_file(state, str(folder / "model.safetensors"))
    z, x = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 64, 64)
    torch.testing.assert_close(SiamFCTracker.load(folder)(z, x), model(z, x))
    state["adjust_scale"] = -state["adjust_scale"]
    save_file(state, str(folder / "model.safetensors"))
    with pytest.raises(ModelFileError, match="adjust_scale .* not positive"):
        SiamFCTracker.load(folder)
