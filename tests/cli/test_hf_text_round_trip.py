"""A fine-tuned ``hf_text`` twin, saved, is used from fresh processes: ``siamkit verify``,
``siamkit embed``, ``siamkit gallery enroll`` / ``identify`` and the HTTP service (a TestClient in
its own process) give the scores the training process computes, to 1e-5; the original Hugging
Face folder is deleted before they run, so the model folder alone must carry everything."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("transformers")

import siamkit as sk  # noqa: E402
from hf_tiny import SENTENCES, write_tiny_bert  # noqa: E402

SRC = Path(__file__).resolve().parents[2] / "src"
PAIRS = [("The Lord said unto Moses.", "and the lord said to moses"),
         ("God saw the light, that it was good.", "god saw that the light was good"),
         ("In the beginning God created the heaven.", "in the beginning god created heaven"),
         ("he said unto her", "he said to her"), ("the water was good", "water is good"),
         ("and the day was good", "the day is good"), ("they are in the earth", "they be in earth"),
         ("she saw the night", "she saw night")]
A, B = "God saw the light, that it was good.", "the lord said unto moses"


def trained_model(tmp_path: Path) -> Path:
    """A few steps of MNRL fine-tuning on duplicate pairs, then saved with a threshold."""
    folder = write_tiny_bert(tmp_path / "hf")
    enc = sk.encoders.create_encoder("hf_text", path=str(folder), normalize=True, max_length=16)
    adapter = enc.make_adapter()
    model = sk.SiameseNetwork(enc, distance="cosine", adapter=adapter)
    data = sk.data.PairData([p[0] for p in PAIRS], [p[1] for p in PAIRS], torch.ones(len(PAIRS)))
    loader = sk.data.make_loader("duplicates", data, 4, 0, tokenizer=adapter.tokenizer,
                                 max_length=adapter.max_length)
    before = model.encode([A]).clone()
    sk.Trainer(model, sk.losses.MultipleNegativesRankingLoss(), epochs=3, lr=1e-3, seed=0,
               progress=False).fit(loader)
    assert not torch.allclose(model.encode([A]), before)  # training moved the weights
    model.set_threshold(0.5, rule="fixed")
    path = model.save(tmp_path / "model")
    shutil.rmtree(folder)  # the reload must need neither this folder nor the hub
    return path


def siamkit_run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "siamkit", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=240)
    assert done.returncode == 0, done.stderr
    return done


SERVE_SCRIPT = """
import json, sys, warnings
warnings.simplefilter("ignore")
from fastapi.testclient import TestClient
import siamkit as sk
from siamkit.serve import create_app
client = TestClient(create_app(sk.SiameseNetwork.load(sys.argv[1])))
info = client.get("/api/model").json()
sim = client.post("/api/similarity", json={"a": {"texts": [sys.argv[2]]},
                                             "b": {"texts": [sys.argv[3]]}}).json()
emb = client.post("/api/embed", json={"texts": sys.argv[4:]}).json()
empty = client.post("/api/embed", json={"texts": [""]})
page = client.get("/")
print(json.dumps({"modality": info["modality"], "score": sim["scores"][0],
                  "embeddings": emb["embeddings"], "empty_status": empty.status_code,
                  "page_status": page.status_code}))
"""


@pytest.mark.slow
def test_fresh_processes_give_the_training_process_scores(tmp_path):
    model_dir = trained_model(tmp_path)
    model = sk.SiameseNetwork.load(model_dir)
    with torch.no_grad():
        score = float(model.similarity([A], [B])[0])
    emb = model.encode(SENTENCES).numpy()

    verify = json.loads(siamkit_run("verify", str(model_dir), A, B, "--json", cwd=tmp_path).stdout)
    assert verify["score"] == pytest.approx(score, abs=1e-5)

    (tmp_path / "texts.txt").write_text("\n".join(SENTENCES) + "\n")
    siamkit_run("embed", str(model_dir), "--from-file", "texts.txt", "--out", "e.npy",
                "--batch-size", "3", cwd=tmp_path)
    np.testing.assert_allclose(np.load(tmp_path / "e.npy"), emb, atol=1e-5)

    siamkit_run("gallery", "enroll", "--gallery", "g", "--model", str(model_dir), "moses",
                *SENTENCES[:3], cwd=tmp_path)
    found = json.loads(siamkit_run("gallery", "identify", "--gallery", "g", B, "--json", "-k", "1",
                                   cwd=tmp_path).stdout)
    best = float(model.pairwise_scores(model.encode([B]), model.encode(SENTENCES[:3])).max())
    assert found[0]["candidates"][0]["score"] == pytest.approx(best, abs=1e-5)

    env = {**os.environ, "PYTHONPATH": str(SRC), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", SERVE_SCRIPT, str(model_dir), A, B, *SENTENCES],
                          capture_output=True, text=True, env=env, timeout=240)
    assert done.returncode == 0, done.stderr
    served = json.loads(done.stdout.strip().splitlines()[-1])
    assert served["modality"] == "text" and served["page_status"] == 200
    assert served["score"] == pytest.approx(score, abs=1e-5)
    np.testing.assert_allclose(np.array(served["embeddings"]), emb, atol=1e-5)
    assert served["empty_status"] == 422  # an empty text is an error, as on the command line


def test_the_cli_and_the_service_read_texts_for_an_hf_model(tmp_path, capsys):
    """The same paths in this process (fast): verify, embed, an empty text, the service."""
    import warnings

    from siamkit.cli import main

    model_dir = trained_model(tmp_path)
    model = sk.SiameseNetwork.load(model_dir)
    assert main(["verify", str(model_dir), A, B, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    with torch.no_grad():
        assert out["score"] == pytest.approx(float(model.similarity([A], [B])[0]), abs=1e-5)
    assert main(["verify", str(model_dir), "  ", B]) == 1
    assert "empty text" in capsys.readouterr().err
    assert main(["verify", str(model_dir), "zebra quantum", B]) == 0
    assert "none of its words" in capsys.readouterr().err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from siamkit.serve import create_app

    client = TestClient(create_app(model))
    got = client.post("/api/embed", json={"texts": SENTENCES}).json()["embeddings"]
    np.testing.assert_allclose(np.array(got), model.encode(SENTENCES).numpy(), atol=1e-5)
    assert client.get("/api/model").json()["input"] == {"max_length": 16}
