"""Training a SiamFC tracker on exemplar-search pairs sampled from sequences with known boxes.

Bertinetto et al. (2016), section 2.3: pairs of frames of the same sequence, at most ``max_gap``
frames apart; the exemplar is cropped around the target with context, the search region (twice as
large) around the target of the other frame, both at the target's own scale. Unlike SiamFC, whose
search crops are centred on the target, the search centre here is shifted at random by up to
``max_shift`` crop pixels (and its scale jittered) and the positive cells follow the shift: a
network without padding cannot see where the crop centre is, but the tracker must not learn "the
target is always in the middle" through the border statistics either. And where a sequence records
its distractors, some search regions are centred on one of them instead (hard negatives, after
Zhu et al. 2018, "Distractor-aware Siamese Networks for Visual Object Tracking"), so that the
network learns this handwriting, not this class of digit (on validation sequences of held-out
MNIST digits, 0.25 of such pairs gave success AUC 0.732 / 0.662 on the 'distractors' / 'hard'
settings against 0.733 / 0.636 with none: no worse, a little better under rotation and clutter;
one seed, so within noise). Loss: :func:`logistic_score_loss`.
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable, Sequence

import numpy as np
import torch

from ..errors import DataError, TrainingError
from .crops import context_size, crop_and_resize
from .frames import frame_tensor
from .loss import logistic_score_loss, score_map_labels
from .model import SiamFCTracker
from .sequences import TrackingSequence


def _pair_batch(
    model: SiamFCTracker,
    seqs: Sequence[TrackingSequence],
    rng: np.random.Generator,
    size: int,
    max_gap: int,
    max_shift: float,
    scale_jitter: float,
    distractor_fraction: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    exemplars, searches, offsets = [], [], []
    ratio = model.search_size / model.exemplar_size
    while len(exemplars) < size:
        seq = seqs[int(rng.integers(len(seqs)))]
        i = int(rng.integers(len(seq)))
        j = int(np.clip(i + rng.integers(-max_gap, max_gap + 1), 0, len(seq) - 1))
        # The exemplar must show the target; the search frame must show at least half of it, or
        # its label would ask the network to find something that is not there.
        if seq.visible[i] < 0.8 or seq.visible[j] < 0.5:
            continue
        (xi, yi, wi, hi), (xj, yj, wj, hj) = seq.boxes[i], seq.boxes[j]
        target = np.array([xj + wj / 2, yj + hj / 2])
        side = context_size(wj, hj, model.context) * ratio
        side *= math.exp(rng.uniform(-1, 1) * math.log1p(scale_jitter))
        shift = rng.uniform(-max_shift, max_shift, 2)
        centre = target - shift * side / model.search_size
        has_distractors = seq.distractors is not None and seq.distractors.shape[1] > 0
        if has_distractors and rng.random() < distractor_fraction:
            # A hard negative (distractor-aware training, Zhu et al. 2018, DaSiamRPN): the search
            # region is centred on a look-alike, the first distractor being of the target's own
            # class; the label marks the target only if it happens to lie in the region.
            k = 0 if rng.random() < 0.5 else int(rng.integers(seq.distractors.shape[1]))
            dx, dy, dw, dh = seq.distractors[j, k]
            centre = np.array([dx + dw / 2, dy + dh / 2]) + rng.uniform(-1, 1, 2) * side / 8
        exemplars.append(
            crop_and_resize(
                frame_tensor(seq.frames[i], model.in_channels),
                torch.tensor([[xi + wi / 2, yi + hi / 2]]),
                torch.tensor([context_size(wi, hi, model.context)]),
                model.exemplar_size,
            )
        )
        searches.append(
            crop_and_resize(
                frame_tensor(seq.frames[j], model.in_channels),
                torch.from_numpy(centre)[None],
                torch.tensor([side]),
                model.search_size,
            )
        )
        offsets.append((target - centre) * model.search_size / side)  # in search-crop pixels
    return (
        torch.cat(exemplars),
        torch.cat(searches),
        torch.tensor(np.array(offsets), dtype=torch.float32),
    )


def train_tracker(
    sequences: Sequence[TrackingSequence],
    model: SiamFCTracker | None = None,
    *,
    steps: int = 1500,
    batch_size: int = 32,
    lr: float = 2e-3,
    weight_decay: float = 1e-4,
    max_gap: int = 30,
    positive_radius: float = 6.0,
    max_shift: float = 12.0,
    scale_jitter: float = 0.08,
    distractor_fraction: float = 0.25,
    seed: int = 0,
    log_every: int = 100,
    callback: Callable[[int, float], Any] | None = None,
) -> SiamFCTracker:
    """Train ``model`` (default: a new :class:`SiamFCTracker`) on pairs from ``sequences`` (with
    ``frames``, ``boxes`` and ``visible``) for ``steps`` AdamW steps with cosine learning-rate
    decay. ``positive_radius`` and ``max_shift`` are in search-crop pixels. A share
    ``distractor_fraction`` of the pairs of sequences that record their distractors' boxes are
    hard negatives: search regions centred on a distractor rather than on the target.
    ``callback(step, mean_loss)`` is called every ``log_every`` steps. Returns the model in eval
    mode, with a training summary in ``model.metadata["training"]``."""
    seqs = [s for s in sequences if len(s) >= 2]
    if not seqs:
        raise DataError("train_tracker: need at least one sequence of two or more frames")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = model if model is not None else SiamFCTracker()
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=max(steps, 1), eta_min=lr * 0.01
    )
    start, recent, history = time.perf_counter(), [], []
    for step in range(1, steps + 1):
        z, x, offsets = _pair_batch(
            model, seqs, rng, batch_size, max_gap, max_shift, scale_jitter, distractor_fraction
        )
        labels = score_map_labels(model.score_size, model.total_stride, offsets, positive_radius)
        loss = logistic_score_loss(model(z, x), labels)
        if not torch.isfinite(loss):
            raise TrainingError(
                f"train_tracker: the loss became {loss.item()} at step {step}; lower lr (now {lr})"
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        recent.append(loss.item())
        if step % log_every == 0 or step == steps:
            history.append((step, float(np.mean(recent))))
            if callback is not None:
                callback(step, history[-1][1])
            recent = []
    model.metadata["training"] = {
        "steps": steps,
        "batch_size": batch_size,
        "lr": lr,
        "seed": seed,
        "sequences": len(seqs),
        "positive_radius": positive_radius,
        "max_shift": max_shift,
        "max_gap": max_gap,
        "distractor_fraction": distractor_fraction,
        "seconds": round(time.perf_counter() - start, 1),
        "loss_history": [[s, round(v, 5)] for s, v in history],
    }
    return model.eval()
