"""Owns the indexer's command line: build, search, verify."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
from collections.abc import Sequence

from indexer import console, store
from indexer.build import BuildError, build
from indexer.embedding import Embedder, ModelError, SentenceTransformerEmbedder, model_info
from indexer.settings import IndexSettings, SettingsError

log = logging.getLogger("indexer.cli")


def cmd_build(settings: IndexSettings, args: argparse.Namespace) -> int:
    if args.skip_bad_files:
        settings = settings.replace(skip_bad_files=True)
    if args.executor:
        settings = settings.replace(executor=args.executor)
    loaded: list[Embedder] = []

    def get_embedder() -> Embedder:  # loaded only when something must be embedded
        if not loaded:
            loaded.append(SentenceTransformerEmbedder(model_info(settings.model), settings.threads))
        return loaded[0]

    summary = build(settings, get_embedder, progress=None if not args.no_progress else False)
    print(json.dumps(summary.as_dict()) if args.json else summary.render())
    return 0


def cmd_search(settings: IndexSettings, args: argparse.Namespace) -> int:
    from indexer.search import Searcher

    info = model_info(settings.model)
    generation = store.open_current(settings.index_dir, info.fingerprint, info.dim)
    searcher = Searcher(generation, SentenceTransformerEmbedder(info, settings.threads), settings.ranking())
    result = searcher.search(args.question, args.k, args.doc, args.mode)
    if result.low_confidence:
        print("(low confidence: nothing in the corpus answers this closely; nearest passages follow)\n")
    for hit in result.hits:
        p = hit.passage
        s, e = hit.highlight
        marked = p.text[:s] + "[[" + p.text[s:e] + "]]" + p.text[e:]
        print(f"{hit.rank}. {hit.score:.3f}  {p.passage_id}  ({p.heading or 'no heading'})")
        print(textwrap.indent(textwrap.fill(marked, 100), "   "))
        print()
    print(f"generation {result.generation}, {result.took_ms:.1f} ms")
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
    ap.add_argument(
        "-v", "--verbose", action="store_true", help="also print third-party warnings and logs (captured)"
    )
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="index the corpus into a new generation and publish it")
    b.add_argument("--skip-bad-files", action="store_true", help="skip unreadable/empty/binary files")
    b.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")
    b.add_argument("--json", action="store_true", help="print the summary as JSON")
    b.add_argument(
        "--executor",
        choices=["local", "ray"],
        help="where the build runs (default: SEMSEARCH_EXECUTOR, else local); ray: RAY_ADDRESS or local",
    )
    b.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    b.set_defaults(run=cmd_build)
    s = sub.add_parser("search", help="print the passages that best answer a question")
    s.add_argument("question")
    s.add_argument("-k", type=int, default=5, choices=range(1, 51), metavar="K", help="results (1-50)")
    s.add_argument("--doc", help="restrict to one document id")
    s.add_argument("--mode", choices=["dense", "lexical", "hybrid"], help="ranking mode (default: setting)")
    s.set_defaults(run=cmd_search)
    v = sub.add_parser("verify", help="check a generation's checksums, row counts and model")
    v.add_argument("generation", nargs="?", help="generation name (default: CURRENT)")
    v.set_defaults(run=cmd_verify)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    captured = console.configure(verbose=args.verbose)
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
    finally:
        log.debug(captured.describe())
