"""Smoke test of benchmarks/kjv_duplicates.py, and checks of its evaluation helpers."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))
from _kjv_eval import classification_pairs, ranks_of_answers, recall_from_ranks  # noqa: E402

from siamkit.data import PairData  # noqa: E402
from siamkit.evaluation import retrieval_metrics  # noqa: E402


def load_benchmark():
    spec = importlib.util.spec_from_file_location("kjv_duplicates_benchmark",
                                                  BENCH / "kjv_duplicates.py")
    module = importlib.util.module_from_spec(spec)
    # dataclasses look the module up in sys.modules to resolve string annotations.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_ranks_agree_with_siamkit_retrieval_metrics():
    gen = torch.Generator().manual_seed(0)
    q = torch.nn.functional.normalize(torch.randn(50, 8, generator=gen), dim=1)
    r = torch.nn.functional.normalize(q + 0.8 * torch.randn(50, 8, generator=gen), dim=1)
    ours = recall_from_ranks(ranks_of_answers(q.numpy(), r.numpy(), chunk=7))
    ids = torch.arange(50)
    ref = retrieval_metrics(q, ids, r, ids, ks=(1, 5), distance="cosine", at_r=False)
    assert 0 < ours["recall_at_1"] < 1
    assert ours == {k: ref[k] for k in ("recall_at_1", "recall_at_5")}


def test_classification_pairs_half_same_chapter_never_own_group():
    keys = [f"Book {c}:{v}" for c in (1, 2, 3) for v in range(1, 7)]
    groups = torch.arange(len(keys))
    groups[1] = 0  # rows 0 and 1 are one duplicate group: never each other's negative
    data = PairData([f"a{i}" for i in range(18)], [f"b{i}" for i in range(18)], torch.ones(18),
                    groups=groups, keys=keys)
    pairs = classification_pairs(data, seed=3)
    again = classification_pairs(data, seed=3)
    assert np.array_equal(pairs["negatives"], again["negatives"])  # seeded
    neg = pairs["negatives"]
    assert pairs["y"].tolist() == [1.0] * 18 + [0.0] * 18
    assert pairs["x2"][18:] == [f"b{j}" for j in neg]
    assert all(groups[j] != groups[i] for i, j in enumerate(neg))
    same = sum(keys[i].split(":")[0] == keys[j].split(":")[0] for i, j in enumerate(neg))
    assert pairs["same_chapter"] == 9 and same >= 9  # random ones may land in the chapter too


@pytest.mark.slow
def test_quick_run_writes_results(tmp_path, shared_data):
    out = tmp_path / "kjv.json"
    if not (shared_data / "paraphrase" / "kjv_web_pairs.tsv").is_file():
        pytest.skip(f"kjv-web not found under {shared_data}/paraphrase/")
    result = load_benchmark().main(["--quick", "--data-dir", str(shared_data),
                                    "--output", str(out)])
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(result))
    ours = saved["siamkit"]
    assert saved["quick"] and saved["data"]["retrieval_references"] == 300
    assert 0.0 <= ours["recall_at_1"] <= ours["recall_at_5"] <= 1.0
    assert 0.5 <= ours["test_accuracy"] <= 1.0 and ours["history"][0]["samples_per_s"] > 0
    assert set(saved["peers"]) == {"tfidf_char_2_4", "tfidf_word_1_2"}
    # The character TF-IDF peer is strong even on 300 verses: a broken ranking would show here.
    assert saved["peers"]["tfidf_char_2_4"]["recall_at_1"] > 0.9


def _error_analysis():
    spec = importlib.util.spec_from_file_location("kjv_error_analysis",
                                                  BENCH / "kjv_error_analysis.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_error_analysis_counts_misses_by_hand():
    # Query 0 finds its answer; query 1 retrieves reference 2, whose text equals its answer's;
    # query 2 retrieves reference 0 (a real miss). Query 2 alone has an out-of-vocabulary word.
    sims = np.array([[0.9, 0.1, 0.2], [0.1, 0.5, 0.8], [0.7, 0.1, 0.6]])
    out = _error_analysis().analyse(sims, np.array([False, False, True]), ["a", "b", "b"],
                                    pool=2, draws=3)
    assert out["recall_at_1"] == pytest.approx(1 / 3) and out["misses"] == 2
    assert out["misses_retrieving_identical_web_text"] == 1
    assert out["recall_at_1_with_oov_word"] == 0.0
    assert out["recall_at_1_without_oov_word"] == pytest.approx(0.5)
    # In pools of 2, query 0 always wins and query 1 wins against reference 0 only.
    assert 1 / 3 <= out["recall_at_1_among_val_sized_pools"] <= 2 / 3


@pytest.mark.slow
def test_error_analysis_quick_run(tmp_path, shared_data, monkeypatch):
    if not (shared_data / "paraphrase" / "kjv_web_pairs.tsv").is_file():
        pytest.skip(f"kjv-web not found under {shared_data}/paraphrase/")
    monkeypatch.setenv("SIAMKIT_DATA", str(shared_data))
    out = _error_analysis().main(["--quick", "--output", str(tmp_path / "analysis.json")])
    assert json.loads((tmp_path / "analysis.json").read_text()) == out
    assert 0.0 <= out["recall_at_1"] <= out["recall_at_1_among_val_sized_pools"] <= 1.0


def test_chapter_ids_number_chapters_in_file_order():
    refs = ["Genesis 1:1", "Genesis 1:2", "Genesis 2:1", "Exodus 1:1", "Exodus 1:2", "1 John 1:1"]
    assert load_benchmark().chapter_ids(refs).tolist() == [0, 0, 1, 2, 2, 3]


@pytest.mark.slow
def test_quick_run_with_local_batches(tmp_path, shared_data):
    if not (shared_data / "paraphrase" / "kjv_web_pairs.tsv").is_file():
        pytest.skip(f"kjv-web not found under {shared_data}/paraphrase/")
    for locality in ("chapter", "clusters"):
        out = load_benchmark().main(["--quick", "--no-peers", "--data-dir", str(shared_data),
                                     "--set", "local_share=0.5", "--set", f"locality={locality}",
                                     "--output", str(tmp_path / f"{locality}.json")])
        assert out["config"]["local_share"] == 0.5 and out["config"]["locality"] == locality
        assert 0.0 <= out["siamkit"]["recall_at_1"] <= 1.0
