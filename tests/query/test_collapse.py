"""Near-duplicates fold into one result: the same text in two formats, or twice in a corpus, is listed under
the best copy (`also_in`), so the top k holds k different answers; neighbours that share a sentence by
design stay apart."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import httpx
import numpy as np
import pytest

from generation import store
from generation.records import StoredPassage
from generation.torch_model import SentenceTransformerEmbedder
from query.collapse import ALIKE, Copy, collapse, near_duplicates, shingles
from query.config import Ranking
from query.retrieval import fuse, retrieve
from query.searcher import Searcher
from service.app import create_app
from service.harness import live_server
from service.settings import Settings
from tests.corpus import ESSAY, SEEDS, index

DOCS = Path(__file__).resolve().parent.parent / "documents"
QUESTIONS = [
    "How long did the Paris Commune last?",
    "What did Lenin say about the role of the party?",
    "Why did the soviets lose their revolutionary character?",
    "What was the Cultural Revolution's aim?",
    "Who attacked Paris to crush the Commune?",
]


def passage(doc: str, start: int, text: str) -> StoredPassage:
    return StoredPassage(f"{doc}#{start}", doc, start, start + len(text), text, None, 0, (), 0, None, ())


def copy(p: StoredPassage) -> Copy:
    return Copy(p, computed=shingles(p.text))


SENTENCE = "The workers held Paris for seventy six days and then the army of Versailles came back."


NEXT = " Then the next paragraph begins, about the congress of the soviets and what the delegates voted."


def test_copies_in_other_documents_fold_and_overlapping_neighbours_do_not() -> None:
    html = passage("book.html", 0, SENTENCE + " More words follow here.")
    pdf = passage("book.pdf", 40, "Chapter 2 " + SENTENCE)
    # The next passage of one document, sharing one sentence with it (the chunker's overlap).
    neighbour = passage("book.html", len(SENTENCE) + 1, "More words follow here." + NEXT)
    other = passage("book.pdf", 900, "A different paragraph about the soviets and the party congress.")
    assert near_duplicates(copy(html), copy(pdf), 0.6)
    assert not near_duplicates(copy(html), copy(neighbour), 0.6), "one document, overlapping: neighbours"
    # A paragraph's last window that is mostly the one before it: the same text twice, folded.
    tail = passage("book.html", 10, SENTENCE[10:] + " More words follow here. End.")
    assert near_duplicates(copy(html), copy(tail), 0.6)
    assert not near_duplicates(copy(html), copy(other), 0.6)
    far = passage("book.html", 5000, SENTENCE)  # the same text again, elsewhere in one document
    assert near_duplicates(copy(html), copy(far), 0.6)
    ranked = [html, pdf, other, far]
    results = collapse(range(4), ranked.__getitem__, k=2, threshold=0.6)
    assert [r.passage for r in results] == [html, other]
    assert results[0].copies == [pdf, far]
    assert [r.passage for r in collapse(range(4), ranked.__getitem__, k=3, threshold=0)] == ranked[:3]


def test_a_passage_inside_a_longer_one_is_compared_whatever_their_vectors() -> None:
    """Another format cuts its passages elsewhere: one paragraph alone, and that paragraph with the next,
    can be far apart as vectors and are still the same text. Passages of about one length far apart are
    not compared word by word (their shingles are never made)."""
    paragraph = " ".join([SENTENCE] * 4)
    alone = passage("book.pdf", 0, paragraph)
    with_next = passage("book.html", 0, paragraph + NEXT * 6)
    assert len(with_next.text) > 1.5 * len(alone.text) >= 300
    assert near_duplicates(Copy(alone), Copy(with_next), 0.6, cosine=0.6)
    short = passage("book.pdf", 900, SENTENCE)  # under 300 characters: always compared
    assert near_duplicates(Copy(short), Copy(with_next), 0.6, cosine=0.2)
    other = Copy(passage("notes.html", 0, NEXT * 4))
    same_length = Copy(passage("book.txt", 0, paragraph))
    assert not near_duplicates(other, same_length, 0.6, cosine=0.6)
    assert other.computed is None and same_length.computed is None, "not compared word by word"
    assert near_duplicates(Copy(alone), same_length, 0.6, cosine=0.9)


def test_copies_that_differ_in_typography_fold() -> None:
    """A PDF sets apostrophes and quotes curly, the HTML straight; a non-breaking space here, a space
    there: the same words."""
    straight = "Don't stop: l'été \"is\" here - and the workers' council met. " * 3
    curly = "Don’t stop: l’été “is” here — and the workers’ council met. " * 3
    assert near_duplicates(Copy(passage("a.html", 0, straight)), Copy(passage("a.pdf", 0, curly)), 0.6)
    assert near_duplicates(
        Copy(passage("b.html", 0, "a b c d")), Copy(passage("b.pdf", 0, "a\u00a0b c d")), 0.6
    )


def _normal(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _mostly_inside(a: StoredPassage, b: StoredPassage) -> bool:
    """Oracle: most sentences of the shorter passage are in the other (neighbours in one document, which
    overlap by a sentence by design, excepted)."""
    if a.doc_id == b.doc_id and a.start < b.end and b.start < a.end:
        return False
    short, long = sorted((a.text, b.text), key=len)
    sentences = [_normal(x) for x in re.split(r"(?<=[.!?])\s+", short) if len(x.split()) > 3]
    inside = sum(1 for x in sentences if x in _normal(long))
    return bool(sentences) and inside >= len(sentences) / 2


@pytest.fixture(scope="module")
def two_formats(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder, essay_settings: Settings
) -> Settings:
    """The essay as text and as PDF in one corpus: every passage has a copy in the other format (the text's
    vectors come from the essay index's cache)."""
    root = tmp_path_factory.mktemp("two-formats")
    shutil.copytree(essay_settings.index_dir / "cache", root / "index" / "cache")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(SEEDS / ESSAY, corpus / ESSAY)
    shutil.copy(DOCS / "essay.pdf", corpus / "essay.pdf")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", query_encoder="torch")
    index(settings, embedder)
    return settings


def test_the_same_essay_in_two_formats_gives_five_different_answers(
    two_formats: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    gen = store.open_current(two_formats.index_dir)
    folded = 0
    for question in QUESTIONS:
        hits = Searcher(gen, embedder).search(question, 5).hits
        assert len(hits) == 5
        for i, a in enumerate(hits):
            for b in hits[:i]:
                assert not _mostly_inside(a.passage, b.passage), (question, a.rank, b.rank)
        folded += sum(len(h.also_in) for h in hits)
        for h in hits:  # a copy listed under a result holds that result's text
            assert all(_mostly_inside(h.passage, c) for c in h.also_in)
        off = Searcher(gen, embedder, Ranking(collapse=0)).search(question, 5).hits
        assert any(_mostly_inside(a.passage, b.passage) for i, a in enumerate(off) for b in off[:i])
    assert folded >= len(QUESTIONS)


def test_passages_far_apart_in_meaning_are_not_compared_word_by_word_and_nothing_changes(
    two_formats: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    """The vectors and the stored shingles only spare work: on every question the results and their copies
    are those of comparing every pair word by word from the texts, while most pairs are not compared."""
    gen = store.open_current(two_formats.index_dir)
    assert gen.shingles is not None
    searcher = Searcher(gen, embedder)
    spared = 0
    for question in QUESTIONS:
        vector = embedder.embed([question])[0]
        found = retrieve(gen, vector, searcher.analyse(question).terms, None, "hybrid", 50)
        order = [int(i) for i in np.argsort(-fuse(found, "hybrid", Ranking()), kind="stable")]
        walk = order[:18]
        cosines = found.vectors[walk] @ found.vectors[walk].T
        spared += int((cosines < ALIKE).sum())
        fast = collapse(
            order,
            lambda i, f=found: gen.passages[f.rows[i]],
            6,
            0.6,
            found.vectors,
            lambda i, f=found, s=gen.shingles: s[f.rows[i]],
        )
        every = collapse(order, lambda i, f=found: gen.passages[f.rows[i]], 6, 0.6)
        assert [(r.index, r.copies) for r in fast] == [(r.index, r.copies) for r in every], question
    assert spared > len(QUESTIONS) * 18 * 18 / 2


def test_a_generation_without_stored_shingles_folds_the_same(
    two_formats: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    """Generations written before shingles were stored are served as they are: their passages are split
    into words when compared, with the same results."""
    gen = store.open_current(two_formats.index_dir)
    older = dataclasses.replace(gen, shingles=None)
    for question in QUESTIONS:
        now, before = (
            Searcher(gen, embedder).search(question, 5),
            Searcher(older, embedder).search(question, 5),
        )
        assert [(h.passage, h.also_in) for h in now.hits] == [(h.passage, h.also_in) for h in before.hits]


def test_the_api_lists_the_other_copies(two_formats: Settings, embedder: SentenceTransformerEmbedder) -> None:
    with live_server(create_app(two_formats, embedder)) as url:
        body = httpx.get(f"{url}/api/search", params={"q": QUESTIONS[0], "k": 5}).json()
        copies = [c for r in body["results"] for c in r["also_in"]]
        assert copies and all(set(c) == {"passage_id", "document", "title"} for c in copies)
        assert {c["document"] for c in copies} <= {ESSAY, "essay.pdf"}
        page = httpx.get(url + "/", params={"q": QUESTIONS[0]}).text
        assert "Also in:" in page
