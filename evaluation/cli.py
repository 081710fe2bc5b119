"""Owns the evaluation command line: `python -m evaluation questions FILE` and `... suite`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evaluation.metrics import evaluate_questions
from evaluation.questions import EvalFileError, load_questions
from evaluation.settings import EvalSettings
from generation import store
from generation.model import ModelError, model_info
from generation.settings import SettingsError
from generation.torch_model import SentenceTransformerEmbedder
from indexer import console

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = REPO / "eval" / "questions"
DEV_QUESTIONS = QUESTIONS / "seed-dev.jsonl"


def cmd_questions(settings: EvalSettings, args: argparse.Namespace) -> int:
    from query.searcher import Searcher

    info = model_info(settings.model)
    generation = store.open_current(settings.index_dir, info.fingerprint, info.dim)
    searcher = Searcher(generation, SentenceTransformerEmbedder(info, settings.threads), settings.ranking())
    report = evaluate_questions(
        load_questions(Path(args.file)),
        generation.passages,
        lambda q, k: [h.passage.passage_id for h in searcher.search(q, k).hits],
    )
    print(f"{args.file}: {len(generation.passages)} passages, generation {generation.name}")
    print(report.render())
    return 0


def cmd_suite(settings: EvalSettings, args: argparse.Namespace) -> int:
    from evaluation.suite import QuestionSets, run_suite

    info = model_info(settings.model)
    print(
        run_suite(
            settings,
            lambda: SentenceTransformerEmbedder(info, settings.threads),
            QuestionSets(Path(args.questions)),
            Path(args.scifact) if args.scifact else None,
            Path(args.work),
            Path(args.out) if args.out else None,
            say=lambda line: print(line, file=sys.stderr),
        )
    )
    return 0


def _corpora(settings: EvalSettings, args: argparse.Namespace) -> list[Any]:
    from evaluation.crosscorpus import load_corpora
    from evaluation.suite import served_searcher

    builder = SentenceTransformerEmbedder(model_info(settings.model), settings.threads)
    scifact = Path(args.scifact) if args.scifact else None
    # Every figure with the query encoder the service serves with.
    return load_corpora(settings, builder, Path(args.questions), scifact, Path(args.work), served_searcher)


def cmd_calibrate(settings: EvalSettings, args: argparse.Namespace) -> int:
    from dataclasses import replace

    from evaluation.calibration import fit, signals
    from evaluation.crosscorpus import ask_all, foreign, table

    corpora = _corpora(settings, args)
    answered = {c.name: signals(c.searcher, c.own.get("tuning", [])) for c in corpora}
    unanswered = [
        s
        for c in corpora
        for questions in (
            c.off_topic.get("tuning", []),
            *(o.own.get("tuning", []) for o in corpora if foreign(c.name, o.name)),
        )
        for s in signals(c.searcher, questions)
    ]
    fitted = fit(answered, unanswered)
    print(fitted.render())
    ranking = replace(
        settings.ranking(), unanswerable_weights=fitted.weights, low_confidence_above=fitted.threshold
    )
    for split in ("tuning", "test"):
        print("\n".join(["", *table(list(ask_all(corpora, split, ranking)), split)]))
    return 0


def cmd_crosscorpus(settings: EvalSettings, args: argparse.Namespace) -> int:
    from evaluation.crosscorpus import ask_all, table

    corpora = _corpora(settings, args)
    for split in args.split:
        print("\n".join(["", *table(list(ask_all(corpora, split, settings.ranking())), split)]))
    return 0


def _corpus_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--questions", default=str(QUESTIONS), help="folder of the question files (as suite)")
    p.add_argument("--scifact", help="folder of the BEIR SciFact collection; absent: without it")
    p.add_argument("--work", default="var/eval", help="where the libraries' and SciFact's indexes are kept")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m evaluation", description="Measure retrieval quality.")
    ap.add_argument("-v", "--verbose", action="store_true", help="also print third-party warnings and logs")
    sub = ap.add_subparsers(dest="command", required=True)
    q = sub.add_parser("questions", help="Recall@1/5/10 and MRR@10 of the served index on a question file")
    q.add_argument("file", nargs="?", default=str(DEV_QUESTIONS), help="JSONL {id, question, evidence}")
    q.set_defaults(run=cmd_questions)
    s = sub.add_parser("suite", help="ranking configurations on the essay questions and SciFact; a report")
    s.add_argument(
        "--questions",
        default=str(QUESTIONS),
        help="folder of the question files: seed-dev, essay-tuning and essay-test (JSONL with evidence), "
        "out-of-domain and out-of-domain-test (one question a line)",
    )
    s.add_argument("--scifact", help="folder of the BEIR SciFact collection; absent: essay only")
    s.add_argument("--work", default="var/eval", help="where the SciFact corpus copy and index are kept")
    s.add_argument("--out", help="write the Markdown report here")
    s.set_defaults(run=cmd_suite)
    c = sub.add_parser(
        "calibrate",
        help="fit low_confidence's weights and threshold on every corpus's tuning questions (prints them "
        "and the cross-corpus tables they give)",
    )
    _corpus_options(c)
    c.set_defaults(run=cmd_calibrate)
    x = sub.add_parser(
        "crosscorpus",
        help="low_confidence on each corpus: its own questions, its off-topic ones and the other corpora's",
    )
    _corpus_options(x)
    x.add_argument("--split", nargs="+", default=["tuning"], choices=["tuning", "test"])
    x.set_defaults(run=cmd_crosscorpus)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    console.configure(verbose=args.verbose)
    try:
        return int(args.run(EvalSettings.from_env(os.environ), args))
    except (store.GenerationError, ModelError, SettingsError, EvalFileError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
