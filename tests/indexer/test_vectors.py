"""The text embedded for a passage: its heading before it when the heading tells it apart from others."""

from __future__ import annotations

from indexer.chunking import Passage
from indexer.vectors import embedding_texts, spans_in


def passage(n: int, text: str, heading: str | None, doc: str = "d") -> Passage:
    return Passage(f"{doc}#{n}", doc, 0, len(text), text, heading, 0, ((0, len(text)),))


def test_a_passage_is_embedded_after_its_heading_but_a_footnote_is_not() -> None:
    note = Passage("d#20", "d", 0, 9, "1 Or not.", "Note 1: Or not.", 0, ((0, 9),), footnote="1")
    passages = [passage(0, "Limits per user.", None), passage(1, "Use edquota.", "Quotas"), note]
    texts = embedding_texts(passages, {"d": "Book"}, "heading")
    assert texts[0] == "Limits per user."
    assert texts[1] == "Quotas. Use edquota."
    assert texts[2] == "1 Or not."  # a note's heading is made from its own first sentence
    assert embedding_texts(passages, {"d": "Book"}, "title")[1] == "Book. Quotas. Use edquota."
    assert embedding_texts(passages, {"d": "Book"}, "none")[1] == "Use edquota."


def test_a_heading_over_most_of_the_corpus_is_not_embedded() -> None:
    """One heading over nearly every passage (an essay's subtitle) says nothing about any one of them."""
    passages = [passage(n, f"Paragraph {n}.", "The Leading Role of the Party") for n in range(27)]
    passages += [passage(27 + n, f"Text of note {n}.", f"Note {n}") for n in range(6)]
    texts = embedding_texts(passages, {"d": "Essay"}, "heading")
    assert texts[:27] == [p.text for p in passages[:27]]
    assert texts[27] == "Note 0. Text of note 0."


def test_sentence_spans_follow_the_prefix() -> None:
    p = passage(1, "Use edquota. Then reboot.", "Quotas")
    p = Passage(p.passage_id, p.doc_id, 0, len(p.text), p.text, p.heading, 0, ((0, 12), (13, 25)))
    text = "Quotas. " + p.text
    assert [text[s:e] for s, e in spans_in(p, text)] == ["Use edquota.", "Then reboot."]


def test_a_small_corpus_keeps_its_headings() -> None:
    """Three passages under one heading are all of a small corpus, but still few: the heading stays."""
    passages = [passage(n, f"Step {n}.", "Installing") for n in range(3)]
    assert embedding_texts(passages, {"d": "Guide"}, "heading") == [
        f"Installing. Step {n}." for n in range(3)
    ]
