"""A fine-tuned ``hf_text`` twin through the shell on ONNX Runtime: trained, saved, exported with
``siamkit export``, then, with the Hugging Face folder and the PyTorch model folder both deleted,
``siamkit verify --runtime onnx`` in a fresh process gives the score of the PyTorch path to 1e-4,
``siamkit embed --runtime onnx`` its embeddings, and the service around the exported folder its
similarity scores."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("transformers")
pytest.importorskip("onnxruntime")

import siamkit as sk  # noqa: E402
from hf_tiny import SENTENCES, write_tiny_bert  # noqa: E402
from siamkit.cli import main  # noqa: E402

SRC = Path(__file__).resolve().parents[2] / "src"
PAIRS = [("The Lord said unto Moses.", "and the lord said to moses"),
         ("God saw the light, that it was good.", "god saw that the light was good"),
         ("In the beginning God created the heaven.", "in the beginning god created heaven"),
         ("he said unto her", "he said to her"), ("the water was good", "water is good"),
         ("and the day was good", "the day is good"), ("they are in the earth", "they be in earth"),
         ("she saw the night", "she saw night")]
A, B = "God saw the light, that it was good.", "the lord said unto moses"


def test_train_save_export_then_verify_on_onnx_in_a_fresh_process(tmp_path, capsys):
    folder = write_tiny_bert(tmp_path / "hf")
    enc = sk.encoders.create_encoder("hf_text", path=str(folder), normalize=True, max_length=16)
    adapter = enc.input_adapter()
    model = sk.SiameseNetwork(enc, distance="cosine", adapter=adapter)
    data = sk.data.PairData([p[0] for p in PAIRS], [p[1] for p in PAIRS], torch.ones(len(PAIRS)))
    loader = sk.data.make_loader("duplicates", data, 4, 0, tokenizer=adapter.tokenizer,
                                 max_length=adapter.max_length)
    before = model.encode([A]).clone()
    sk.Trainer(model, sk.losses.MultipleNegativesRankingLoss(), epochs=2, lr=1e-3, seed=0,
               progress=False).fit(loader)
    assert not torch.allclose(model.encode([A]), before)  # training moved the weights
    model.set_threshold(0.5, rule="fixed")
    path = model.save(tmp_path / "model")
    shutil.rmtree(folder)
    model = sk.SiameseNetwork.load(path).eval()  # the PyTorch path a user runs
    with torch.no_grad():
        score = float(model.similarity([A], [B])[0])
    want = model.encode(SENTENCES).numpy()

    assert main(["export", str(path), str(tmp_path / "onnx"), "--format", "onnx", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [i["name"] for i in report["inputs"]] == ["input_ids", "attention_mask"]
    shutil.rmtree(path)  # the exported folder alone from here on

    env = {**os.environ, "PYTHONPATH": str(SRC), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "siamkit", "verify", str(tmp_path / "onnx"), A, B,
                           "--runtime", "onnx", "--threads", "1", "--json"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=240)
    assert done.returncode == 0, done.stderr
    verified = json.loads(done.stdout)
    assert verified["score"] == pytest.approx(score, abs=1e-4)
    assert verified["threshold"] == 0.5 and verified["same"] == (score >= 0.5)

    (tmp_path / "texts.txt").write_text("\n".join(SENTENCES) + "\n")
    assert main(["embed", str(tmp_path / "onnx"), "--from-file", str(tmp_path / "texts.txt"),
                 "--out", str(tmp_path / "e.npy"), "--batch-size", "3", "--runtime", "onnx"]) == 0
    np.testing.assert_allclose(np.load(tmp_path / "e.npy"), want, atol=1e-4)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from siamkit.serve import create_app

    client = TestClient(create_app(sk.OnnxModel(tmp_path / "onnx", threads=1)))
    served = client.post("/api/similarity", json={"a": {"texts": [A]}, "b": {"texts": [B]}})
    assert served.status_code == 200, served.text
    assert served.json()["scores"][0] == pytest.approx(score, abs=1e-4)
    assert client.get("/api/model").json()["modality"] == "text"
