"""Readers of a user's own files: image folders, text pairs and labelled texts (CSV/TSV), feature
tables and NumPy arrays.

Each reader registers itself in :data:`siamkit.registry.READERS` next to its definition, under its
``[data] source`` name, with the facts the config checks and the CLI read (:mod:`.register`: the
``[data]`` keys it reads, the file suffixes and header columns it accepts, whether it yields
labelled samples or pairs, its modalities). CSV/TSV parsing with errors that name the line is in
:mod:`.tables`; skipped rows and files are counted by :mod:`.skips`.
"""

from .feature_files import load_arrays, load_feature_table, read_arrays, read_feature_table
from .image_folder import load_image_folder, read_image_folder
from .register import FILE_KEYS, given, register_reader
from .text_files import load_labelled_texts, load_text_pairs, read_labelled_texts, read_text_pairs

__all__ = ["FILE_KEYS", "given", "load_arrays", "load_feature_table", "load_image_folder",
           "load_labelled_texts", "load_text_pairs", "read_arrays", "read_feature_table",
           "read_image_folder", "read_labelled_texts", "read_text_pairs", "register_reader"]
