"""Object tracking with a fully-convolutional Siamese network (SiamFC).

Bertinetto, Valmadre, Henriques, Vedaldi & Torr (2016), "Fully-Convolutional Siamese Networks for
Object Tracking". One encoder embeds an exemplar of the target and a larger search region of each
new frame; the cross-correlation of the two feature maps is a score map whose peak is the target's
new position. Accuracy is measured as in the OTB benchmark (Wu, Lim & Yang 2013) beside a
normalised cross-correlation template-matching baseline.

```python
from siamkit.tracking import SiamFCTracker, mnist_glyphs, make_sequences, train_tracker, track
model = train_tracker(make_sequences(*mnist_glyphs("train"), n=200, seed=0, length=60))
result = track(model, frames, box=(x, y, w, h))   # result.boxes [T, 4], result.fps
```
"""

from .baseline import NCCTracker
from .crops import context_size, crop_and_resize
from .frames import as_box, read_frames, write_boxes_csv, write_gif
from .glyphs import mnist_glyphs, shape_glyphs
from .loss import logistic_score_loss, score_map_labels
from .metrics import box_iou, center_error, sequence_scores, summarize
from .model import SiamFCTracker
from .params import TrackingParams
from .sequences import TrackingSequence, make_sequence, make_sequences
from .tracker import Tracker, TrackResult, run_tracker, track
from .training import train_tracker
from .tuning import evaluate_params, tune_tracker
from .xcorr import cross_correlation

__all__ = [
    "NCCTracker",
    "SiamFCTracker",
    "Tracker",
    "TrackingParams",
    "TrackingSequence",
    "TrackResult",
    "as_box",
    "box_iou",
    "center_error",
    "context_size",
    "crop_and_resize",
    "cross_correlation",
    "logistic_score_loss",
    "make_sequence",
    "make_sequences",
    "mnist_glyphs",
    "read_frames",
    "run_tracker",
    "score_map_labels",
    "sequence_scores",
    "shape_glyphs",
    "summarize",
    "track",
    "evaluate_params",
    "train_tracker",
    "tune_tracker",
    "write_boxes_csv",
    "write_gif",
]
