"""A real library's report: its questions' figures per split, off-topic and other corpora's questions
flagged, near-duplicates and unshowable characters counted, judged by evidence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from evaluation.libraries import ALPHAS, Library, answered, library_searcher, library_section
from evaluation.settings import EvalSettings
from evaluation.suite import served_searcher
from tests.fakes import FakeEmbedder

DOCS = Path(__file__).resolve().parent.parent / "documents"


def test_a_library_is_indexed_as_a_folder_and_reported(tmp_path: Path, fake: FakeEmbedder) -> None:
    source = tmp_path / "installed"
    source.mkdir()
    shutil.copy(DOCS / "essay.html", source / "essay.html")
    shutil.copy(DOCS / "essay.pdf", source / "essay.pdf")
    questions = tmp_path / "questions"
    questions.mkdir()
    rows = [
        {"id": "q1", "question": "How long did the Paris Commune last?", "evidence": ["For 76 days"]},
        {"id": "q2", "question": "Who wrote the essay?", "evidence": ["by Bob Avakian"]},
        {"id": "q3", "question": "Which edition?", "evidence": ["a span in no passage at all"]},
    ]
    (questions / "essay-lib-test.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    (questions / "essay-lib-off-topic-test.txt").write_text("# off topic\nHow do I bake bread?\n")
    library = Library("The essay as a library", source, "essay.*", "essay-lib")
    settings = EvalSettings(query_encoder="torch", export_query_encoder=False)
    searcher = library_searcher(library, settings, fake, tmp_path / "work", served_searcher)
    assert {d for d in searcher.generation.documents} == {"essay.html", "essay.pdf"}
    figures = answered(searcher, questions / "essay-lib-test.jsonl")
    assert figures.questions == 2, "a question whose evidence is in no passage is not counted"
    assert 0 <= figures.top5 <= 2 and figures.found <= 2 and figures.unshowable == 0
    lines = library_section(library, searcher, questions, {"the essay's own": ["Who wrote the essay?"]})
    text = "\n".join(lines)
    assert "### The essay as a library: 2 documents" in text and "| test | 2 |" in text
    assert "off-topic questions flagged (test, `essay-lib-off-topic-test.txt`):" in text
    assert "- the essay's own asked here, flagged:" in text
    # The fusion-weight sweep: its cell at the default weight is the default's own figures.
    sweep = next(line for line in lines if line.startswith("| test: Recall@5 / MRR@10 |"))
    cells = [c.strip() for c in sweep.strip("|").split("|")[1:]]
    assert len(cells) == len(ALPHAS)
    at_default = cells[ALPHAS.index(searcher.ranking.alpha)]
    assert at_default == f"{figures.top5 / 2:.3f} / {figures.reciprocal / 2:.3f}"
