"""``siamkit search`` and ``siamkit dedupe`` on tiny text and image models: the answers equal a
brute-force ranking of the model's own scores of every pair."""

from __future__ import annotations

import csv
import itertools
import json

import numpy as np
import pytest
import torch
from PIL import Image

import siamkit as sk
from siamkit.adapters import ImageAdapter, TextAdapter
from siamkit.cli import main
from siamkit.data.text import Tokenizer

TEXTS = ["how do i learn python", "what is the best way to learn python", "hello world",
         "hello there world", "where is my parcel", "my parcel has not arrived",
         "python for beginners", "learn python fast"]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def text_model(tmp_path):
    torch.manual_seed(0)
    tok = Tokenizer().fit(TEXTS)
    enc = sk.encoders.create_encoder("rnn", vocab_size=tok.vocab_size, embedding_dim=8,
                                     token_dim=8, hidden_dim=8)
    model = sk.SiameseNetwork(enc, distance="cosine", adapter=TextAdapter(tok), threshold=0.2)
    model.eval().save(tmp_path / "text")
    (tmp_path / "corpus.txt").write_text("\n".join(TEXTS) + "\n")
    return model, tmp_path


def brute_pairs(model, inputs):
    emb = model.encode(inputs)
    s = model.pairwise_scores(emb, emb)
    return sorted(((s[i, j].item(), i, j) for i, j in itertools.combinations(range(len(emb)), 2)),
                  key=lambda t: (-t[0], t[1], t[2]))


def test_search_texts_equals_brute_force(text_model, capsys):
    model, tmp = text_model
    code, out, _ = run(capsys, "search", tmp / "text", "--corpus", tmp / "corpus.txt",
                       "learn python", "hello world", "-k", "3", "--json")
    data = json.loads(out)
    assert code == 0 and [d["query"] for d in data["results"]] == ["learn python", "hello world"]
    scores = model.pairwise_scores(model.encode(["learn python", "hello world"]),
                                   model.encode(TEXTS))
    for row, d in zip(scores, data["results"]):
        want = torch.argsort(row, descending=True, stable=True)[:3].tolist()
        assert [h["corpus_index"] for h in d["hits"]] == want
        assert [h["corpus"] for h in d["hits"]] == [TEXTS[j] for j in want]
        assert [h["score"] for h in d["hits"]] == pytest.approx(row[want].tolist(), abs=1e-5)
    code, out, _ = run(capsys, "search", tmp / "text", "-c", tmp / "corpus.txt", "hello world")
    assert out.splitlines()[0] == "query\trank\tscore\tcorpus"
    assert len(out.splitlines()) == 6 and out.splitlines()[1].startswith("hello world\t1\t")


def test_dedupe_a_pairs_file_at_the_models_threshold(text_model, capsys):
    model, tmp = text_model
    with open(tmp / "pairs.tsv", "w", newline="") as fh:  # Quora layout; texts repeat across rows
        w = csv.writer(fh, delimiter="\t")
        w.writerow(["id", "question1", "question2", "is_duplicate"])
        for k in range(4):
            w.writerow([k, TEXTS[2 * k], TEXTS[2 * k + 1], 1])
        w.writerow([4, TEXTS[0], TEXTS[3], 0])
    code, out, _ = run(capsys, "dedupe", tmp / "text", tmp / "pairs.tsv", "--json")
    data = json.loads(out)
    want = [t for t in brute_pairs(model, TEXTS) if t[0] >= 0.2]
    assert code == 0 and data["n_entries"] == 8 and data["threshold"] == pytest.approx(0.2)
    assert [(p["i"], p["j"]) for p in data["pairs"]] == [(i, j) for _, i, j in want]
    assert [p["score"] for p in data["pairs"]] == pytest.approx([s for s, _, _ in want], abs=1e-5)
    assert data["pairs"][0]["a"] == TEXTS[want[0][1]]
    code, out, _ = run(capsys, "dedupe", tmp / "text", tmp / "corpus.txt", "--all",
                       "--max-pairs", "3", "--out", tmp / "dups.tsv")
    with open(tmp / "dups.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    assert code == 0 and rows[0] == ["score", "i", "j", "a", "b"] and len(rows) == 4
    top3 = brute_pairs(model, TEXTS)[:3]
    assert [(int(r[1]), int(r[2])) for r in rows[1:]] == [(i, j) for _, i, j in top3]
    assert "3 pair(s) among 8 entries" in out


def test_search_and_dedupe_images(tmp_path, capsys):
    torch.manual_seed(0)
    enc = sk.encoders.create_encoder("convnet", in_channels=1, embedding_dim=8, channels=[4, 8])
    model = sk.SiameseNetwork(enc, adapter=ImageAdapter(1, 8)).eval()
    model.save(tmp_path / "model")
    (tmp_path / "photos").mkdir()
    paths = []
    for i in range(5):
        paths.append(tmp_path / "photos" / f"{i}.png")
        Image.fromarray(np.random.default_rng(i).integers(0, 255, (8, 8), dtype=np.uint8)
                        ).save(paths[-1])
    code, out, _ = run(capsys, "search", tmp_path / "model", "-c", tmp_path / "photos",
                       paths[3], "-k", "2", "--json")
    hits = json.loads(out)["results"][0]["hits"]
    assert code == 0 and hits[0]["corpus"] == str(paths[3]) and len(hits) == 2
    code, out, _ = run(capsys, "dedupe", tmp_path / "model", tmp_path / "photos", "--json")
    data = json.loads(out)
    assert data["threshold"] is None and len(data["pairs"]) == 10  # uncalibrated: every pair
    want = brute_pairs(model, [str(p) for p in paths])
    assert [(p["i"], p["j"]) for p in data["pairs"]] == [(i, j) for _, i, j in want]


@pytest.mark.parametrize("argv,message", [
    (["search", "{m}", "-c", "{t}/none.txt", "hello"], "no such file"),
    (["search", "{m}", "-c", "{t}/corpus.txt", "hello", "-k", "0"], "-k: must be >= 1"),
    (["dedupe", "{m}", "{t}/corpus.txt", "--out", "{t}/x.csv"], "must end in .tsv or .json"),
    (["dedupe", "{m}", "{t}/bad.csv"], "expected a 'text' column"),
])
def test_errors_are_one_line(text_model, capsys, argv, message):
    _, tmp = text_model
    (tmp / "bad.csv").write_text("a,b\n1,2\n")
    code, out, err = run(capsys, *[a.format(m=tmp / "text", t=tmp) for a in argv])
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1, err
