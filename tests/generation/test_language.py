"""A text's language is told from its letters (py3langid): documents' at build time, questions' among the
languages their corpus has; too little text tells nothing."""

from __future__ import annotations

from generation.language import detect


def test_a_documents_language_is_detected() -> None:
    assert detect("The Paris Commune of 1871 was the first seizure of power by the working class.") == "en"
    assert detect("La Commune de Paris fut la première prise du pouvoir par la classe ouvrière.") == "fr"
    assert detect("Парижская коммуна была первой пролетарской революцией.") == "ru"


def test_a_question_is_placed_among_the_corpus_languages() -> None:
    assert detect("Comment installer un paquet avec apt ?", among=["en", "fr"]) == "fr"
    assert detect("How do I install a package?", among=["en", "fr"]) == "en"
    assert detect("sudo", among=["en", "fr"]) in {"en", "fr"}


def test_text_without_letters_tells_nothing() -> None:
    assert detect("") is None and detect("12345") is None and detect("2 + 2 = 4", among=["en"]) is None
