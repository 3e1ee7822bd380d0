"""Errors and warnings that siamkit raises.

Every error names the input it is about (a file, a column, an argument, a config key) and what is
wrong with it, so that the command line can print it in one or two lines without a traceback. All of
them derive from :class:`SiamkitError`; the ones about bad values also derive from ``ValueError`` so
that ordinary Python code that catches ``ValueError`` keeps working.
"""

from __future__ import annotations


class SiamkitError(Exception):
    """Base class of every error siamkit raises on purpose."""


class DataError(SiamkitError, ValueError):
    """A dataset, file or array is missing, malformed, empty, or unusable for the task
    (for example a single class, so that no negative pair can be made)."""


class InputTooLargeError(DataError):
    """An input exceeds a size limit (an image of too many pixels); the HTTP service answers 413."""


class ConfigError(SiamkitError, ValueError):
    """A configuration value or key is unknown, of the wrong type, or out of range."""


class ModelFileError(SiamkitError):
    """A model or checkpoint file is missing, corrupt, of an unknown format, or unsafe to load
    (siamkit never unpickles a user's file)."""


class WriteError(SiamkitError, OSError):
    """A file could not be written completely (a full disk, a quota, a short write); the message
    names the file and the problem, and the file's previous content was kept."""


class DownloadError(SiamkitError):
    """A dataset could not be downloaded or failed its checksum."""


class NotCalibratedError(SiamkitError):
    """A decision was asked of a model that has no decision threshold yet."""


class TrainingError(SiamkitError):
    """Training cannot go on (for example the loss became NaN)."""


class SiamkitWarning(UserWarning):
    """Something was skipped or degraded but work went on; the message says what and how much."""


class ExportError(SiamkitError):
    """A model cannot be exported (to ONNX): its encoder says why, or the exporter failed, or the
    exported graph does not compute what the model computes."""
