"""siamkit: Siamese (twin) neural networks in PyTorch.

One encoder with one set of weights embeds two (or three) inputs; a distance between the embeddings,
or a learned head on them, says how similar the inputs are. Labels follow one convention throughout:
**1 = same** (similar, duplicate, genuine), 0 = different. Scores follow another: **higher = more
similar**.
"""

from . import adapters, data, distances, encoders, evaluation, heads, losses, miners, plots, training
from . import runtime
from .version import __version__
from .errors import (
    ConfigError,
    DataError,
    DownloadError,
    ExportError,
    ModelFileError,
    NotCalibratedError,
    SiamkitError,
    SiamkitWarning,
    TrainingError,
    WriteError,
)
from .gallery import Gallery
from .heads import L1SigmoidHead
from .mining import paraphrase_mining, semantic_search
from .model import SiameseNetwork
from .runtime import OnnxModel, export_onnx
from .training import Trainer

__all__ = [
    "__version__",
    "adapters",
    "data",
    "distances",
    "encoders",
    "evaluation",
    "heads",
    "losses",
    "miners",
    "plots",
    "runtime",
    "Gallery",
    "L1SigmoidHead",
    "paraphrase_mining",
    "semantic_search",
    "OnnxModel",
    "SiameseNetwork",
    "Trainer",
    "export_onnx",
    "training",
    "ConfigError",
    "DataError",
    "DownloadError",
    "ExportError",
    "ModelFileError",
    "NotCalibratedError",
    "SiamkitError",
    "SiamkitWarning",
    "TrainingError",
    "WriteError",
]
