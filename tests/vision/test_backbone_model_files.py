"""A fine-tuned backbone as a model folder: trained, saved, and reloaded with neither the original
weights file nor user code; ``siamkit verify`` in a fresh process gives the Python scores; hostile
folders are refused without running or unpickling anything."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

import siamkit as sk
from siamkit.errors import ModelFileError
from vision_helpers import timm


def _pairs(n=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    x1 = torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8, generator=g)
    x2 = torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8, generator=g)
    y = torch.tensor([1.0, 0.0] * (n // 2))
    return [(x1[i:i + 4], x2[i:i + 4], y[i:i + 4]) for i in range(0, n, 4)]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("backbone")
    torch.manual_seed(0)
    weights = folder / "resnet10t.safetensors"
    ref = timm.create_model("resnet10t", pretrained=False, num_classes=0)
    save_file({k: v.contiguous() for k, v in ref.state_dict().items()}, str(weights))
    enc = sk.encoders.create_encoder("timm", architecture="resnet10t", weights=str(weights),
                                     image_size=32, embedding_dim=8)
    model = sk.SiameseNetwork(enc, distance="cosine", adapter=enc.input_adapter())
    sk.Trainer(model, sk.losses.ContrastiveLoss(margin=0.5), epochs=1, lr=1e-3,
               freeze_batchnorm=True, backbone_lr=1e-4, accumulate_steps=2,
               progress=False).fit(_pairs())
    model.save(folder / "model")
    weights.unlink()  # the folder must not need it
    images = []
    for i in range(2):
        path = folder / f"{i}.png"
        Image.fromarray(np.random.default_rng(i).integers(0, 256, (28, 28), dtype=np.uint8)).save(path)
        images.append(str(path))
    return model.eval(), folder / "model", images


def test_the_folder_reloads_the_same_model_without_user_code(trained):
    model, folder, images = trained
    config = json.loads((folder / "config.json").read_text())
    assert config["encoder"]["name"] == "timm" and config["adapter"]["type"] == "backbone_image"
    loaded = sk.SiameseNetwork.load(folder)
    with torch.no_grad():
        torch.testing.assert_close(loaded.embed(images), model.embed(images), atol=1e-6, rtol=0)


def test_siamkit_verify_in_a_fresh_process_gives_the_same_score(trained):
    model, folder, images = trained
    with torch.no_grad():
        want = float(model.similarity([images[0]], [images[1]])[0])
    out = subprocess.run([sys.executable, "-m", "siamkit", "verify", str(folder), *images,
                          "--json"], capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    assert abs(json.loads(out.stdout)["score"] - want) < 1e-5


def _hostile(trained, tmp_path, edit):
    _, folder, _ = trained
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "model.safetensors"):
        (tmp_path / name).write_bytes((folder / name).read_bytes())
    config = json.loads((tmp_path / "config.json").read_text())
    edit(config)
    (tmp_path / "config.json").write_text(json.dumps(config))
    return tmp_path


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["encoder"]["config"].update(architecture="__import__('os').system"),
     "unknown architecture"),
    (lambda c: c["encoder"]["config"].update(image_size=10**6), "image_size must be None or"),
    (lambda c: c["encoder"]["config"].update(embedding_dim=10**8), "embedding_dim must be None"),
    (lambda c: c["adapter"].update(input_size=[10**6, 10**6]), "input_size must be in"),
    (lambda c: c["adapter"].update(interpolation="lanczos; rm -rf"), "interpolation must be"),
])
def test_hostile_folders_are_refused(trained, tmp_path, edit, message):
    with pytest.raises(ModelFileError, match=message):
        sk.SiameseNetwork.load(_hostile(trained, tmp_path, edit))


def test_a_weights_path_in_the_config_is_never_read(trained, tmp_path):
    pickle = tmp_path / "evil.pth"
    torch.save({"x": 1}, pickle)
    folder = _hostile(trained, tmp_path / "m", lambda c: c["encoder"]["config"].update(
        weights=str(pickle)))
    sk.SiameseNetwork.load(folder)  # the weights come from model.safetensors only
