"""Owns text analysis, the one place for language rules: the Analyzer interface (terms for BM25 and
highlights; a question's names, numbers and the kind of answer it asks for) and its English implementation.
The analyzer's name is saved in each generation's manifest, so queries are analysed as the passages were."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

# What kind of answer a question asks for, when its form says so.
AnswerKind = str  # "date" | "duration" | "number"


class Analyzer(Protocol):
    """What BM25, the highlight and the confidence signals need to know about a language."""

    @property
    def name(self) -> str:
        """The name saved in the manifest (`analyzer_named` finds it again)."""
        ...

    def terms(self, text: str) -> list[str]:
        """The text's index terms, in order (duplicates kept): what BM25 indexes and queries."""
        ...

    def names(self, question: str) -> list[str]:
        """Terms of the question's names and numbers."""
        ...

    def known_name(self, term: str, idf: Callable[[str], float]) -> bool:
        """Whether the corpus holds the name (or one it is formed from); `idf` is 0 for unknown terms."""
        ...

    def expected_answer(self, question: str) -> AnswerKind | None:
        """The kind of answer the question's form asks for, if it says."""
        ...

    def holds_answer(self, kind: AnswerKind | None, sentence: str) -> bool:
        """Whether a sentence holds that kind of answer (True when none is asked for)."""
        ...


# --- English --------------------------------------------------------------------------------------------

_QUOTES = str.maketrans({c: "'" for c in '`´‘’‚‛“”„‟″′«»"'})
# "re- established" (a line-break hyphen left in the text) is one word, "re-established".
_HYPHENATION = re.compile(r"(?<=[A-Za-z])- (?=[a-z])")
# A footnote marker or number glued to a word: "1The", "1871.1" -> separate tokens.
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[A-Z][a-z])")
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_POSSESSIVE = re.compile(r"'s\b")
_WORD_OR_NUMBER = re.compile(r"[A-Za-z][\w'’-]*|\d+")

# Dates for "when", a length of time for "how long", numbers for "how many".
_ASKS_DATE = re.compile(r"^\W*(when|(in |on )?(what|which) (year|date|month|century|decade))\b", re.I)
_ASKS_DURATION = re.compile(r"\bhow long\b", re.I)
_ASKS_NUMBER = re.compile(
    r"\bhow (many|much|old|far|big|large)\b|\bwhat (percentage|proportion|share|number)\b"
    r"|\bpopulation\b",
    re.I,
)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATE = re.compile(rf"\b(\d{{3,4}}s?|{_MONTHS}|century|decade)\b", re.I)
_NUMBER_WORDS = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty"
_COUNT = rf"\d+|an?|{_NUMBER_WORDS}|several|few|many"
_UNIT = r"seconds?|minutes?|hours?|days?|nights?|weeks?|months?|years?|decades?|century|centuries"
# A length of time: "76 days", "two full years", "a few months".
_DURATION = re.compile(rf"\b({_COUNT})\s+(?:[a-z]+\s+)?({_UNIT})\b", re.I)
_NUMBER = re.compile(
    rf"\d|\b({_NUMBER_WORDS}|hundreds?|thousands?|millions?|dozens?|half|majority|minority|few|several|many)\b",
    re.I,
)


@lru_cache(maxsize=1)
def _english_stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


@lru_cache(maxsize=1)
def _english_stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@dataclass(frozen=True, slots=True)
class EnglishAnalyzer:
    """Lower-case Snowball-stemmed ASCII words without Lucene's English stop words; English question forms
    and capitalised names."""

    name: str = "english"

    def terms(self, text: str) -> list[str]:
        """Hyphenated words give the whole and its parts; quotes folded, line-break hyphens joined."""
        text = _HYPHENATION.sub("-", text.translate(_QUOTES))
        text = _DIGIT_LETTER.sub(" ", text)
        text = _POSSESSIVE.sub("", text.lower())
        stop = _english_stopwords()
        words: list[str] = []
        for m in _WORD.finditer(text):
            word = m.group(0)
            parts = word.split("-")
            if len(parts) > 1:
                words.append(word.replace("-", ""))
            words.extend(p for p in parts if p and p not in stop)
        return list(_english_stemmer().stemWords(words))

    def names(self, question: str) -> list[str]:
        """Capitalised words after the first, and numbers. Of a hyphenated word only the capitalised parts
        are names ("Soviet-era": Soviet; "Franco-Prussian": both)."""
        words = _WORD_OR_NUMBER.findall(question)
        names = [w for i, w in enumerate(words) if w[0].isdigit() or (i and w[0].isupper())]
        parts = [p for w in names for p in re.split(r"[-‐‑]", w) if p and (p[0].isdigit() or p[0].isupper())]
        return [t for p in parts for t in self.terms(p)]

    def known_name(self, term: str, idf: Callable[[str], float]) -> bool:
        """The corpus has the name, or a name it is formed from: "prussian" from "prussia", "leninist" from
        "lenin" (a known term of at least five letters that the name starts with)."""
        return idf(term) > 0 or any(idf(term[:n]) > 0 for n in range(5, len(term)))

    def expected_answer(self, question: str) -> AnswerKind | None:
        """ "date" (when), "duration" (how long), "number" (how many), else None."""
        if _ASKS_DATE.search(question):
            return "date"
        if _ASKS_DURATION.search(question):
            return "duration"
        if _ASKS_NUMBER.search(question):
            return "number"
        return None

    def holds_answer(self, kind: AnswerKind | None, sentence: str) -> bool:
        if kind == "date":
            return bool(_DATE.search(sentence))
        if kind == "duration":  # a length of time, or the dates it runs between
            return bool(_DURATION.search(sentence)) or len(_DATE.findall(sentence)) >= 2
        if kind == "number":
            return bool(_NUMBER.search(sentence))
        return True


ENGLISH: Analyzer = EnglishAnalyzer()
ANALYZERS: dict[str, Analyzer] = {ENGLISH.name: ENGLISH}


class UnknownAnalyzerError(ValueError):
    """A generation names an analyzer this version does not have."""


def analyzer_named(name: str | None) -> Analyzer:
    """The analyzer a generation was built with (generations from before the field: English)."""
    found = ANALYZERS.get(name or ENGLISH.name)
    if found is None:
        raise UnknownAnalyzerError(
            f"unknown text analyzer {name!r} (this version has {', '.join(ANALYZERS)})"
        )
    return found


def sentence_terms(
    analyzer: Analyzer, text: str, spans: tuple[tuple[int, int], ...]
) -> tuple[frozenset[str], ...]:
    """Each sentence's terms (about 0.1 ms a passage), kept for the passages shown most: the same passages
    answer many questions."""
    return _sentence_terms(analyzer.name, text, spans)


@lru_cache(maxsize=16_384)
def _sentence_terms(
    analyzer: str, text: str, spans: tuple[tuple[int, int], ...]
) -> tuple[frozenset[str], ...]:
    terms = analyzer_named(analyzer).terms
    return tuple(frozenset(terms(text[s:e])) for s, e in spans)
