"""Owns the command line: build, search, eval, verify."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from indexer import store
from indexer.build import BuildError, build
from indexer.embedding import Embedder, ModelError, SentenceTransformerEmbedder, model_info
from indexer.settings import IndexSettings, SettingsError


def _embedder(settings: IndexSettings) -> Embedder:
    return SentenceTransformerEmbedder(model_info(settings.model), settings.threads)


def cmd_build(settings: IndexSettings, args: argparse.Namespace) -> int:
    from indexer.onnx_encoder import export_onnx, is_complete, onnx_path, quantize_onnx

    if args.skip_bad_files:
        settings = settings.replace(skip_bad_files=True)
    loaded: list[Embedder] = []

    def get_embedder() -> Embedder:
        if not loaded:
            loaded.append(_embedder(settings))
        return loaded[0]

    info = model_info(settings.model)
    summary = build(settings, get_embedder, info=info, progress=None if not args.no_progress else False)
    fp32, int8 = onnx_path(settings.index_dir, info), onnx_path(settings.index_dir, info, int8=True)
    if settings.query_encoder != "torch" and not (is_complete(fp32) and is_complete(int8)):
        # Once per model: the service then embeds queries without importing torch.
        log = logging.getLogger("indexer.build")
        log.info("phase exporting the ONNX query encoder: %s", fp32.parent)
        try:
            if not is_complete(fp32):
                export_onnx(info, fp32, get_embedder())
            quantize_onnx(info, fp32, int8, get_embedder())
        except Exception as exc:  # the index is already published; the service falls back
            log.warning("ONNX export failed (%s); the service uses what exists, else PyTorch", exc)
    print(json.dumps(summary.as_dict()) if args.json else summary.render())
    return 0


def _open(settings: IndexSettings) -> tuple[store.Generation, Embedder]:
    info = model_info(settings.model)
    generation = store.open_current(settings.index_dir, info.fingerprint, info.dim)
    return generation, SentenceTransformerEmbedder(info, settings.threads)


def cmd_search(settings: IndexSettings, args: argparse.Namespace) -> int:
    from indexer.search import Searcher

    generation, embedder = _open(settings)
    result = Searcher(generation, embedder, settings.ranking()).search(
        args.question, args.k, args.doc, args.mode
    )
    if result.low_confidence:
        print("(low confidence: nothing in the corpus answers this closely; nearest passages follow)\n")
    for hit in result.hits:
        p = hit.passage
        s, e = hit.highlight
        marked = p["text"][:s] + "[[" + p["text"][s:e] + "]]" + p["text"][e:]
        print(f"{hit.rank}. {hit.score:.3f}  {p['passage_id']}  ({p['heading'] or 'no heading'})")
        print(textwrap.indent(textwrap.fill(marked, 100), "   "))
        print()
    print(f"generation {result.generation}, {result.took_ms:.1f} ms")
    return 0


def cmd_eval(settings: IndexSettings, args: argparse.Namespace) -> int:
    from indexer.evaluation import evaluate_questions, load_questions
    from indexer.search import Searcher

    generation, embedder = _open(settings)
    searcher = Searcher(generation, embedder, settings.ranking())
    report = evaluate_questions(
        load_questions(Path(args.file)),
        generation.passages,
        lambda q, k: [h.passage["passage_id"] for h in searcher.search(q, k).hits],
    )
    print(f"{args.file}: {len(generation.passages)} passages, generation {generation.name}")
    print(report.render())
    return 0


def cmd_eval_suite(settings: IndexSettings, args: argparse.Namespace) -> int:
    from indexer.eval_suite import run_suite

    scifact = Path(args.scifact) if args.scifact else None
    out = Path(args.out) if args.out else None
    print(run_suite(settings, lambda: _embedder(settings), Path(args.dev), scifact, Path(args.work), out))
    return 0


def cmd_verify(settings: IndexSettings, args: argparse.Namespace) -> int:
    root = settings.index_dir
    name = args.generation or store.read_current(root)
    if name is None:
        raise store.GenerationError(f"no published generation in {root}")
    info = model_info(settings.model)
    manifest = store.verify(store.generations_dir(root) / name, info.fingerprint, info.dim)
    print(f"{name}: OK ({manifest['passages']} passages, {len(manifest['files'])} files checked)")
    return 0


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m indexer", description="Build and query the search index.")
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="index the corpus into a new generation and publish it")
    b.add_argument("--skip-bad-files", action="store_true", help="skip unreadable/empty/binary files")
    b.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")
    b.add_argument("--json", action="store_true", help="print the summary as JSON")
    b.set_defaults(run=cmd_build)
    s = sub.add_parser("search", help="print the passages that best answer a question")
    s.add_argument("question")
    s.add_argument("-k", type=int, default=5, choices=range(1, 51), metavar="K", help="results (1-50)")
    s.add_argument("--doc", help="restrict to one document id")
    s.add_argument("--mode", choices=["dense", "lexical", "hybrid"], help="ranking mode (default: setting)")
    s.set_defaults(run=cmd_search)
    e = sub.add_parser("eval", help="Recall@1/5 and MRR@10 for a JSONL file of questions with evidence")
    e.add_argument("file")
    e.set_defaults(run=cmd_eval)
    es = sub.add_parser("eval-suite", help="compare ranking modes on the dev set and SciFact; write a report")
    es.add_argument("--dev", required=True, help="dev questions (JSONL with evidence)")
    es.add_argument("--scifact", help="folder of the BEIR SciFact collection (corpus, queries, qrels)")
    es.add_argument("--work", default="var/eval", help="where the SciFact corpus copy and index are kept")
    es.add_argument("--out", help="write the Markdown report here")
    es.set_defaults(run=cmd_eval_suite)
    v = sub.add_parser("verify", help="check a generation's checksums, row counts and model")
    v.add_argument("generation", nargs="?", help="generation name (default: CURRENT)")
    v.set_defaults(run=cmd_verify)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    for noisy in ("bm25s", "sentence_transformers", "httpx", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = IndexSettings.from_env(os.environ)
        return int(args.run(settings, args))
    except (
        BuildError,
        store.GenerationError,
        ModelError,
        SettingsError,
        OSError,
        ValueError,
        LookupError,
        RuntimeError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
