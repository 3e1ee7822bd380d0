"""Readers of a user's own files: image folders, text pairs and labelled texts (CSV/TSV), feature
tables and NumPy arrays.

Each reader registers itself in :data:`siamkit.registry.READERS` next to its definition, under the
``[data] source`` name of an experiment config, with the facts the config checks and the CLI need:
the ``[data]`` keys it reads (``keys``), the file suffixes it accepts (``suffixes``; ``folder`` for
a folder), the header columns that identify its files (``columns``), whether it yields labelled
samples or pairs (``yields``) and the kinds of sample it holds (``modalities``). The registered
object reads one file or folder: ``reader(path, **keys)``, the keys as the config spells them.
Bad rows raise, or are skipped and counted (:mod:`.skips`).
"""

from .feature_files import load_arrays, load_feature_table
from .image_folder import load_image_folder
from .text_files import load_labelled_texts, load_text_pairs

__all__ = ["load_arrays", "load_feature_table", "load_image_folder", "load_labelled_texts",
           "load_text_pairs"]
