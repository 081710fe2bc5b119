"""Search over the real essay index agrees with brute-force numpy (dense and hybrid), highlights the sentence
the README describes, and flags off-topic questions."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from generation import store
from generation.analysis import ENGLISH, analyzer_named
from generation.store import Generation
from generation.torch_model import SentenceTransformerEmbedder
from query.confidence import AnswerSignals, answer_signals, keyword_found, unanswerable_score
from query.config import Ranking
from query.highlight import Highlight
from query.searcher import Hit, Searcher
from service.settings import Settings
from tests.corpus import index
from tests.fakes import FakeEmbedder

QUESTIONS = [
    "How long did the Paris Commune last?",
    "What did Lenin say about the role of the party?",
    "Who attacked Paris to crush the Commune?",
    "cogwheels and conveyor belts",
]


def _brute_force(gen: Generation, q: np.ndarray, rows: range) -> list[int]:
    vectors = gen.index.reconstruct_range(0, gen.index.rows)
    scores = vectors[list(rows)] @ q
    order = np.argsort(-scores, kind="stable")
    return [rows[i] for i in order]


def test_faiss_ranking_equals_numpy_brute_force(
    essay_generation: Generation, embedder: SentenceTransformerEmbedder
) -> None:
    searcher = Searcher(essay_generation, embedder, Ranking(mode="dense"))
    n = len(essay_generation.passages)
    for question in QUESTIONS:
        q = embedder.embed([question])[0]
        expected = _brute_force(essay_generation, q, range(n))[:10]
        hits = searcher.search(question, 10).hits
        got = [essay_generation.passages.index(h.passage) for h in hits]
        assert got == expected
        vectors = essay_generation.index.reconstruct_range(0, n)
        np.testing.assert_allclose([h.score for h in hits], vectors[got] @ q, rtol=1e-5, atol=1e-5)


def test_doc_filter_searches_only_that_document(
    essay_generation: Generation, embedder: SentenceTransformerEmbedder
) -> None:
    searcher = Searcher(essay_generation, embedder)
    doc = next(iter(essay_generation.documents))
    hits = searcher.search("the soviets", 50, doc).hits
    assert hits and all(h.passage.doc_id == doc for h in hits)


def _oracle_highlight(
    generation: Generation, embedder: SentenceTransformerEmbedder, question: str, hit: Hit, ranking: Ranking
) -> tuple[int, int]:
    """The sentence the README describes: each sentence embedded afresh, plus its share of the question's
    idf-weighted terms, plus the bonus for a length of time when the question asks how long; never a
    heading or label sentence while the passage has another."""
    terms = set(ENGLISH.terms(question))
    q = embedder.embed([question])[0]
    text, spans = hit.passage.text, hit.passage.sentences
    cosines = embedder.embed([text[s:e] for s, e in spans]) @ q
    held = np.array(
        [sum(generation.lexical.idf(t) for t in terms & set(ENGLISH.terms(text[s:e]))) for s, e in spans]
    )
    scores = cosines + (ranking.highlight_lexical * held / held.max() if held.max() > 0 else 0)
    if ENGLISH.expected_answer(question) == "duration":
        scores = scores + ranking.highlight_duration * np.array(
            [ENGLISH.holds_answer("duration", text[s:e]) for s, e in spans]
        )
    labels = list(hit.passage.labels)
    if labels and len(labels) < len(spans):
        scores = np.asarray(scores, dtype=np.float64)
        scores[labels] = -np.inf
    return tuple(spans[int(np.argmax(scores))])


def _highlights_as_the_oracle(
    generation: Generation, embedder: SentenceTransformerEmbedder, question: str, ranking: Ranking
) -> list[Hit]:
    """The first five hits for `question`, each checked to highlight the oracle's sentence."""
    hits = Searcher(generation, embedder, ranking).search(question, 5).hits
    for hit in hits:
        assert hit.highlight == _oracle_highlight(generation, embedder, question, hit, ranking)
    return hits


@pytest.mark.parametrize("weight", [0.0, 0.3])
def test_highlight_is_the_sentence_of_best_cosine_plus_weighted_question_terms(
    essay_generation: Generation, embedder: SentenceTransformerEmbedder, weight: float
) -> None:
    top = _highlights_as_the_oracle(
        essay_generation, embedder, "Was education free under the Commune?", Ranking(highlight_lexical=weight)
    )[0]
    s, e = top.highlight
    assert "Schooling was made free" in top.passage.text[s:e]


