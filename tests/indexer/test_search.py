"""Dense search over the real essay index agrees with a brute-force numpy ranking."""

from __future__ import annotations

import numpy as np

from indexer.embedding import SentenceTransformerEmbedder
from indexer.search import Searcher
from indexer.store import Generation

QUESTIONS = [
    "How long did the Paris Commune last?",
    "What did Lenin say about the role of the party?",
    "Who attacked Paris to crush the Commune?",
    "cogwheels and conveyor belts",
]


def _brute_force(gen: Generation, q: np.ndarray, rows: range) -> list[int]:
    vectors = gen.index.reconstruct_n(0, gen.index.ntotal)
    scores = vectors[list(rows)] @ q
    order = np.argsort(-scores, kind="stable")
    return [rows[i] for i in order]


def test_faiss_ranking_equals_numpy_brute_force(
    essay_generation: Generation, embedder: SentenceTransformerEmbedder
) -> None:
    searcher = Searcher(essay_generation, embedder)
    n = len(essay_generation.passages)
    for question in QUESTIONS:
        q = embedder.embed([question])[0]
        expected = _brute_force(essay_generation, q, range(n))[:10]
        hits = searcher.search(question, 10).hits
        got = [essay_generation.passages.index(h.passage) for h in hits]
        assert got == expected
        vectors = essay_generation.index.reconstruct_n(0, n)
        np.testing.assert_allclose([h.score for h in hits], vectors[got] @ q, rtol=1e-5, atol=1e-5)


def test_doc_filter_searches_only_that_document(
    essay_generation: Generation, embedder: SentenceTransformerEmbedder
) -> None:
    searcher = Searcher(essay_generation, embedder)
    doc = next(iter(essay_generation.documents))
    hits = searcher.search("the soviets", 50, doc).hits
    assert hits and all(h.passage["doc_id"] == doc for h in hits)


def test_highlight_is_the_sentence_closest_to_the_query(
    essay_generation: Generation, embedder: SentenceTransformerEmbedder
) -> None:
    searcher = Searcher(essay_generation, embedder)
    for hit in searcher.search("Was education free under the Commune?", 5).hits:
        text, spans = hit.passage["text"], hit.passage["sentences"]
        sentence_vectors = embedder.embed([text[s:e] for s, e in spans])
        q = embedder.embed(["Was education free under the Commune?"])[0]
        best = spans[int(np.argmax(sentence_vectors @ q))]
        assert hit.highlight == tuple(best)
    top = searcher.search("Was education free under the Commune?", 1).hits[0]
    s, e = top.highlight
    assert "Schooling was made free" in top.passage["text"][s:e]
