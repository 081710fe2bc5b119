"""Owns the evaluation on real libraries nobody here wrote (Debian's documentation, installed from Debian
packages; absent ones are said and skipped): each indexed as a user would, its questions' Recall@5,
MRR@10, highlight, `low_confidence` on its own and on off-topic questions, near-duplicates and unshowable
characters in the top 5, and every corpus's questions asked of every other corpus."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from evaluation.questions import (
    evidence_spans,
    highlight_holds_evidence,
    load_lines,
    load_questions,
    normalise,
    relevant_passages,
)
from evaluation.settings import EvalSettings
from generation.model import Embedder
from indexer.build import build
from query.config import Ranking
from query.searcher import Hit, Searcher

UNSHOWABLE = "\ufffe\uffff\ufffd"


@dataclass(frozen=True, slots=True)
class Library:
    name: str
    source: Path  # the folder Debian installs
    pattern: str | tuple[str, ...]  # which of its files are the library: glob(s) relative to `source`
    questions: str  # prefix of its question files in eval/questions (-tuning.jsonl, -test.jsonl, ...)
    package: str = ""  # the Debian package that installs it

    def questions_file(self, folder: Path, split: str) -> Path:
        """Its questions with evidence of one split (tuning, test)."""
        return folder / f"{self.questions}-{split}.jsonl"

    def off_topic_file(self, folder: Path, split: str) -> Path:
        """Its off-topic questions of one split, one a line."""
        return folder / f"{self.questions}-off-topic-{split}.txt"


LIBRARIES = (
    Library(
        "Debian Administrator's Handbook, English (HTML)",
        Path("/usr/share/doc/debian-handbook/html/en-US"),
        "*.html",
        "handbook-en",
        "debian-handbook",
    ),
    Library(
        "Debian Administrator's Handbook, French (HTML)",
        Path("/usr/share/doc/debian-handbook/html/fr-FR"),
        "*.html",
        "handbook-fr",
        "debian-handbook",
    ),
    Library(
        # The guides and the language reference (2,741 passages), not the library and C API references or
        # What's New: the whole documentation is over 16,000 passages, too long to build for an evaluation.
        "Python 3.11 documentation, tutorial/howto/faq/using/reference/glossary (HTML)",
        Path("/usr/share/doc/python3.11/html"),
        (
            "tutorial/*.html",
            "howto/*.html",
            "faq/*.html",
            "using/*.html",
            "reference/*.html",
            "glossary.html",
        ),
        "python-docs",
        "python3.11-doc",
    ),
    Library(
        # The folder as installed: the same book as chapter pages, as one page and as a PDF (near-duplicates
        # across formats). Not search.html (no content), the EPUB or the gzipped text.
        "Debian Developer's Reference 12.18 (HTML chapters, the one-page HTML and the PDF)",
        Path("/usr/share/developers-reference"),
        (
            "index.html",
            "scope.html",
            "new-maintainer.html",
            "developer-duties.html",
            "resources.html",
            "pkgs.html",
            "best-pkging-practices.html",
            "beyond-pkging.html",
            "l10n.html",
            "tools.html",
            "developers-reference.html",
            "developers-reference.pdf",
        ),
        "developers-reference",
        "developers-reference",
    ),
)


@dataclass(slots=True)
class Figures:
    """One question set asked of one library."""

    questions: int = 0
    top5: int = 0
    reciprocal: float = 0.0
    highlighted: int = 0
    found: int = 0  # questions whose answer passage is in the top 10 (the highlight's denominator)
    flagged: int = 0
    duplicates: int = 0  # questions whose top 5 holds two near-identical passages
    unshowable: int = 0  # questions whose results hold U+FFFE, U+FFFF or U+FFFD

    def row(self, label: str) -> str:
        n = max(1, self.questions)
        return (
            f"| {label} | {self.questions} | {self.top5 / n:.3f} | {self.reciprocal / n:.3f} | "
            f"{self.highlighted} of {self.found} | {self.flagged} | {self.duplicates} | {self.unshowable} |"
        )


def _same_content(a: Hit, b: Hit) -> bool:
    """Oracle of a duplicate: most words of the shorter passage are the other's (set overlap)."""
    x, y = set(normalise(a.passage.text).split()), set(normalise(b.passage.text).split())
    return bool(x and y) and len(x & y) >= 0.8 * min(len(x), len(y))