@pytest.mark.parametrize("bonus", [0.0, 0.3, 0.8])
def test_the_how_long_bonus_is_added_as_described(
    essay_generation: Generation, embedder: SentenceTransformerEmbedder, bonus: float
) -> None:
    for question in ["How long did the Paris Commune last?", "How long did Lenin lead the Soviet state?"]:
        _highlights_as_the_oracle(essay_generation, embedder, question, Ranking(highlight_duration=bonus))


def test_a_how_long_question_highlights_the_sentence_holding_a_length_of_time(
    essay_generation: Generation, embedder: SentenceTransformerEmbedder
) -> None:
    hits = Searcher(essay_generation, embedder).search("How long did the Paris Commune last?", 5).hits
    answer = next(h for h in hits if "For 76 days" in h.passage.text)
    s, e = answer.highlight
    assert answer.passage.text[s:e].startswith("For 76 days")


def test_hybrid_ranking_equals_numpy_score_fusion(
    essay_generation: Generation, embedder: SentenceTransformerEmbedder
) -> None:
    n = len(essay_generation.passages)
    ranking = Ranking(mode="hybrid", fusion="score", alpha=0.75, candidates=n)
    searcher = Searcher(essay_generation, embedder, ranking)
    vectors = essay_generation.index.reconstruct_range(0, n)
    for question in [*QUESTIONS, "K. Venu", "10th Party Congress in March 1921"]:
        q = embedder.embed([question])[0]
        bm25 = essay_generation.lexical.scores(ENGLISH.terms(question))
        scaled = bm25 / bm25.max() if bm25.max() > 0 else bm25
        fused = 0.75 * (vectors @ q) + 0.25 * scaled
        hits = searcher.search(question, 10).hits
        got = [essay_generation.passages.index(h.passage) for h in hits]
        np.testing.assert_allclose([h.score for h in hits], fused[got], rtol=1e-5, atol=1e-5)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert np.isclose(hits[0].score, fused.max(), atol=1e-5)


def test_names_and_numbers_come_first_in_hybrid(
    essay_generation: Generation, embedder: SentenceTransformerEmbedder
) -> None:
    searcher = Searcher(essay_generation, embedder)
    for query, needle in [
        ("K. Venu", "K. Venu"),
        ("10th Party Congress", "10th Party Congress"),
        ("March 1921", "March 1921"),
        ("Who attacked Paris to crush the Commune?", "Versailles"),
    ]:
        top = searcher.search(query, 1).hits[0]
        assert needle in top.passage.text, query


def test_low_confidence_flags_off_topic_questions_only(
    essay_generation: Generation, embedder: SentenceTransformerEmbedder
) -> None:
    searcher = Searcher(essay_generation, embedder)
    assert searcher.search("What is the boiling point of water?", 5).low_confidence
    assert searcher.search("How do I bake sourdough bread?", 5).low_confidence
    assert searcher.search("When did Fidel Castro take power in Cuba?", 5).low_confidence, "near the domain"
    assert not searcher.search("How long did the Paris Commune last?", 5).low_confidence
    assert searcher.search("the and of it", 5).low_confidence, "stop words only: nothing to look up"


def test_a_word_or_two_the_corpus_holds_is_a_close_answer_and_one_it_lacks_is_not(
    essay_generation: Generation, embedder: SentenceTransformerEmbedder
) -> None:
    """A bare acronym the essay holds ("HCPSU") has low cosines (0.15 with the best passage): the model
    reads it as unanswered, but a look-up of words a passage holds is answered."""
    searcher = Searcher(essay_generation, embedder)
    for words in ("HCPSU", "cogwheels", "conveyor belts"):
        found = searcher.search(words, 5)
        assert not found.low_confidence, words
        # Even with the threshold below its score: the look-up, not the score, keeps it unflagged.
        strict = replace(searcher.ranking, low_confidence_above=found.doubt - 0.01)
        assert not searcher.search(words, 5, ranking=strict).low_confidence, words
    assert searcher.search("quantum chromodynamics", 5).low_confidence  # words the essay lacks
    base = AnswerSignals(0.2, 0.1, 1.0, 0.0, False, False)
    assert keyword_found({"hcpsu"}, base) and keyword_found({"conveyor", "belt"}, base)
    assert not keyword_found({"conveyor", "belt", "lenin"}, base)  # three terms: a question
    assert not keyword_found({"conveyor", "belt"}, replace(base, coverage=0.6))  # one of them missing
    assert not keyword_found(set(), base)  # stop words only: nothing looked up


