"""Every operating point of a verification score: the decisions a threshold can make.

Decision rule everywhere in siamkit: a pair is called *same* iff ``score >= threshold`` (scores:
higher = more similar; labels: 1 = same, 0 = different). Only the distinct score values matter: any
threshold between two neighbouring distinct scores makes the same decisions.
:class:`OperatingPoints` lists them from "reject everything" down to "accept everything", with the
true/false accept counts from scikit-learn's ``roc_curve``, and places each *operating threshold*
halfway between the lowest accepted score and the highest rejected one, so that a threshold chosen
on validation data does not sit exactly on a validation score (where a rounding difference on test
data would flip the decision). On the data it was chosen from, the halfway threshold makes exactly
the decisions of the score itself.

The equal error rate follows the convention of the biometrics literature (e.g. Maio et al. 2002,
FVC): the point where the false accept rate (FAR) and false reject rate (FRR) curves cross, found by
linear interpolation between the two neighbouring ROC points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OperatingPoints:
    """Counts at every distinct decision, ordered from the highest threshold to the lowest.

    ``scores_at[0]`` is ``+inf`` (reject all); ``scores_at[j]`` for ``j >= 1`` is the j-th highest
    distinct score (accept every score >= it). ``thresholds[j]`` is the halfway operating threshold
    making the same decisions as ``scores_at[j]``.
    """

    scores_at: np.ndarray
    thresholds: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    n_same: int
    n_different: int

    @classmethod
    def from_scores(cls, scores: np.ndarray, labels: np.ndarray) -> OperatingPoints:
        """From validated float scores and 0/1 labels (see ``_validate.check_scores_labels``)."""
        from sklearn.metrics import roc_curve  # imported here: keeps `import siamkit` fast

        fpr, tpr, at = roc_curve(labels, scores, drop_intermediate=False)
        n_same = int(labels.sum())
        n_different = len(labels) - n_same
        tp = np.rint(tpr * n_same).astype(np.int64)
        fp = np.rint(fpr * n_different).astype(np.int64)
        distinct = at[1:]
        hi, lo = distinct[:-1], distinct[1:]
        mid = hi / 2 + lo / 2
        # On neighbouring floats the halfway point may round onto the lower (rejected) score.
        mid = np.where((mid > lo) & (mid <= hi), mid, hi)
        reject_all = np.nextafter(distinct[0], np.inf)
        thresholds = np.concatenate([[reject_all], mid, distinct[-1:]])
        at = at.astype(np.float64).copy()
        at[0] = np.inf
        return cls(at, thresholds, tp, fp, n_same, n_different)

    @property
    def far(self) -> np.ndarray:
        """False accept rate: different pairs called same / different pairs."""
        return self.fp / self.n_different

    @property
    def tar(self) -> np.ndarray:
        """True accept rate (recall, TPR): same pairs called same / same pairs."""
        return self.tp / self.n_same

    @property
    def frr(self) -> np.ndarray:
        """False reject rate: same pairs called different / same pairs (1 - TAR)."""
        return 1.0 - self.tar

    @property
    def accuracy(self) -> np.ndarray:
        tn = self.n_different - self.fp
        return (self.tp + tn) / (self.n_same + self.n_different)

    @property
    def f1(self) -> np.ndarray:
        fn = self.n_same - self.tp
        denom = 2 * self.tp + self.fp + fn
        return np.where(denom > 0, 2 * self.tp / np.maximum(denom, 1), 0.0)

    @property
    def precision(self) -> np.ndarray:
        """Precision; 0 where nothing is accepted (scikit-learn's ``zero_division=0``)."""
        accepted = self.tp + self.fp
        return np.where(accepted > 0, self.tp / np.maximum(accepted, 1), 0.0)

    def equal_error_rate(self) -> tuple[float, float]:
        """``(eer, threshold)``: where FAR = FRR, linearly interpolated between neighbouring ROC
        points. The threshold is interpolated between the two points' score values (the
        reject-all point counts as just above the highest score)."""
        far, frr = self.far, self.frr
        gap = frr - far  # starts at 1 (reject all), ends at -1 (accept all): it must cross 0
        i = int(np.flatnonzero((gap[:-1] >= 0) & (gap[1:] <= 0))[0])
        step = gap[i] - gap[i + 1]
        alpha = 1.0 if step == 0 else gap[i] / step
        eer = far[i] + alpha * (far[i + 1] - far[i])
        t_hi = self.thresholds[0] if i == 0 else self.scores_at[i]
        threshold = t_hi + alpha * (self.scores_at[i + 1] - t_hi)
        return float(eer), float(threshold)

    def best(self, values: np.ndarray) -> int:
        """Index of the highest value; ties go to the highest threshold (fewest accepts)."""
        return int(np.argmax(values))

    def tar_at_far(self, target_far: float) -> int:
        """Index of the point with the largest TAR whose FAR <= ``target_far``.

        FAR only takes the values k / n_different, and pairs with tied scores cannot be split (no
        randomised decisions), so the achieved FAR may be below the target. Among points reaching
        that TAR, the one with the lowest FAR (highest threshold) is taken.
        """
        allowed = self.fp <= target_far * self.n_different * (1 + 1e-12)
        last = int(np.flatnonzero(allowed)[-1])  # point 0 (reject all) always qualifies
        best_tp = self.tp[last]
        return int(np.flatnonzero(self.tp[: last + 1] == best_tp)[0])