def _judge_hits(figures: Figures, hits: list[Hit], evidence: tuple[str, ...], relevant: set[str]) -> None:
    ids = [h.passage.passage_id for h in hits]
    first = next((i + 1 for i, pid in enumerate(ids) if pid in relevant), None)
    figures.top5 += bool(first and first <= 5)
    figures.reciprocal += 1 / first if first else 0.0
    answer = next((h for h in hits if evidence_spans(h.passage.text, evidence)), None)
    if answer is not None:
        figures.found += 1
        figures.highlighted += highlight_holds_evidence(answer.passage.text, answer.highlight, evidence)
    top = hits[:5]
    figures.duplicates += any(_same_content(a, b) for i, a in enumerate(top) for b in top[:i])
    figures.unshowable += any(ch in h.passage.text for h in hits for ch in UNSHOWABLE)


def answered(searcher: Searcher, path: Path, ranking: Ranking | None = None) -> Figures:
    """Every question of a file with evidence, asked as the API asks it (k 10; the default ranking unless
    `ranking` is given)."""
    figures = Figures()
    passages = list(searcher.generation.passages)
    for q in load_questions(path):
        relevant = relevant_passages(q, passages)
        if not relevant:
            continue  # the evidence is in no passage: a question for another edition
        result = searcher.search(q.question, 10, ranking=ranking)
        figures.questions += 1
        figures.flagged += result.low_confidence
        _judge_hits(figures, result.hits, q.evidence, relevant)
    return figures


ALPHAS = (0.6, 0.7, 0.75, 0.8, 0.85, 0.9)


def alpha_lines(searcher: Searcher, files: dict[str, Path]) -> list[str]:
    """Recall@5 and MRR@10 by fusion weight on the library's question files by split: is the default,
    chosen across corpora, near the best on this one?"""
    if not files:
        return []
    lines = ["", "| fusion weight of the cosine | " + " | ".join(str(a) for a in ALPHAS) + " |"]
    lines.append("|---" * (len(ALPHAS) + 1) + "|")
    for split, path in files.items():
        cells = []
        for alpha in ALPHAS:
            f = answered(searcher, path, replace(searcher.ranking, alpha=alpha))
            n = max(1, f.questions)
            cells.append(f"{f.top5 / n:.3f} / {f.reciprocal / n:.3f}")
        lines.append(f"| {split}: Recall@5 / MRR@10 | " + " | ".join(cells) + " |")
    return lines


def flagged(searcher: Searcher, questions: list[str]) -> tuple[int, int]:
    return sum(searcher.search(q, 5).low_confidence for q in questions), len(questions)


def library_files(library: Library) -> list[Path]:
    """The library's files (every glob's, once each, sorted); copied keeping their path under `source`,
    as several folders have a file of the same name (index.html)."""
    patterns = (library.pattern,) if isinstance(library.pattern, str) else library.pattern
    found = {path for pattern in patterns for path in library.source.glob(pattern) if path.is_file()}
    return sorted(found)


def library_searcher(
    library: Library,
    settings: EvalSettings,
    embedder: Embedder,
    work_dir: Path,
    served: Callable[[EvalSettings, Embedder], tuple[Searcher, str]],
) -> Searcher:
    """The library copied as a user's folder (once), indexed (incrementally), and served."""
    slug = library.questions
    corpus = work_dir / f"{slug}-corpus"
    if not corpus.is_dir():
        corpus.mkdir(parents=True)
        for path in library_files(library):
            target = corpus / path.relative_to(library.source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    own = settings.replace(corpus_dir=corpus, index_dir=work_dir / f"{slug}-index")
    build(own, lambda: embedder, info=embedder.info, progress=False)
    return served(own, embedder)[0]


def library_section(
    library: Library, searcher: Searcher, questions: Path, others: dict[str, list[str]]
) -> list[str]:
    """One library's table (tuning and test) and its off-topic and other corpora's questions flagged."""
    lines = [
        "",
        f"### {library.name}: {len(searcher.generation.documents)} documents, "
        f"{len(searcher.generation.passages)} passages, languages "
        + ", ".join(f"{code} {n}" for code, n in searcher.generation.languages.counts),
        "",
        "| questions | asked | Recall@5 | MRR@10 | highlight on the evidence | flagged low_confidence "
        "| near-duplicates in the top 5 | U+FFFE/FFFF/FFFD in results |",
        "|---|---|---|---|---|---|---|---|",
    ]
    splits = ("tuning", "test")
    paths = {split: library.questions_file(questions, split) for split in splits}
    files = {split: path for split, path in paths.items() if path.is_file()}
    lines += [answered(searcher, path).row(split) for split, path in files.items()]
    lines += alpha_lines(searcher, files)
    lines.append("")
    for split in splits:
        path = library.off_topic_file(questions, split)
        if path.is_file():
            n, total = flagged(searcher, load_lines(path))
            lines.append(f"- off-topic questions flagged ({split}, `{path.name}`): {n} of {total}")
    for name, asked in others.items():
        n, total = flagged(searcher, asked)
        lines.append(f"- {name} asked here, flagged: {n} of {total}")
    return lines
