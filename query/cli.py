"""Owns `python -m indexer search`: one question answered from the published generation, printed with its
highlight in [[...]] (the query encoder the service uses: int8 ONNX, no torch)."""

from __future__ import annotations

import argparse
import json
import os
import textwrap

from generation import store
from generation.model import model_info
from query.answer import answer_body
from query.encoders import choose_query_encoder
from query.searcher import Searcher
from query.settings import QuerySettings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("search", help="print the passages that best answer a question")
    s.add_argument("question")
    s.add_argument("-k", type=int, default=5, choices=range(1, 51), metavar="K", help="results (1-50)")
    s.add_argument("--doc", help="restrict to one document id")
    s.add_argument("--mode", choices=["dense", "lexical", "hybrid"], help="ranking mode (default: setting)")
    s.add_argument("--json", action="store_true", help="print the answer as the API gives it (JSON)")
    s.set_defaults(run=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    settings = QuerySettings.from_env(os.environ)
    info = model_info(settings.model)
    generation = store.open_current(settings.index_dir, info.fingerprint, info.dim)
    encoder = choose_query_encoder(settings.index_dir, info, settings.query_encoder, settings.threads)
    searcher = Searcher(generation, encoder.embedder, settings.ranking())
    result = searcher.search(args.question, args.k, args.doc, args.mode)
    if args.json:
        print(json.dumps(answer_body(args.question, args.k, result, generation), ensure_ascii=False))
        return 0
    if result.low_confidence:
        print("(low confidence: nothing in the corpus answers this closely; nearest passages follow)\n")
    for hit in result.hits:
        p = hit.passage
        s, e = hit.highlight
        marked = p.text[:s] + "[[" + p.text[s:e] + "]]" + p.text[e:]
        print(f"{hit.rank}. {hit.score:.3f}  {p.passage_id}  ({p.heading or 'no heading'})")
        print(textwrap.indent(textwrap.fill(marked, 100), "   "))
        print()
    print(f"generation {result.generation}, {result.took_ms:.1f} ms ({encoder.label})")
    return 0
