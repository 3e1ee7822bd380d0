"""Training Siamese networks: the Trainer, its callbacks, checkpoints and distributed helpers.

    history = sk.Trainer(model, loss, epochs=20, checkpoint_dir="run/ckpt").fit(train, val)

See :mod:`siamkit.training.trainer` for the loop, :mod:`~siamkit.training.settings` for its
settings, :mod:`~siamkit.training.steps` for what each batch kind feeds each loss, and
:mod:`~siamkit.training.distributed` for several processes.
"""

from . import distributed
from .callbacks import Callback, EarlyStopping, HistoryLogger, LRLogger, ModelCheckpoint
from .checkpoint import load_checkpoint, seed_everything
from .history import History
from .loaders import SplitBatches
from .settings import Checkpointing, FineTuning, Monitoring, Optimization, Runtime
from .steps import ACCEPTS, BATCH_FORMATS, TrainStep
from .trainer import Trainer
from .validation import metric_names, validate

__all__ = [
    "ACCEPTS",
    "BATCH_FORMATS",
    "Callback",
    "Checkpointing",
    "EarlyStopping",
    "History",
    "HistoryLogger",
    "LRLogger",
    "ModelCheckpoint",
    "Monitoring",
    "FineTuning",
    "Optimization",
    "Runtime",
    "SplitBatches",
    "TrainStep",
    "Trainer",
    "distributed",
    "load_checkpoint",
    "metric_names",
    "seed_everything",
    "validate",
]
