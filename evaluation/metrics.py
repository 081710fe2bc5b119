"""Owns the retrieval metrics: ranking every question and scoring the runs with ranx."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from evaluation.questions import Question, relevant_passages
from generation.records import StoredPassage

DEV_METRICS = ("hit_rate@1", "hit_rate@5", "hit_rate@10", "mrr@10")
METRIC_LABELS = {
    "hit_rate@1": "Recall@1",
    "hit_rate@5": "Recall@5",
    "hit_rate@10": "Recall@10",
    "mrr@10": "MRR@10",
    "ndcg@10": "nDCG@10",
    "recall@1": "Recall@1",
    "recall@5": "Recall@5",
    "recall@10": "Recall@10",
}


def ir_metrics(
    qrels: dict[str, dict[str, int]], ranked: dict[str, list[str]], metrics: Sequence[str]
) -> dict[str, float]:
    """Metrics from ranx over ranked lists (scores are 1/rank so our order is kept exactly)."""
    from ranx import Qrels, Run, evaluate

    run = {
        qid: {pid: 1.0 / (i + 1) for i, pid in enumerate(ids)} or {"__none__": 0.0}
        for qid, ids in ranked.items()
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's type-cast chatter
        scores = evaluate(Qrels(qrels), Run(run), list(metrics), make_comparable=True)
    return {m: float(v) for m, v in (scores.items() if isinstance(scores, dict) else [(metrics[0], scores)])}


@dataclass(slots=True)
class EvalReport:
    metrics: dict[str, float]
    misses: list[tuple[Question, int | None]]  # questions whose evidence is not in the top 5, and its rank
    unanswerable: list[Question]  # no passage contains the evidence at all (a corpus/file mismatch)

    def render(self) -> str:
        lines = [f"{METRIC_LABELS.get(m, m):<10} {v:.3f}" for m, v in self.metrics.items()]
        for q, rank in self.misses:
            lines.append(f"miss {q.qid}: {q.question!r} (evidence at rank {rank or '>10'})")
        lines += [f"no passage contains the evidence of {q.qid}" for q in self.unanswerable]
        return "\n".join(lines)


def evaluate_questions(
    questions: Sequence[Question],
    passages: Sequence[StoredPassage],
    search: Callable[[str, int], list[str]],
    metrics: Sequence[str] = DEV_METRICS,
) -> EvalReport:
    """Ask every question, judge the top 10 by evidence, and report the metrics (Recall@k = hit rate)."""
    qrels: dict[str, dict[str, int]] = {}
    ranked: dict[str, list[str]] = {}
    misses: list[tuple[Question, int | None]] = []
    unanswerable: list[Question] = []
    for q in questions:
        rel = relevant_passages(q, passages)
        if not rel:
            unanswerable.append(q)
            continue
        qrels[q.qid] = dict.fromkeys(rel, 1)
        ranked[q.qid] = search(q.question, 10)
        first = next((i + 1 for i, pid in enumerate(ranked[q.qid]) if pid in rel), None)
        if first is None or first > 5:
            misses.append((q, first))
    values = ir_metrics(qrels, ranked, metrics) if qrels else {}
    return EvalReport(values, misses, unanswerable)
