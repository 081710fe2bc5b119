"""Owns the evaluation suite behind `make eval`: ranking configurations on the essay's questions and on
SciFact (when its folder is there), and how often off-topic questions are flagged `low_confidence`."""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from evaluation.libraries import LIBRARIES, flagged, library_searcher, library_section
from evaluation.metrics import METRIC_LABELS, evaluate_questions, ir_metrics
from evaluation.questions import evidence_spans, highlight_holds_evidence, load_lines, load_questions
from evaluation.settings import EvalSettings
from generation import store
from generation.model import Embedder
from indexer.build import build
from query.config import Ranking
from query.encoders import choose_query_encoder
from query.searcher import Searcher

METRICS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
DEV_METRICS = ("hit_rate@1", "hit_rate@5", "hit_rate@10", "mrr@10", "ndcg@10")
PUBLISHED = [  # SciFact test, nDCG@10 (see ../shared/MODELS.md)
    ("all-MiniLM-L6-v2 dense (MTEB)", 0.645),
    ("BM25 (BEIR paper)", 0.665),
    ("BM25 + cross-encoder (BEIR paper)", 0.688),
    ("txtai hybrid, all-MiniLM-L6-v2 (txtai notebook)", 0.713),
]


@dataclass(frozen=True, slots=True)
class Config:
    name: str
    ranking: Ranking


def configurations(default: Ranking) -> list[Config]:
    base = replace(default, sentence_weight=0.0)
    configs = [
        Config("dense", replace(base, mode="dense")),
        Config("lexical (BM25)", replace(base, mode="lexical")),
        Config("hybrid RRF", replace(base, mode="hybrid", fusion="rrf")),
    ]
    for alpha in (0.3, 0.5, 0.6, 0.7, 0.75, 0.8):
        configs.append(
            Config(f"hybrid score a={alpha}", replace(base, mode="hybrid", fusion="score", alpha=alpha))
        )
    for weight in (0.1, 0.3):
        configs.append(
            Config(
                f"hybrid score a={default.alpha} + sentence rerank {weight}",
                replace(default, mode="hybrid", sentence_weight=weight),
            )
        )
    return [Config(c.name + (" (default)" if c.ranking == default else ""), c.ranking) for c in configs]


def served_searcher(settings: EvalSettings, embedder: Embedder) -> tuple[Searcher, str]:
    """A searcher over the current generation that encodes queries as the service does (by default the
    int8 ONNX graph, not the PyTorch model that built the index), and that encoder's label: every figure
    here is what a user of the API gets. `SEMSEARCH_QUERY_ENCODER=torch` ranks with `embedder` itself."""
    generation = store.open_current(settings.index_dir, embedder.info.fingerprint, embedder.info.dim)
    encoder = embedder
    if settings.query_encoder != "torch":
        encoder = choose_query_encoder(
            settings.index_dir, embedder.info, settings.query_encoder, settings.threads
        ).embedder
    label = str(getattr(encoder, "label", type(encoder).__name__))
    return Searcher(generation, encoder, settings.ranking()), label


def dev_table(
    searcher: Searcher, questions_file: Path, configs: list[Config]
) -> list[tuple[str, dict[str, float]]]:
    questions = load_questions(questions_file)
    rows = []
    for config in configs:

        def ask(q: str, k: int, ranking: Ranking = config.ranking) -> list[str]:
            return [h.passage.passage_id for h in searcher.search(q, k, ranking=ranking).hits]

        report = evaluate_questions(questions, searcher.generation.passages, ask, DEV_METRICS)
        rows.append((config.name, report.metrics))
    return rows


