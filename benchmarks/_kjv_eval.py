"""Evaluation pieces of the kjv-web duplicate benchmark: classification pairs, TF-IDF peers.

Classification pairs (validation and test alike, seeded): for every row i of a split, the
duplicate pair (KJV_i, WEB_i) labelled 1 (= same) and one non-duplicate (KJV_i, WEB_j) labelled 0,
j a random other row of the split outside i's duplicate group; for a random half of the rows j is
drawn from the same chapter (a hard negative: neighbouring verses share names and topic), for the
other half from the whole split.

The peers are the reference figures of the data README, recomputed in the same run: TF-IDF
(scikit-learn ``TfidfVectorizer``) fit on the training verses, cosine similarity of the L2-normalised
sparse vectors, character 2-4-grams within word boundaries and word 1-2-grams.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from siamkit.data import PairData


def chapter_of(reference: str) -> str:
    """``"John 3:16"`` -> ``"John 3"``."""
    return reference.rsplit(":", 1)[0]


def classification_pairs(data: PairData, seed: int) -> dict[str, Any]:
    """``{"x1", "x2", "y", "same_chapter", "fallbacks"}``: 2 pairs per row (see module docstring).

    ``fallbacks`` counts rows meant for a same-chapter negative whose chapter had no other verse
    outside their group; they get a random one instead."""
    rng = np.random.default_rng(seed)
    n = len(data)
    groups = data.groups.numpy() if data.groups is not None else np.arange(n)
    chapters = [chapter_of(k) for k in data.keys]
    rows_of: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(chapters):
        rows_of[c].append(i)
    same_chapter = np.zeros(n, dtype=bool)
    same_chapter[rng.permutation(n)[: n // 2]] = True
    negatives, fallbacks = np.empty(n, dtype=np.int64), 0
    for i in range(n):
        candidates = [j for j in rows_of[chapters[i]] if groups[j] != groups[i]] \
            if same_chapter[i] else []
        if same_chapter[i] and not candidates:
            fallbacks += 1
        if candidates:
            negatives[i] = candidates[rng.integers(len(candidates))]
            continue
        while True:
            j = int(rng.integers(n))
            if groups[j] != groups[i]:
                negatives[i] = j
                break
    x1 = list(data.x1) + list(data.x1)
    x2 = list(data.x2) + [data.x2[j] for j in negatives]
    y = np.r_[np.ones(n), np.zeros(n)].astype(np.float32)
    return {"x1": x1, "x2": x2, "y": y, "negatives": negatives,
            "same_chapter": int(same_chapter.sum()), "fallbacks": fallbacks}


def ranks_of_answers(query: Any, reference: Any, chunk: int = 1024) -> np.ndarray:
    """Rank of reference i among all references for query i (0 = best), by dot product.

    ``query`` and ``reference`` are row-normalised matrices (dense or scipy sparse); the rank
    counts references that score strictly higher than the answer (ties count for the answer)."""
    ranks = np.empty(query.shape[0], dtype=np.int64)
    for start in range(0, query.shape[0], chunk):
        block = query[start:start + chunk] @ reference.T
        block = block.toarray() if hasattr(block, "toarray") else np.asarray(block)
        rows = np.arange(block.shape[0])
        answer = block[rows, start + rows]
        ranks[start:start + chunk] = (block > answer[:, None]).sum(1)
    return ranks


def recall_from_ranks(ranks: np.ndarray, ks: tuple[int, ...] = (1, 5)) -> dict[str, float]:
    return {f"recall_at_{k}": float(np.mean(ranks < k)) for k in ks}


def paired_cosine(a: Any, b: Any) -> np.ndarray:
    """Row-wise dot products of two row-normalised matrices (dense or sparse)."""
    if hasattr(a, "multiply"):
        return np.asarray(a.multiply(b).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", a, b)


TFIDF_PEERS = {
    "tfidf_char_2_4": {"analyzer": "char_wb", "ngram_range": (2, 4)},
    "tfidf_word_1_2": {"analyzer": "word", "ngram_range": (1, 2)},
}


def tfidf_peer(name: str, train_texts: list[str], queries: list[str], references: list[str],
               val_pairs: dict[str, Any], test_pairs: dict[str, Any]) -> dict[str, Any]:
    """Retrieval and calibrated classification figures of one TF-IDF peer."""
    import time

    from sklearn.feature_extraction.text import TfidfVectorizer

    from siamkit.evaluation import evaluate_with_calibration

    t0 = time.perf_counter()
    vec = TfidfVectorizer(**TFIDF_PEERS[name]).fit(train_texts)
    ranks = ranks_of_answers(vec.transform(queries), vec.transform(references))
    scores = {part: paired_cosine(vec.transform(p["x1"]), vec.transform(p["x2"]))
              for part, p in (("val", val_pairs), ("test", test_pairs))}
    calib = evaluate_with_calibration(scores["val"], val_pairs["y"], scores["test"],
                                      test_pairs["y"])
    return {"method": name, "settings": {k: list(v) if isinstance(v, tuple) else v
                                         for k, v in TFIDF_PEERS[name].items()},
            "fit_on": "training verses (KJV and WEB sides)", "vocabulary": len(vec.vocabulary_),
            **recall_from_ranks(ranks), **classification_figures(calib),
            "time_s": time.perf_counter() - t0}


def classification_figures(calib: dict[str, Any]) -> dict[str, Any]:
    """The test figures of :func:`siamkit.evaluation.evaluate_with_calibration`'s result."""
    test = calib["test"]
    return {"test_accuracy": test["accuracy"], "threshold": calib["threshold"],
            "val_accuracy": calib["validation"]["accuracy"], "test_roc_auc": test["roc_auc"],
            "test_far": test["far"], "test_frr": test["frr"]}
