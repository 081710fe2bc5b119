"""The English analyzer: terms that cope with the essay's typography, and the question forms, names and
answer kinds the highlight and `low_confidence` read."""

from __future__ import annotations

import pytest

from generation.analysis import ENGLISH, UnknownAnalyzerError, analyzer_named

tokenize = ENGLISH.terms
expected_answer = ENGLISH.expected_answer
holds_answer_type = ENGLISH.holds_answer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("`all power to the Soviets.'", ["all", "power", "soviet"]),
        ("“Soviets”", ["soviet"]),
        ("not firmly re- established", ["firm", "reestablish", "re", "establish"]),
        ("the Paris Commune of 1871.1 Marx", ["pari", "commune", "1871", "1", "marx"]),
        ("1The Paris Commune", ["1", "pari", "commune"]),
        ("dictatorship.4", ["dictatorship", "4"]),
        ("K. Venu", ["k", "venu"]),
        ("Lenin's 10th Party Congress", ["lenin", "10th", "parti", "congress"]),
    ],
)
def test_tokenize(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


def test_query_and_text_spellings_meet() -> None:
    assert set(tokenize("re-established")) <= set(tokenize("firmly re- established"))
    assert set(tokenize("reestablished")) <= set(tokenize("firmly re- established"))


def test_the_form_of_a_question_says_which_answers_it_wants() -> None:
    assert expected_answer("When did Stalin die?") == "date"
    assert expected_answer("In what year was the essay published?") == "date"
    assert expected_answer("How long did the Paris Commune last?") == "duration"
    assert expected_answer("How many Communards were killed?") == "number"
    assert expected_answer("What was the population of Paris in 1871?") == "number"
    assert expected_answer("Why did the Commune fail?") is None
    assert expected_answer("How do I turn on an additional Apache module?") == "procedure"
    assert expected_answer("Which command lists the loaded modules?") == "procedure"
    assert expected_answer("How did the soviets arise?") is None
    assert expected_answer("How does the scheduler work?") is None  # an explanation, not a step
    french = analyzer_named("fr").expected_answer
    assert french("Comment activer un module supplémentaire d'Apache ?") == "procedure"
    assert french("Quelle commande liste les modules chargés ?") == "procedure"
    assert french("Comment la Commune a-t-elle échoué ?") is None
    assert french("Comment votre système démarre-t-il ?") is None
    assert analyzer_named("de").expected_answer("Wie aktiviere ich ein Modul?") is None  # no German rules
    assert holds_answer_type("date", "For 76 days, between March 26 and May 30, the workers held Paris.")
    assert holds_answer_type("date", "It first appeared in 1992.")
    assert not holds_answer_type("date", "Lenin recognized the need for an adjustment.")
    assert holds_answer_type("number", "Only a small minority among the many trends.")
    assert not holds_answer_type("number", "The Soviets were the creation of the masses.")
    assert holds_answer_type("duration", "For 76 days the workers held Paris.")
    assert holds_answer_type(
        "duration", "It lasted from March 1871 until May 1871."
    )  # the dates it runs between
    assert holds_answer_type("duration", "After two full years in power Lenin spoke.")
    assert not holds_answer_type("duration", "On March 26, a council declared the Paris Commune.")
    assert not holds_answer_type("duration", "The Soviets were the creation of the masses.")
    assert holds_answer_type(None, "Any sentence at all.")


def test_a_generation_names_its_analyzer() -> None:
    assert analyzer_named("english") is ENGLISH
    assert analyzer_named(None) is ENGLISH, "generations from before the field were analysed in English"
    with pytest.raises(UnknownAnalyzerError, match="klingon"):
        analyzer_named("klingon")


def test_words_of_any_script_keep_their_accents() -> None:
    assert tokenize("The café of Élisée Reclus") == ["café", "élisé", "reclus"]
    french = analyzer_named("fr")
    assert french.terms("L'administrateur installe les paquets") == ["administr", "install", "paquet"]
    assert analyzer_named("ru").terms("Администратор устанавливает пакеты") == [
        "администратор",
        "устанавлива",
        "пакет",
    ]
    assert analyzer_named("und").terms("日本語のテキスト, déjà") == ["日本語のテキスト", "déjà"]


def test_other_languages_get_the_general_signals_never_the_english_rules() -> None:
    french = analyzer_named("fr")
    assert french.expected_answer("Combien de temps a duré la Commune ?") is None
    assert french.expected_answer("How long did the Commune last?") is None, "English forms are English's"
    assert french.holds_answer(None, "Any sentence.")


def test_a_corpus_records_its_languages_and_picks_an_analyzer_per_language() -> None:
    from generation.analysis import CorpusLanguages

    corpus = CorpusLanguages.of(["fr", "en", "fr"])
    assert corpus.default == "fr" and corpus.codes == ["fr", "en"]
    assert corpus.analyzer("en") is ENGLISH and corpus.analyzer().name == "fr"
    assert CorpusLanguages.from_manifest(corpus.manifest()) == corpus
    assert CorpusLanguages.from_manifest({"name": "english"}).codes == ["en"], "a generation before languages"
