"""Owns text analysis, the one place for language rules: the Analyzer interface (terms for BM25 and the
highlight; the kind of answer a question asks for), an analyzer per language
(Unicode words, that language's stop words and Snowball stemmer) with English's own question rules, and the
corpus's languages, saved in each generation's manifest so that queries are analysed as passages were."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Protocol

# What kind of answer a question asks for, when its form says so.
AnswerKind = str  # "date" | "duration" | "number" | "procedure"
PLAIN = "und"  # no language known (or none with a stemmer): Unicode words, nothing else


class Analyzer(Protocol):
    """What BM25, the highlight and the confidence signals need to know about a language."""

    @property
    def name(self) -> str:
        """The language code saved in the manifest (`analyzer_named` finds the analyzer again)."""
        ...

    def terms(self, text: str) -> list[str]:
        """The text's index terms, in order (duplicates kept): what BM25 indexes and queries."""
        ...

    def expected_answer(self, question: str) -> AnswerKind | None:
        """The kind of answer the question's form asks for, if this language's rules can tell."""
        ...

    def holds_answer(self, kind: AnswerKind | None, sentence: str) -> bool:
        """Whether a sentence holds that kind of answer (True when none is asked for)."""
        ...


# ISO 639-1 code -> (Snowball stemmer in PyStemmer, stop-word list in bm25s). Stop words are left to BM25's
# idf where bm25s has no list.
LANGUAGES: dict[str, tuple[str | None, str | None]] = {
    "en": ("english", "STOPWORDS_EN"),
    "fr": ("french", "STOPWORDS_FRENCH"),
    "de": ("german", "STOPWORDS_GERMAN"),
    "es": ("spanish", "STOPWORDS_SPANISH"),
    "it": ("italian", "STOPWORDS_ITALIAN"),
    "pt": ("portuguese", "STOPWORDS_PORTUGUESE"),
    "nl": ("dutch", "STOPWORDS_DUTCH"),
    "da": ("danish", "STOPWORDS_DANISH"),
    "sv": ("swedish", "STOPWORDS_SWEDISH"),
    "no": ("norwegian", "STOPWORDS_NORWEGIAN"),
    "nb": ("norwegian", "STOPWORDS_NORWEGIAN"),
    "ru": ("russian", "STOPWORDS_RUSSIAN"),
    "tr": ("turkish", "STOPWORDS_TURKISH"),
    "fi": ("finnish", None),
    "hu": ("hungarian", None),
    "ro": ("romanian", None),
    "cs": ("czech", None),
    "pl": ("polish", None),
    "el": ("greek", None),
    "ca": ("catalan", None),
    "eu": ("basque", None),
    "ga": ("irish", None),
    "lt": ("lithuanian", None),
    "et": ("estonian", None),
    "hy": ("armenian", None),
    "sr": ("serbian", None),
    "id": ("indonesian", None),
    "ar": ("arabic", None),
    "fa": ("persian", None),
    "hi": ("hindi", None),
    "ne": ("nepali", None),
    "ta": ("tamil", None),
    "yi": ("yiddish", None),
    "eo": ("esperanto", None),
    "zh": (None, "STOPWORDS_CHINESE"),
    "ko": (None, "STOPWORDS_KOREAN"),
}

_QUOTES = str.maketrans({c: "'" for c in '`´‘’‚‛“”„‟″′«»"'})
# "re- established" (a line-break hyphen left in the text) is one word, "re-established".
_HYPHENATION = re.compile(r"(?<=[^\W\d_])- (?=[^\W\dA-Z_])")
# A footnote marker or number glued to a capitalised word: "1The", "1871.1" -> separate tokens.
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ])")
# A word of any script: letters and digits, joined by inner hyphens ("re-established", "apt-get").
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


@cache
def _stopwords(language: str) -> frozenset[str]:
    listing = LANGUAGES.get(language, (None, None))[1]
    if listing is None:
        return frozenset()
    import bm25s.stopwords

    return frozenset(getattr(bm25s.stopwords, listing))


@cache
def _stemmer(language: str) -> Any:
    algorithm = LANGUAGES.get(language, (None, None))[0]
    if algorithm is None:
        return None
    import Stemmer

    return Stemmer.Stemmer(algorithm)


def supported(language: str) -> bool:
    """Whether a language has a stemmer or stop words here (else its documents get plain Unicode terms)."""
    return language in LANGUAGES


@dataclass(frozen=True, slots=True)
class LanguageAnalyzer:
    """Unicode words (accents kept), lower-cased; the language's stop words dropped and its Snowball
    stemmer applied. No question forms: those are a language's own (English's and French's, below)."""

    language: str = PLAIN

    @property
    def name(self) -> str:
        return self.language

    def _normalised(self, text: str) -> str:
        text = _HYPHENATION.sub("-", text.translate(_QUOTES))
        return _DIGIT_LETTER.sub(" ", text).lower()

    def terms(self, text: str) -> list[str]:
        """Hyphenated words give the whole and its parts; quotes folded, line-break hyphens joined."""
        stop = _stopwords(self.language)
        words: list[str] = []
        for m in _WORD.finditer(self._normalised(text)):
            word = m.group(0)
            parts = word.split("-")
            if len(parts) > 1:
                words.append(word.replace("-", ""))
            words.extend(p for p in parts if p and p not in stop)
        stemmer = _stemmer(self.language)
        return list(stemmer.stemWords(words)) if stemmer is not None else words

    def expected_answer(self, question: str) -> AnswerKind | None:
        return None

    def holds_answer(self, kind: AnswerKind | None, sentence: str) -> bool:
        return True


