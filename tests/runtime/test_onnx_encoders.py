"""ONNX Runtime's embeddings of an exported model agree with PyTorch's to 1e-4, for every
registered encoder that can be exported; the others refuse in one line saying why. The graph's
batch axis (and a text model's length) is dynamic."""

from __future__ import annotations

import onnx
import pytest
import torch
from onnx_helpers import MODELS, REFUSES, VARIANTS, build, storage_batch

from siamkit import OnnxModel, export_onnx
from siamkit.errors import ExportError
from siamkit.registry import ENCODERS


def test_every_registered_encoder_is_covered():
    missing = set(ENCODERS.names()) - set(MODELS) - set(REFUSES)
    assert not missing, f"add an export example (or a refusal) for {sorted(missing)}"


def _refusing_encoder(name):
    """The encoder contract test's example of ``name`` (the backbones need their extras)."""
    if name in {"timm", "torchvision"}:
        pytest.importorskip("timm", reason=f"{name} needs the vision extra (make test-vision)")
        pytest.importorskip("torchvision", reason=f"{name} needs the vision extra")
    if name == "siamfc":
        return ENCODERS.get(name)()
    import importlib.util
    from pathlib import Path

    file = Path(__file__).parents[1] / "encoders" / "test_contract.py"
    spec = importlib.util.spec_from_file_location("encoder_contract_examples", file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return ENCODERS.get(name)(**module.EXAMPLES[name][0])


def check_agreement(model, folder):
    onnx_model = OnnxModel(folder, threads=1)
    for batch, seed in ((1, 5), (4, 6), (7, 7)):
        x = storage_batch(model, batch, seed)
        with torch.no_grad():
            want = model.embed(x)
        got = onnx_model.embed(x)
        assert got.shape == want.shape
        torch.testing.assert_close(got, want, atol=1e-4, rtol=0)
    return onnx_model


@pytest.mark.parametrize("name", ENCODERS.names())
def test_registered_encoder_exports_or_refuses(name, tmp_path):
    if name in REFUSES:
        encoder = _refusing_encoder(name)
        with pytest.raises(ExportError, match=REFUSES[name]) as caught:
            export_onnx(_wrap(encoder), tmp_path / "out")
        assert "\n" not in str(caught.value)
        assert not (tmp_path / "out").exists()
        return
    model = build(MODELS[name])
    export_onnx(model, tmp_path / "out")
    check_agreement(model, tmp_path / "out")
    graph = onnx.load(str(tmp_path / "out" / "model.onnx"))
    dims = graph.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param and not dims[0].dim_value, "the batch axis is dynamic"
    if model.adapter.type == "text":
        assert dims[1].dim_param, "a text model's length is dynamic"
    else:
        assert all(d.dim_value > 0 for d in dims[1:]), "the other axes are fixed"


def _wrap(encoder):
    from siamkit import SiameseNetwork
    from siamkit.adapters import ImageAdapter

    return SiameseNetwork(encoder, adapter=ImageAdapter(1, 48)).eval()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variants_agree(name, tmp_path):
    model = build(VARIANTS[name])
    example = storage_batch(model, 2, 0) if model.adapter.type == "tensor" else None
    export_onnx(model, tmp_path / "out", example=example)
    onnx_model = check_agreement(model, tmp_path / "out")
    if model.head is not None:
        x1, x2 = storage_batch(model, 5, 1), storage_batch(model, 5, 2)
        with torch.no_grad():
            torch.testing.assert_close(onnx_model.similarity(x1, x2), model.similarity(x1, x2),
                                       atol=1e-5, rtol=0)
