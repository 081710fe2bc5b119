"""The English analyzer: terms that cope with the essay's typography, and the question forms, names and
answer kinds the highlight and `low_confidence` read."""

from __future__ import annotations

import pytest

from generation.analysis import ENGLISH, UnknownAnalyzerError, analyzer_named

tokenize = ENGLISH.terms
expected_answer = ENGLISH.expected_answer
holds_answer_type = ENGLISH.holds_answer
names_and_numbers = ENGLISH.names
known_name = ENGLISH.known_name


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


def test_names_and_numbers_are_the_capitalised_words_after_the_first_and_the_digits() -> None:
    assert names_and_numbers("When did Fidel Castro take power in 1959?") == ["fidel", "castro", "1959"]
    assert names_and_numbers("What did the K. Venu group argue?") == ["k", "venu"]
    assert names_and_numbers("who wrote it") == []
    assert names_and_numbers("What did the Soviet-era state do?") == ["soviet"]
    assert names_and_numbers("What ended the Franco-Prussian war?") == ["franco", "prussian"]


def test_a_name_formed_from_a_known_name_is_known() -> None:
    vocabulary = {"prussia": 2.0, "lenin": 1.0, "marx": 1.5}
    idf = lambda term: vocabulary.get(term, 0.0)  # noqa: E731
    assert known_name("prussia", idf) and known_name("prussian", idf) and known_name("leninist", idf)
    assert not known_name("kropotkin", idf)
    assert not known_name("marxist", idf), "four letters are too few to tell a name from a word"


def test_a_generation_names_its_analyzer() -> None:
    assert analyzer_named("english") is ENGLISH
    assert analyzer_named(None) is ENGLISH, "generations from before the field were analysed in English"
    with pytest.raises(UnknownAnalyzerError, match="klingon"):
        analyzer_named("klingon")