def test_the_unanswerable_score_rises_with_unknown_terms_and_falls_with_closer_answers() -> None:
    base = AnswerSignals(0.5, 0.4, 0.5, 0.0, False, False)
    score = unanswerable_score
    assert score(replace(base, best_sentence_cosine=0.7)) < score(base)  # a closer sentence
    assert score(replace(base, best_passage_cosine=0.6)) < score(base)  # a closer passage
    assert score(replace(base, coverage=0.9)) < score(base)  # more of the question in the passage
    # A term the corpus lacks (a fifth of the question's weight; the two signals come together) ...
    lacking = replace(base, unknown=0.2, unknown_term=True)
    assert score(lacking) > score(base)
    assert score(replace(lacking, unknown=0.6)) > score(lacking)  # ... and more of it in no passage
    assert score(replace(base, missing_answer_type=True)) > score(base)  # "when?" and no date near


def test_an_unknown_term_is_read_from_the_corpus_not_from_capital_letters() -> None:
    """The signal that replaced "a capitalised name is unknown": any term in no passage, whatever its case
    or language (a French question's common noun counts as an English one's name did)."""
    known = {"comment": 0.5, "parcour": 2.0, "boucl": 1.5, "vecteur": 0.0}  # French stems; vecteur absent
    mark = Highlight((0, 4), 0.4, frozenset(), "Parcourir")
    for language, question in (
        ("fr", "Comment parcourir un vecteur avec une boucle ?"),
        ("en", "rust loops"),
    ):
        analyzer = analyzer_named(language)
        terms = frozenset(analyzer.terms(question))
        signals = answer_signals(terms, None, analyzer, lambda t: known.get(t, 0.0), 100, [mark], [0.3])
        assert signals.unknown_term, question
        assert signals.best_passage_cosine == 0.3
    lower = answer_signals(
        frozenset({"parcour", "boucl"}), None, ENGLISH, known.__getitem__, 100, [mark], [0.3]
    )
    assert not lower.unknown_term


