"""From in-memory samples to training batches: pairs, triplets, samplers, loaders, augmentation.

Seeded balanced pairs (:mod:`.pairs`) and triplets, random or hard by a model (:mod:`.triplets`);
batch samplers that plan whole index batches per epoch (:mod:`.samplers`: random and P x K;
:mod:`.episodes`: N-way K-shot episodes for prototypical networks;
:mod:`.duplicate_sampler`: no two rows of one duplicate group); the loaders that yield the trainer's
batch formats (:mod:`.loaders` on :mod:`.loader_base`, gathering through :mod:`.sources`) and
``make_loader(kind, ...)`` that picks one (:mod:`.factory`); image augmentation applied to any
loader's batches (:mod:`.augment`) and new classes from rotations and reflections
(:mod:`.class_expansion`).
"""

from .augment import AugmentedLoader, ImageAugment
from .class_expansion import SQUARE_SYMMETRIES, expand_classes
from .duplicate_sampler import DuplicateBatchSampler
from .episodes import EpisodeBatchSampler, EpisodeLoader
from .factory import BATCH_KINDS, make_loader
from .loader_base import BatchLoader
from .loaders import DuplicatesLoader, LabelledLoader, PairLoader, TripletLoader
from .pairs import balanced_pair_indices, make_pairs
from .samplers import PKBatchSampler, RandomBatchSampler
from .triplets import embed_in_batches, hard_triplet_indices, mine_triplets, random_triplet_indices

__all__ = [
    "AugmentedLoader", "BATCH_KINDS", "BatchLoader", "DuplicateBatchSampler", "DuplicatesLoader",
    "EpisodeBatchSampler", "EpisodeLoader",
    "ImageAugment", "LabelledLoader", "PKBatchSampler", "PairLoader", "RandomBatchSampler",
    "SQUARE_SYMMETRIES", "TripletLoader", "balanced_pair_indices", "embed_in_batches",
    "expand_classes", "hard_triplet_indices", "make_loader", "make_pairs", "mine_triplets",
    "random_triplet_indices",
]
