"""Checks of raw texts given to a text model from outside Python (the command line, the HTTP API).

A text model scores whatever string it is handed, and some strings make its score meaningless:

* an **empty** text (or one of spaces) has no token; the tokenizer gives it one ``<unk>``, so
  ``"" vs "hello"`` is scored as if the user had typed an unknown word. It is an error
  (:class:`~siamkit.errors.DataError` naming the input).
* a text **none of whose words is in the vocabulary** reaches the encoder as a row of ``<unk>``
  ids: the model sees its length and nothing else, so two such texts of one length score as
  identical whatever they say. It is scored, with a warning, and :func:`knows_no_word` says so,
  so that ``siamkit verify`` reports no decision for it (the score is not evidence). A tokenizer
  with subword n-grams represents unseen words by their n-grams, so for it the check is off; with
  OOV hash buckets only, unseen words get barely trained ids and the check stays on.
* a text that **looks like a file path** (an existing file, or one name ending in an image, vector
  or table suffix) was most likely meant as a file: a text model compares the path's characters,
  not the file. It is scored, with a warning that names it.

:func:`check_texts` raises on the first kind; :func:`text_warnings` returns one line per input of
the other kinds. :mod:`siamkit.inputs` applies both to what it reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from .errors import DataError


def _tokenizer(model: Any) -> Any:
    """The model's tokenizer, or None (another kind of model, or a tokenizer of the user's own
    that does not say what its tokens are): siamkit's word tokenizer, or a Hugging Face one
    (which says itself whether it knows a text's words)."""
    tok = getattr(getattr(model, "adapter", None), "tokenizer", None)
    knows = hasattr(tok, "token_to_id_") or callable(getattr(tok, "knows_no_word", None))
    return tok if hasattr(tok, "tokenize") and knows else None


def check_texts(model: Any, texts: Sequence[str], names: Sequence[str]) -> None:
    """DataError for the first text that is empty or holds no token at all."""
    tok = _tokenizer(model)
    for text, name in zip(texts, names):
        if not text.strip() or (tok is not None and not tok.tokenize(text)):
            raise DataError(f"{name}: empty text; a text model needs at least one word to compare")


def knows_no_word(model: Any, text: str) -> bool:
    """True when none of ``text``'s tokens is in the model's vocabulary (and the tokenizer has no
    subword n-grams to stand in for unseen words)."""
    tok = _tokenizer(model)
    if tok is None or getattr(tok, "subword_ngrams", None) is not None:
        return False
    if not hasattr(tok, "token_to_id_"):  # a Hugging Face tokenizer: all tokens its unknown one
        return bool(tok.knows_no_word(text))
    tokens = tok.tokenize(text)
    return bool(tokens) and not any(t in tok.token_to_id_ for t in tokens)


def looks_like_path(text: str) -> bool:
    """An existing file, or a single name (no spaces) ending in a file suffix siamkit reads."""
    from .inputs import IMAGE_SUFFIXES, TABLE_SUFFIXES  # inputs imports this module

    text = text.strip()
    if not text or "\n" in text or len(text) > 4096:
        return False
    try:
        if Path(text).expanduser().is_file():
            return True
    except (OSError, ValueError):
        return False
    suffix = Path(text).suffix.lower()
    return " " not in text and (suffix in IMAGE_SUFFIXES or suffix in (".npy", *TABLE_SUFFIXES))


def text_warnings(model: Any, texts: Sequence[str], names: Sequence[str]) -> list[str]:
    """One line per text that is scored but should not be trusted (see the module docstring);
    ``names`` name the texts in the lines."""
    lines = []
    for text, name in zip(texts, names):
        problems = []
        if looks_like_path(text):
            problems.append("looks like a file path, but this is a text model: the path's "
                            "characters are compared as text, not the file")
        if knows_no_word(model, text):
            problems.append("none of its words is in the model's vocabulary, so the model sees "
                            "only unknown-word placeholders and its score is not evidence")
        if problems:
            lines.append(f"{name}: {'; '.join(problems)}")
    return lines


def text_names(texts: Sequence[str], what: str) -> list[str]:
    """``A ('the text')``, or ``texts[3] ('...')`` for several, for messages."""
    if len(texts) == 1:
        return [f"{what} ({texts[0][:60]!r})"]
    return [f"{what}[{i}] ({text[:60]!r})" for i, text in enumerate(texts)]
