"""timm and torchvision backbones exported to ONNX: ONNX Runtime's embeddings agree with PyTorch's
to 1e-4 on random weights (BatchNorm statistics made non-trivial, so that their folding into the
convolutions is checked too), on batches of other sizes than the traced one, with the backbone's
evaluation normalisation inside the graph; an architecture that cannot be made to agree refuses
in one line that says why."""

from __future__ import annotations

import json

import onnx
import pytest
import torch

import siamkit as sk
from siamkit.encoders.backbones import ONNX_REFUSALS
from siamkit.errors import ExportError
from vision_helpers import timm, torchvision  # noqa: F401  (skips without the vision extra)

# (encoder, architecture, image side): the families a user is likely to fine-tune, small sides
# so that a CPU run stays short (a ViT is built for the side it is given).
EXPORTED = [
    ("timm", "resnet10t", 64), ("timm", "resnet18", 64), ("timm", "mobilenetv3_small_050", 64),
    ("timm", "efficientnet_b0", 64), ("timm", "convnext_atto", 64), ("timm", "regnetx_002", 64),
    ("timm", "vit_tiny_patch16_224", 32), ("timm", "deit_tiny_patch16_224", 32),
    ("torchvision", "resnet18", 64), ("torchvision", "mobilenet_v3_small", 64),
    ("torchvision", "efficientnet_b0", 64), ("torchvision", "shufflenet_v2_x0_5", 64),
    ("torchvision", "densenet121", 64), ("torchvision", "mnasnet0_5", 64),
    ("torchvision", "googlenet", 64), ("torchvision", "convnext_tiny", 64),
]
FAST = {("timm", "resnet10t"), ("torchvision", "mobilenet_v3_small")}


def _model(encoder, arch, side, **kw):
    torch.manual_seed(0)
    enc = sk.encoders.create_encoder(encoder, architecture=arch, image_size=side, **kw).eval()
    for module in enc.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return sk.SiameseNetwork(enc, distance="cosine", adapter=enc.input_adapter()).eval()


def _images(model, batch, seed):
    a = model.adapter
    return torch.randint(0, 256, (batch, a.channels, *a.image_size), dtype=torch.uint8,
                         generator=torch.Generator().manual_seed(seed))


def _agrees(model, folder):
    runtime = sk.OnnxModel(folder, threads=1)
    for batch, seed in ((1, 5), (5, 6)):
        x = _images(model, batch, seed)
        with torch.no_grad():
            want = model.embed(x)
        got = runtime.embed(x)
        assert got.shape == want.shape
        torch.testing.assert_close(got, want, atol=1e-4, rtol=0)
    return runtime


@pytest.mark.parametrize("encoder, arch, side", [
    pytest.param(*case, marks=() if case[:2] in FAST else pytest.mark.slow) for case in EXPORTED])
def test_backbone_exports_and_agrees(encoder, arch, side, tmp_path):
    model = _model(encoder, arch, side)
    sk.export_onnx(model, tmp_path / "out")
    _agrees(model, tmp_path / "out")
    dims = onnx.load(str(tmp_path / "out" / "model.onnx"), load_external_data=False
                     ).graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param and [d.dim_value for d in dims[1:]] == [3, side, side]
    config = json.loads((tmp_path / "out" / "siamkit_onnx.json").read_text())
    assert config["format_version"] == 1 and config["model"]["adapter"]["type"] == "backbone_image"


def test_a_projection_normalised_and_images_from_files(tmp_path):
    model = _model("timm", "resnet10t", 48, embedding_dim=6, normalize=True)
    sk.export_onnx(model, tmp_path / "out")
    runtime = _agrees(model, tmp_path / "out")
    assert runtime.embedding_dim == 6
    with torch.no_grad():  # scores too, from files: the evaluation transform runs in prepare
        from PIL import Image
        import numpy as np

        paths = []
        for i, hw in enumerate([(70, 50), (48, 90)]):
            path = tmp_path / f"{i}.png"
            Image.fromarray(np.random.default_rng(i).integers(0, 256, (*hw, 3), dtype=np.uint8)).save(path)
            paths.append(str(path))
        torch.testing.assert_close(runtime.similarity([paths[0]], [paths[1]]),
                                   model.similarity([paths[0]], [paths[1]]), atol=1e-5, rtol=0)


@pytest.mark.parametrize("encoder, arch", sorted(ONNX_REFUSALS))
def test_architectures_that_do_not_agree_refuse_in_one_line(encoder, arch, tmp_path):
    model = _model(encoder, arch, 64)
    with pytest.raises(ExportError, match=arch) as caught:
        sk.export_onnx(model, tmp_path / "out")
    assert "\n" not in str(caught.value) and not (tmp_path / "out").exists()