# --- English: its question forms, its names, its possessive ---------------------------------------------

_POSSESSIVE = re.compile(r"'s\b")
_ASKS_DATE = re.compile(r"^\W*(when|(in |on )?(what|which) (year|date|month|century|decade))\b", re.I)
_ASKS_DURATION = re.compile(r"\bhow long\b", re.I)
# "How do I enable ...", "how can I check ...", "which command ...": the answer is a step to take.
_ASKS_PROCEDURE = re.compile(
    r"^\W*how (?:(?:do|can|could|should|would|shall|may) (?:i|we|you|one)|to)\b"
    r"|\b(what|which) (command|commands|tool|program|option|package|file|setting)\b",
    re.I,
)
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


@dataclass(frozen=True, slots=True)
class EnglishAnalyzer(LanguageAnalyzer):
    """English: the possessive dropped; "when", "how long", "how many", "how do I" questions."""

    language: str = "en"

    def _normalised(self, text: str) -> str:
        return _POSSESSIVE.sub("", LanguageAnalyzer._normalised(self, text))

    def expected_answer(self, question: str) -> AnswerKind | None:
        """ "date" (when), "duration" (how long), "number" (how many), "procedure" (how do I, which
        command), else None."""
        if _ASKS_DATE.search(question):
            return "date"
        if _ASKS_DURATION.search(question):
            return "duration"
        if _ASKS_NUMBER.search(question):
            return "number"
        if _ASKS_PROCEDURE.search(question):
            return "procedure"
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

# --- French: its question forms for a step to take ----------------------------------------------------

_FR_PROCEDURE = re.compile(
    # "Comment activer ...", "comment faire ...", "comment puis-je ...", "comment les administrateurs
    # peuvent-ils ...", "quelle commande ...", "quelle option ..."
    r"\bcomment\s+(?:faire|(?!votre\b|notre\b)[a-zàâçéèêëîïôûùüÿœ]+(?:er|ir|re)\b|puis-je|peut-on|dois-je|doit-on)"
    r"|\bcomment\b[^?]{0,80}?\b(?:peu[tx]|peuvent|pouvons|pouvez|dois|doit|doivent|devons|devez)\b"
    r"|\bquel(?:le)?s?\s+(?:commande|option|programme|outil|paquet|fichier|réglage)s?\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class FrenchAnalyzer(LanguageAnalyzer):
    """French: the general signals, and questions asking how to do something ("comment activer ...")."""

    language: str = "fr"

    def expected_answer(self, question: str) -> AnswerKind | None:
        return "procedure" if _FR_PROCEDURE.search(question) else None


LEGACY_NAMES = {"english": "en"}  # generations written before analyzers were per language


class UnknownAnalyzerError(ValueError):
    """A generation names an analyzer this version does not have."""


@cache
def analyzer_named(name: str | None) -> Analyzer:
    """The analyzer of a language code (generations from before the field: English)."""
    code = LEGACY_NAMES.get(name or "english", name or "en")
    if code == "en":
        return ENGLISH
    if code == "fr":
        return FrenchAnalyzer()
    if code == PLAIN or supported(code):
        return LanguageAnalyzer(code)
    raise UnknownAnalyzerError(f"unknown text analyzer {name!r} (this version has {', '.join(LANGUAGES)})")


@dataclass(frozen=True, slots=True)
class CorpusLanguages:
    """The languages of a generation's documents (saved in its manifest): each passage is analysed in its
    document's language, and a question in its own where the corpus has several (else the corpus's)."""

    counts: tuple[tuple[str, int], ...]  # language -> documents, most first

    @classmethod
    def of(cls, languages: Iterable[str]) -> CorpusLanguages:
        return cls(tuple(Counter(languages).most_common()))

    @property
    def default(self) -> str:
        return self.counts[0][0] if self.counts else "en"

    @property
    def codes(self) -> list[str]:
        return [code for code, _ in self.counts]

    def manifest(self) -> dict[str, Any]:
        return {"name": self.default, "languages": dict(self.counts)}

    @classmethod
    def from_manifest(cls, entry: Mapping[str, Any] | None) -> CorpusLanguages:
        """From the manifest's "analyzer" entry; before it listed languages, one: its name (English)."""
        entry = entry or {}
        languages = entry.get("languages")
        if isinstance(languages, Mapping) and languages:
            return cls(tuple((str(k), int(v)) for k, v in languages.items()))
        return cls(((analyzer_named(entry.get("name")).name, 1),))

    def analyzer(self, language: str | None = None) -> Analyzer:
        return analyzer_named(language or self.default)


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
