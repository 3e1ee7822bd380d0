"""N-way K-shot classification accuracy: the one-shot experiment of Koch et al. (2015).

Each episode shows ``n_way`` classes with ``k_shot`` labelled examples each (the support set) and
asks which class each query belongs to; the answer is the class whose support scores highest against
the query (scores: higher = more similar, so the nearest by distance, or the highest head
probability). With ``k_shot > 1``, ``aggregate="mean_score"`` (default) averages the query's score
over a class's supports, which works for any score including a learned head; ``"nearest"`` takes
its best score over them (nearest-neighbour classification, as Koch et al. score several shots);
``"prototype"`` scores the query against the mean support embedding, as in prototypical networks
(Snell et al. 2017). With one shot the three agree. Exact
score ties are broken at random. Accuracy is reported with two 95% intervals: a normal one over the
per-episode accuracies, and Wilson's score interval over all queries (which treats queries as
independent, so it is the narrower and more optimistic of the two).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ..distances import get_distance
from ..errors import ConfigError, DataError
from ._validate import check_class_labels, check_embeddings, to_numpy
from .episodes import draw_episodes
from .intervals import normal_ci, wilson_ci

#: How a query's scores against a class's K supports become one score (see the module docstring).
AGGREGATES = ("mean_score", "nearest", "prototype")
PairScore = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
_MAX_PAIR_FLOATS = 1 << 23  # floats of paired embeddings scored at once (two sides, 64 MiB)


def _members(labels: np.ndarray, classes: Any, needed: int) -> tuple[dict, int]:
    present = np.unique(labels)
    if classes is not None:
        wanted = np.unique(to_numpy(classes))
        unknown = np.setdiff1d(wanted, present)
        if len(unknown):
            raise DataError(
                f"classes: {len(unknown)} class(es) not in y, e.g. {unknown[:5].tolist()}"
            )
        present = wanted
    members = {c: np.flatnonzero(labels == c) for c in present.tolist()}
    eligible = {c: rows for c, rows in members.items() if len(rows) >= needed}
    return eligible, len(members) - len(eligible)


def _check_counts(n_way: int, k_shot: int, n_query: int, episodes: int) -> None:
    for name, value, low in (
        ("n_way", n_way, 2),
        ("k_shot", k_shot, 1),
        ("n_query", n_query, 1),
        ("episodes", episodes, 1),
    ):
        if not isinstance(value, (int, np.integer)) or value < low:
            raise ConfigError(f"{name}: must be an integer >= {low}, got {value!r}")


def one_shot_accuracy_from_embeddings(
    emb: Any,
    y: Any,
    score_fn: PairScore | str | None = None,
    n_way: int = 5,
    k_shot: int = 1,
    episodes: int = 1000,
    seed: int = 0,
    classes: Any = None,
    n_query: int = 1,
    aggregate: str = "mean_score",
) -> dict[str, Any]:
    """N-way K-shot accuracy on precomputed embeddings ``emb [N, D]`` with class labels ``y [N]``.

    ``score_fn(u, v) -> [P]`` scores paired rows of two float tensors (higher = more similar); a
    distance name ("euclidean", "cosine", ...) or None (euclidean) uses :mod:`siamkit.distances`.
    Raw pixels flattened to ``[N, H*W]`` give the nearest-neighbour baseline. ``classes`` restricts
    episodes to those classes (e.g. classes never seen in training); classes with fewer than
    ``k_shot + n_query`` samples are skipped and counted in ``classes_skipped``.
    """
    _check_counts(n_way, k_shot, n_query, episodes)
    if aggregate not in AGGREGATES:
        raise ConfigError(f"aggregate: must be one of {', '.join(AGGREGATES)}, got {aggregate!r}")
    if score_fn is None or isinstance(score_fn, str):
        dist = get_distance(score_fn or "euclidean")
        score_fn = lambda u, v: dist.to_score(dist.paired(u, v))  # noqa: E731
    x = torch.from_numpy(check_embeddings(emb, "emb"))
    labels = check_class_labels(y, len(x), "y", "emb")
    members, skipped = _members(labels, classes, k_shot + n_query)
    if len(members) < n_way:
        raise DataError(
            f"y: {n_way}-way episodes need {n_way} classes with at least {k_shot + n_query} "
            f"samples each; found {len(members)} ({skipped} class(es) too small)"
        )
    rng = np.random.default_rng(seed)
    ep = draw_episodes(members, n_way, k_shot, n_query, episodes, rng)
    correct = _classify(x, ep.support, ep.query, score_fn, aggregate, rng)
    per_episode = correct.reshape(episodes, -1).mean(axis=1)
    ci95, std = normal_ci(per_episode)
    return {
        "accuracy": float(per_episode.mean()),
        "ci95": ci95,
        "ci95_wilson": wilson_ci(int(correct.sum()), correct.size),
        "std": std,
        "episodes": int(episodes),
        "n_way": int(n_way),
        "k_shot": int(k_shot),
        "n_query": int(n_query),
        "chance": 1.0 / n_way,
        "aggregate": aggregate,
        "n_classes": len(members),
        "classes_skipped": skipped,
        "seed": seed,
    }


@torch.no_grad()
def _classify(
    x: torch.Tensor,
    support: np.ndarray,
    query: np.ndarray,
    score_fn: PairScore,
    aggregate: str,
    rng: np.random.Generator,
) -> np.ndarray:
    """Bool ``[E, n_way * n_query]``: whether each query's best-scoring way is its own."""
    episodes, n_way, k_shot = support.shape
    n_q = n_way * query.shape[2]
    sides = n_way if aggregate == "prototype" else n_way * k_shot
    chunk = max(1, _MAX_PAIR_FLOATS // (2 * n_q * sides * x.shape[1]))
    way_scores = []
    for start in range(0, episodes, chunk):
        s = torch.from_numpy(support[start : start + chunk])
        q = torch.from_numpy(query[start : start + chunk]).reshape(len(s), n_q)
        if aggregate == "prototype":
            refs = x[s].mean(dim=2)  # [e, n_way, D]
        else:
            refs = x[s.reshape(len(s), sides)]  # [e, n_way * k_shot, D]
        u = x[q][:, :, None, :].expand(-1, -1, sides, -1)
        v = refs[:, None, :, :].expand(-1, n_q, -1, -1)
        scores = torch.as_tensor(score_fn(u.reshape(-1, x.shape[1]), v.reshape(-1, x.shape[1])))
        scores = scores.reshape(len(s), n_q, n_way, -1)  # [e, queries, way, supports or 1]
        scores = scores.amax(dim=3) if aggregate == "nearest" else scores.mean(dim=3)
        way_scores.append(scores.double().cpu().numpy())
    scores = np.concatenate(way_scores)
    if not np.isfinite(scores).all():
        raise DataError("score_fn: returned NaN or infinite scores")
    tied_best = scores == scores.max(axis=2, keepdims=True)
    predicted = np.argmax(tied_best * (1.0 + rng.random(scores.shape)), axis=2)
    truth = np.repeat(np.arange(n_way), query.shape[2])
    return predicted == truth[None, :]


def one_shot_accuracy(
    model: Any,
    x: Any,
    y: Any,
    n_way: int = 5,
    k_shot: int = 1,
    episodes: int = 1000,
    seed: int = 0,
    scoring: str = "auto",
    classes: Any = None,
    batch_size: int = 512,
    n_query: int = 1,
    aggregate: str = "mean_score",
) -> dict[str, Any]:
    """N-way K-shot accuracy of a Siamese model on inputs ``x`` with class labels ``y``.

    Embeds the samples once with ``model.embed`` (in batches, eval mode, no gradients), then runs
    :func:`one_shot_accuracy_from_embeddings`. ``scoring``: ``"distance"`` (the model's distance
    turned into a score), ``"head"`` (the head's match probability; the model must have a head),
    or ``"auto"`` (``model.score_embeddings``: the head if there is one, else the distance).
    """
    from .model_scores import embed_all, inference_mode

    if scoring not in ("auto", "distance", "head"):
        raise ConfigError(f"scoring: must be 'auto', 'distance' or 'head', got {scoring!r}")
    if scoring == "head" and getattr(model, "head", None) is None:
        raise ConfigError("scoring: 'head' needs a model with a head; this model has none")
    labels = to_numpy(y)
    if labels.ndim != 1 or len(labels) != len(x):
        raise DataError(f"y: need one label per input ({len(x)}), got shape {labels.shape}")
    if classes is not None:
        keep = np.flatnonzero(np.isin(labels, to_numpy(classes)))
        if len(keep) < len(labels):  # embed only what the episodes can use
            if torch.is_tensor(x):
                x = x[torch.from_numpy(keep)]
            else:
                x = x[keep] if isinstance(x, np.ndarray) else [x[i] for i in keep]
            labels = labels[keep]
    emb = embed_all(model, x, batch_size=batch_size)
    if scoring == "distance":
        dist = model.distance_fn
        score_fn: PairScore = lambda u, v: dist.to_score(dist.paired(u, v))  # noqa: E731
    else:  # the head lives on the model's device; embeddings and episodes stay on the CPU
        device = _model_device(model)
        score_fn = lambda u, v: model.score_embeddings(u.to(device), v.to(device)).cpu()  # noqa: E731
    with inference_mode(model):
        result = one_shot_accuracy_from_embeddings(
            emb,
            labels,
            score_fn,
            n_way=n_way,
            k_shot=k_shot,
            episodes=episodes,
            seed=seed,
            classes=classes,
            n_query=n_query,
            aggregate=aggregate,
        )
    return result | {"scoring": scoring}


def _model_device(model: Any) -> torch.device:
    device = getattr(model, "device", None)
    if isinstance(device, torch.device):
        return device
    param = next(iter(model.parameters()), None) if hasattr(model, "parameters") else None
    return param.device if param is not None else torch.device("cpu")
