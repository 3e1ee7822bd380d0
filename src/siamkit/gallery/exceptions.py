"""Errors particular to galleries (both are ordinary :class:`~siamkit.errors.SiamkitError` s)."""

from __future__ import annotations

from ..errors import ConfigError, DataError


class UnknownIdentityError(DataError, LookupError):
    """An identity named in a request is not enrolled in the gallery."""


class ModelMismatchError(ConfigError):
    """A gallery was opened with a model other than the one that produced its embeddings."""