def prepare_scifact(source: Path, corpus_dir: Path) -> None:
    """One file per abstract, `title + " " + text` as in the published protocol (written once)."""
    marker = corpus_dir / ".complete"
    if marker.exists():
        return
    corpus_dir.mkdir(parents=True, exist_ok=True)
    with (source / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            text = (row.get("title", "") + " " + row.get("text", "")).strip()
            (corpus_dir / f"{row['_id']}.txt").write_text(text, encoding="utf-8")
    marker.write_text("ok")


def scifact_judgments(source: Path) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """SciFact's claims by id, and its test judgments: claim id -> relevant abstract id -> grade."""
    queries = {}
    with (source / "queries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                queries[str(row["_id"])] = row["text"]
    qrels: dict[str, dict[str, int]] = {}
    with (source / "qrels" / "test.tsv").open(encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            if line.strip():
                qid, did, score = line.split()
                if int(score) > 0:
                    qrels.setdefault(qid, {})[did] = int(score)
    return queries, qrels


def scifact_table(
    searcher: Searcher, source: Path, configs: list[Config]
) -> list[tuple[str, dict[str, float], float]]:
    """Rank all abstracts for each test claim: a document scores as its best passage (top 100 passages)."""
    queries, qrels = scifact_judgments(source)
    rows = []
    for config in configs:
        ranked: dict[str, list[str]] = {}
        started = time.perf_counter()
        wide = replace(config.ranking, candidates=100)
        for qid in qrels:
            docs: list[str] = []
            for hit in searcher.search(queries[qid], 100, ranking=wide).hits:
                doc = hit.passage.doc_id.removesuffix(".txt")
                if doc not in docs:
                    docs.append(doc)
            ranked[qid] = docs[:10]
        ms = (time.perf_counter() - started) * 1000 / max(1, len(qrels))
        rows.append((config.name, ir_metrics(qrels, ranked, METRICS), ms))
    return rows


def highlight_rate(searcher: Searcher, questions_file: Path) -> tuple[int, int]:
    """Of the questions whose answer passage is in the top 10, how many get a highlight that overlaps
    the evidence: (hits, questions with the answer passage found)."""
    found = hits = 0
    for q in load_questions(questions_file):
        for hit in searcher.search(q.question, 10).hits:
            if evidence_spans(hit.passage.text, q.evidence):
                found += 1
                hits += highlight_holds_evidence(hit.passage.text, hit.highlight, q.evidence)
                break
    return hits, found


def _fmt(rows: list[tuple[str, dict[str, float]]], metrics: tuple[str, ...]) -> list[str]:
    head = "| ranking | " + " | ".join(METRIC_LABELS[m] for m in metrics) + " |"
    out = [head, "|" + "---|" * (len(metrics) + 1)]
    out += [f"| {name} | " + " | ".join(f"{values[m]:.3f}" for m in metrics) + " |" for name, values in rows]
    return out


@dataclass(frozen=True, slots=True)
class QuestionSets:
    """The essay's question files: the old dev set, the tuning and test splits (split once, at random;
    nothing is tuned on the test split), and questions the essay does not answer (tuning and test)."""

    folder: Path

    @property
    def in_domain(self) -> list[tuple[str, Path]]:
        names = (("dev", "seed-dev.jsonl"), ("tuning", "essay-tuning.jsonl"), ("test", "essay-test.jsonl"))
        return [(label, self.folder / name) for label, name in names if (self.folder / name).is_file()]

    @property
    def off_topic(self) -> list[tuple[str, Path]]:
        names = (("tuning", "out-of-domain.txt"), ("test", "out-of-domain-test.txt"))
        return [(label, self.folder / name) for label, name in names if (self.folder / name).is_file()]


def low_confidence_section(searcher: Searcher, sets: QuestionSets) -> list[str]:
    """How often `low_confidence` is raised on questions the essay answers and on those it does not, and
    its precision and recall as a detector of the latter on the test split."""
    lines = ["", "## Nothing answers this (`low_confidence`, default ranking)", ""]
    flagged: dict[str, tuple[int, int]] = {}
    for label, path in sets.in_domain:
        questions = [q.question for q in load_questions(path)]
        n = sum(searcher.search(q, 5).low_confidence for q in questions)
        flagged[f"in-{label}"] = (n, len(questions))
        lines.append(f"- in-domain questions flagged ({label}, `{path.name}`): {n} of {len(questions)}")
    for label, path in sets.off_topic:
        questions = load_lines(path)
        n = sum(searcher.search(q, 5).low_confidence for q in questions)
        flagged[f"off-{label}"] = (n, len(questions))
        lines.append(f"- off-topic questions flagged ({label}, `{path.name}`): {n} of {len(questions)}")
    if "in-test" in flagged and "off-test" in flagged:
        (false_pos, _), (true_pos, positives) = flagged["in-test"], flagged["off-test"]
        precision = true_pos / max(1, true_pos + false_pos)
        lines.append(
            f"- as a detector of unanswerable questions on the test split: precision {precision:.3f}, "
            f"recall {true_pos / max(1, positives):.3f}"
        )
    return lines


def _header(settings: EvalSettings, encoder: str) -> list[str]:
    return [
        "# Evaluation",
        "",
        f"Generated by `make eval` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC ({platform.machine()}, "
        f"{platform.python_version()}); model `{settings.model}`, queries encoded by {encoder} as the "
        "service does; metrics computed with ranx.",
        "",
        "A question counts as answered at k when a passage containing one of its evidence spans "
        "(case, whitespace and quote style ignored) is in the top k: Recall@k here is ranx's hit rate. "
        "`dev` is the first question set; `tuning` and `test` are the 139 questions written later, split "
        "once at random: choices are made on dev and tuning only; test reports what a new user would see.",
    ]


def essay_sections(searcher: Searcher, sets: QuestionSets, configs: list[Config]) -> list[str]:
    """The ranking tables of every in-domain set, the highlight rates and the low-confidence counts."""
    lines: list[str] = []
    for label, path in sets.in_domain:
        lines += [
            "",
            f"## Essay questions, {label} (`{path.name}`, {len(load_questions(path))} questions)",
            "",
            *_fmt(dev_table(searcher, path, configs), DEV_METRICS),
        ]
    lines += ["", "## The answer sentence (highlight, default ranking)", ""]
    for label, path in sets.in_domain:
        hits, found = highlight_rate(searcher, path)
        lines.append(
            f"- {label}: the highlight overlaps an evidence span in {hits} of the {found} questions whose "
            f"answer passage is in the top 10 ({hits / max(1, found):.0%})"
        )
    return lines + low_confidence_section(searcher, sets)


def scifact_section(
    settings: EvalSettings, embedder: Embedder, scifact: Path, work_dir: Path, configs: list[Config]
) -> list[str]:
    """SciFact indexed as any corpus, every configuration's metrics, the default as served, and the
    published figures beside them."""
    sci_settings = settings.replace(
        corpus_dir=work_dir / "scifact-corpus", index_dir=work_dir / "scifact-index"
    )
    prepare_scifact(scifact, sci_settings.corpus_dir)
    summary = build(sci_settings, lambda: embedder, info=embedder.info, progress=sys.stderr.isatty())
    # The table encodes claims with the PyTorch model, as the published figures and earlier reports do; the
    # line after it gives the default as served (int8 query encoder).
    sci = scifact_table(Searcher(store.open_current(sci_settings.index_dir), embedder), scifact, configs)
    served, served_label = served_searcher(sci_settings, embedder)
    (_, as_served, _), *_ = scifact_table(served, scifact, [Config("default", settings.ranking())])
    return [
        "",
        f"## SciFact test (BEIR; {summary.documents} abstracts, {summary.passages} passages, 300 claims)",
        "",
        'Protocol of the published numbers: `title + " " + text` per abstract, the whole corpus ranked '
        "for every claim, nDCG@10 over the 300 claims. Our pipeline splits each abstract into passages "
        "as for any corpus and scores a document by its best passage among the top 100.",
        "",
        *_fmt([(n, v) for n, v, _ in sci], METRICS),
        "",
        f"Claims encoded as the service encodes queries ({served_label}), default ranking: nDCG@10 "
        f"{as_served['ndcg@10']:.3f}, Recall@10 {as_served['recall@10']:.3f} (the table above encodes "
        "them with the PyTorch model, which float32 ONNX reproduces).",
        "",
        "Milliseconds per query (in process, embedding included): "
        + ", ".join(f"{n} {ms:.1f}" for n, _, ms in sci),
        "",
        "Published nDCG@10 for the same collection:",
        "",
        "| system | nDCG@10 |",
        "|---|---|",
        *[f"| {name} | {value:.3f} |" for name, value in PUBLISHED],
    ]


def libraries_sections(
    settings: EvalSettings,
    embedder: Embedder,
    sets: QuestionSets,
    work_dir: Path,
    essay: Searcher,
    say: Callable[[str], None],
) -> list[str]:
    """The real libraries that are installed, each with its questions, and the essay's questions asked of
    them (and theirs of the essay): a question about another corpus should be flagged."""
    lines = [
        "",
        "## Real libraries (installed from Debian; defaults only, as served)",
        "",
        "Each library's HTML is copied as a user's folder and indexed with `make index`'s defaults; its "
        "questions (`eval/questions/<library>-tuning.jsonl` and `-test.jsonl`, evidence checked against the "
        "extracted text, split once at random) are asked through the served query encoder. Each library's "
        "second table is the fusion weight's sweep (questions in a language the model's card does not name "
        "use `alpha_other_languages`, 0.45, whatever the weight: the French rows do not move).",
    ]
    present = [lib for lib in LIBRARIES if lib.source.is_dir()]
    for lib in LIBRARIES:
        if lib not in present:
            note = f"{lib.name}: not installed at {lib.source} (apt-get install {lib.package}); skipped"
            say(note)
            lines += ["", f"_{note}._"]
    essay_test = [q.question for q in load_questions(sets.folder / "essay-test.jsonl")]
    for lib in present:
        searcher = library_searcher(lib, settings, embedder, work_dir, served_searcher)
        lines += library_section(lib, searcher, sets.folder, {"the essay's test questions": essay_test})
        own = sets.folder / f"{lib.questions}-test.jsonl"
        if own.is_file():
            n, total = flagged(essay, [q.question for q in load_questions(own)])
            lines.append(f"- its test questions asked of the essay, flagged: {n} of {total}")
    return lines


def run_suite(
    settings: EvalSettings,
    embedder_factory: Callable[[], Embedder],
    sets: QuestionSets,
    scifact: Path | None,
    work_dir: Path,
    out: Path | None,
    say: Callable[[str], None] = print,
    libraries: bool = True,
) -> str:
    """Build the essay index, report every section (SciFact when its folder is there, the real libraries
    that are installed); write `out`."""
    embedder = embedder_factory()
    build(settings, lambda: embedder, info=embedder.info, progress=False)
    configs = configurations(settings.ranking())
    searcher, encoder = served_searcher(settings, embedder)
    lines = _header(settings, encoder) + essay_sections(searcher, sets, configs)
    if scifact is None or not (scifact / "corpus.jsonl").exists():
        # Its licence keeps SciFact out of the repository: without it, the essay evaluation still runs.
        note = f"SciFact: no collection at {scifact} (set SCIFACT=<folder>); essay evaluation only"
        say(note)
        lines += ["", f"_{note}._"]
    else:
        lines += scifact_section(settings, embedder, scifact, work_dir, configs)
    if libraries:
        lines += libraries_sections(settings, embedder, sets, work_dir, searcher, say)
    text = "\n".join(lines) + "\n"
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    return text
