"""Anomaly detection with a Siamese network: distance to the nearest normal references.

An input is scored by its distance, in the model's embedding space, to its ``k`` nearest references
of normal data kept in a :class:`siamkit.gallery.Gallery`; a threshold set on normal validation data
gives a chosen false-alarm rate. **Anomaly scores: HIGHER = MORE ANOMALOUS** (the opposite of
siamkit's similarity scores). See :mod:`siamkit.anomaly.scoring` for the method and its sources.

```python
from siamkit.anomaly import AnomalyDetector
det = AnomalyDetector(model, k=5, target_false_alarm_rate=0.05).fit(normal_x, val_normal_x)
det.score(x)      # distances, higher = more anomalous
det.predict(x)    # True = anomaly
det.save("detector/"); AnomalyDetector.load("detector/", model)
```
"""

from .detector import AnomalyDetector
from .scoring import aggregate_neighbours, dissimilarity, false_alarm_threshold

__all__ = ["AnomalyDetector", "aggregate_neighbours", "dissimilarity", "false_alarm_threshold"]
