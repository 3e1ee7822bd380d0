"""Texts to ids: the word tokenizer and vocabulary saved with a text model (:mod:`.tokenizer`),
and fastText-style character n-gram ids for words it has never seen (:mod:`.subwords`)."""

from .tokenizer import Tokenizer

__all__ = ["Tokenizer"]