def test_large_corpus_index_is_approximate_but_doc_filter_stays_exact() -> None:
    from generation import vector_index

    rng = np.random.default_rng(7)
    n, d = vector_index.IVF_THRESHOLD, 32
    centers = rng.standard_normal((500, d)).astype(np.float32)
    x = centers[rng.integers(0, 500, n)] + 0.3 * rng.standard_normal((n, d)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    index = vector_index.VectorIndex.build(x)
    assert index.params["type"] == "IVFFlat"
    queries = x[rng.integers(0, n, 50)] + 0.05 * rng.standard_normal((50, d)).astype(np.float32)
    _, got = index.search(queries, 10)
    exact = np.argsort(-(queries @ x.T), axis=1)[:, :10]
    recall = np.mean([len(set(g) & set(e)) / 10 for g, e in zip(got, exact, strict=True)])
    assert recall >= 0.9
    rows = (12_345, 12_345 + 700)
    _, ids = index.search(queries[:3], 5, rows)
    brute = queries[:3] @ x[rows[0] : rows[1]].T
    np.testing.assert_array_equal(ids, np.argsort(-brute, axis=1, kind="stable")[:, :5] + rows[0])


def _one_document(tmp_path: Path, fake: FakeEmbedder, name: str, text: str) -> Generation:
    """A corpus of one document, built with the fake embedder (passages of up to 200 tokens)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / name).write_text(text)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", query_encoder="torch")
    index(settings, fake, passage_tokens=200)
    return store.open_current(settings.index_dir)


def test_a_heading_or_label_is_never_the_highlight_while_the_passage_has_another_sentence(
    tmp_path: Path, fake: FakeEmbedder
) -> None:
    gen = _one_document(
        tmp_path,
        fake,
        "guide.md",
        "# Installing the package\n\nRun the installer from a terminal. Then restart the machine.\n\n"
        "Figure 4.5.\n\n→ https://example.org/installing-the-package\n",
    )
    hit = Searcher(gen, fake).search("Installing the package", 1).hits[0]
    assert hit.passage.text.startswith("Installing the package")
    labels = [
        hit.passage.text[s:e] for i, (s, e) in enumerate(hit.passage.sentences) if i in hit.passage.labels
    ]
    assert labels == ["Installing the package", "Figure 4.5.", "→ https://example.org/installing-the-package"]
    s, e = hit.highlight
    assert hit.passage.text[s:e] in {"Run the installer from a terminal.", "Then restart the machine."}


def test_a_definition_lists_term_is_never_the_highlight(tmp_path: Path, fake: FakeEmbedder) -> None:
    """A glossary's term ("EAFP") names what its definition says: asked about it, the definition is marked."""
    gen = _one_document(
        tmp_path,
        fake,
        "glossary.html",
        "<html><body><main><h1>Glossary</h1><dl><dt>EAFP</dt><dd><p>Easier to ask for forgiveness than "
        "permission. This coding style assumes valid keys and catches exceptions.</p></dd></dl></main>"
        "</body></html>",
    )
    hit = Searcher(gen, fake).search("EAFP", 1).hits[0]
    labels = [
        hit.passage.text[s:e] for i, (s, e) in enumerate(hit.passage.sentences) if i in hit.passage.labels
    ]
    assert labels == ["Glossary", "EAFP"]
    s, e = hit.highlight
    assert hit.passage.text[s:e].startswith(("Easier to ask", "This coding style"))


def test_a_question_in_a_language_the_model_did_not_learn_leans_on_bm25(tmp_path: Path) -> None:
    """The model card names English; a French question's fusion gives BM25 in French more weight."""
    from generation.analysis import analyzer_named
    from tests.indexer.test_languages import _corpus

    fake = FakeEmbedder()
    fake.info = replace(fake.info, languages=("en",))
    settings = Settings(corpus_dir=_corpus(tmp_path), index_dir=tmp_path / "index", query_encoder="torch")
    index(settings, fake)
    gen = store.open_current(settings.index_dir)
    assert gen.manifest["model"]["languages"] == ["en"]
    n = len(gen.passages)
    searcher = Searcher(gen, fake, Ranking(alpha=0.75, alpha_other_languages=0.45, candidates=n, collapse=0))
    vectors = gen.index.reconstruct_range(0, n)
    for question, language, alpha in [
        ("Combien de parapluies le gardien comptait-il dans l'entrepôt ?", "fr", 0.45),
        ("How many umbrellas did the quartermaster count in the depot?", "en", 0.75),
    ]:
        assert searcher.analyse(question).analyzer.name == language
        bm25 = gen.lexical.scores(analyzer_named(language).terms(question))
        fused = alpha * (vectors @ fake.embed([question])[0]) + (1 - alpha) * bm25 / bm25.max()
        hits = searcher.search(question, n).hits
        got = [gen.passages.index(h.passage) for h in hits]
        np.testing.assert_allclose([h.score for h in hits], fused[got], rtol=1e-5, atol=1e-5)


def test_asked_how_to_do_something_the_highlight_is_the_sentence_with_the_command(
    tmp_path: Path, fake: FakeEmbedder
) -> None:
    gen = _one_document(
        tmp_path,
        fake,
        "modules.md",
        "# Apache modules\n\nApache is a modular server and loads its modules at start. "
        "Enabling a module is a matter of running `a2enmod` with its name. "
        "Modules extend the server in many ways.\n",
    )
    searcher = Searcher(gen, fake)
    question = "How do I turn on an Apache module?"

    def marked(ranking: Ranking) -> str:
        hit = searcher.search(question, 1, ranking=ranking).hits[0]
        assert [hit.passage.text[s:e] for s, e in hit.passage.code] == ["a2enmod"]
        return hit.passage.text[slice(*hit.highlight)]

    assert marked(replace(searcher.ranking, highlight_code=0.0)) != marked(searcher.ranking)
    assert marked(searcher.ranking) == "Enabling a module is a matter of running a2enmod with its name."
