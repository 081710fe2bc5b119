"""Owns telling which language a text is in (py3langid: BSD, its model shipped in the package as numpy
arrays, no pickle; chosen by measurement, docs/quality.md): a document's at build time, a question's at
query time among the languages its corpus has."""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from typing import Any

SAMPLE_CHARS = 20_000  # enough of a document to tell its language; the rest only costs time
# Labels py3langid gives that are a supported language under another code.
ALIASES = {"wuu": "zh", "yue": "zh", "nb": "no", "nn": "no"}
MIN_LETTERS = 3  # fewer letters than this: nothing to tell a language from


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _letters(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())


def detect(text: str, among: Collection[str] = ()) -> str | None:
    """The ISO 639-1 code of the text's most likely language (restricted to `among` when given), or None
    when the text has too few letters to tell."""
    sample = text[:SAMPLE_CHARS]
    if _letters(sample) < MIN_LETTERS:
        return None
    if not among:
        language, _ = _identifier().classify(sample)
        return ALIASES.get(str(language), str(language))
    for language, _ in _identifier().rank(sample):
        code = ALIASES.get(str(language), str(language))
        if code in among:
            return code
    return None
