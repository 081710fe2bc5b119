"""Owns the batch build job: corpus -> passages -> cached or fresh embeddings -> published generation."""

from __future__ import annotations

import bisect
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from indexer import store
from indexer.cache import EmbeddingCache, text_key
from indexer.chunking import ChunkParams, Passage
from indexer.crash_points import crash_point
from indexer.documents import Corpus, CorpusError, Document, SkippedFile, example_questions
from indexer.embedding import Embedder, ModelInfo, model_info
from indexer.executors import EncodeError, Executor, LocalExecutor
from indexer.lexical import LEXICAL_DIR, LexicalIndex
from indexer.query_encoder import ensure_query_encoders
from indexer.records import FootnoteLink, StoredDocument, StoredPassage
from indexer.settings import IndexSettings
from indexer.vector_index import VectorIndex

log = logging.getLogger("indexer.build")


class BuildError(Exception):
    """The build cannot produce a generation; the published index is left untouched."""


@dataclass(slots=True)
class BuildSummary:
    generation: str
    documents: int
    passages: int
    embedded: int  # passages whose vectors were computed by this build
    reused: int  # passages whose vectors came from the cache
    removed: int  # passages of the previous generation whose text is gone
    sentences_embedded: int  # sentence vectors computed by this build (encoded, or pooled from passages)
    query_encoder: str  # "reused", "exported in 12.9 s", "not made (...)" or "failed (...)"
    seconds: float  # the whole build, query encoder export included
    skipped: list[SkippedFile] = field(default_factory=list)
    sentence_vectors: str = "encoded"  # or "pooled" (SEMSEARCH_SENTENCE_VECTORS)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def render(self) -> str:
        lines = [
            f"generation  {self.generation}",
            f"documents   {self.documents}",
            f"passages    {self.passages}",
            f"embedded    {self.embedded}",
            f"reused      {self.reused}",
            f"removed     {self.removed}",
            f"sentences   {self.sentences_embedded} "
            + ("embedded (for highlights)" if self.sentence_vectors == "encoded" else "pooled from passages"),
            f"query encoder: {self.query_encoder}",
            f"seconds     {self.seconds:.1f}",
        ]
        lines += [f"skipped     {s.doc_id}: {s.reason}" for s in self.skipped]
        return "\n".join(lines)


def embedding_text(p: Passage, title: str, context: str) -> str:
    """The text embedded for a passage: the passage, optionally after its heading (and document title)."""
    parts = [title] if context == "title" else []
    if context in ("heading", "title") and p.heading:
        parts.append(p.heading)
    return ". ".join([*parts, p.text]) if parts else p.text


def chunk_params(settings: IndexSettings, info: ModelInfo) -> ChunkParams:
    return ChunkParams(
        target_tokens=min(settings.passage_tokens, info.max_tokens),
        max_tokens=info.max_tokens,
        overlap_sentences=settings.overlap_sentences,
    )


def check_corpus(corpus: Corpus, settings: IndexSettings) -> None:
    if corpus.problems and not settings.skip_bad_files:
        listing = "; ".join(f"{p.doc_id} {p.reason}" for p in corpus.problems)
        raise BuildError(
            f"cannot index {settings.corpus_dir}: {listing} "
            "(fix or remove the file, or set SEMSEARCH_SKIP_BAD_FILES=1 to skip it)"
        )
    if not corpus.documents:
        raise BuildError(f"no readable .txt or .md document in {settings.corpus_dir}")


def _previous_texts(root: Path) -> set[str]:
    name = store.read_current(root)
    if name is None:
        return set()
    path = store.generations_dir(root) / name / store.PASSAGES_FILE
    try:
        with path.open(encoding="utf-8") as fh:
            return {json.loads(line)["text"] for line in fh}
    except (OSError, ValueError, KeyError):
        return set()  # a damaged previous generation only affects the "removed" count


def _vectors(
    texts: Sequence[str], cache: EmbeddingCache, executor: Executor, batch_size: int
) -> tuple[dict[str, np.ndarray], set[str]]:
    """Vectors for every text: from the cache, else encoded by the executor in length-sorted batches
    (little padding) and cached batch by batch. Cached texts never reach an encoder. Also returns the
    keys that were encoded (what the summary counts)."""
    keys = {text_key(t): t for t in texts}
    found = cache.get_many(list(keys))
    missing = sorted((k for k in keys if k not in found), key=lambda k: len(keys[k]))
    if missing:
        log.info("phase embedding: %d new texts to embed", len(missing))

        def done(batch_keys: list[str], vectors: np.ndarray) -> None:
            cache.put_many(zip(batch_keys, vectors, strict=True))
            found.update(zip(batch_keys, vectors, strict=True))

        try:
            executor.encode([(k, keys[k]) for k in missing], batch_size, done)
        except EncodeError as exc:
            raise BuildError(f"embedding failed: {exc}") from None
    absent = [k for k in keys if k not in found]
    if absent:  # an executor that lost rows must not produce a generation with holes
        raise BuildError(f"{len(absent)} texts came back without a vector (first: {keys[absent[0]][:60]!r})")
    return found, set(missing)


def spans_in(p: Passage, embed_text: str) -> tuple[tuple[int, int], ...]:
    """The passage's sentence spans as offsets into the text embedded for it (after any prefix)."""
    shift = len(embed_text) - len(p.text)  # a heading or title prefix comes before the passage
    return tuple((s + shift, e + shift) for s, e in p.sentences)


def sentence_key(passage_key: str, span: tuple[int, int]) -> str:
    """Cache key of a sentence vector pooled from its passage: it depends on the passage, not its text."""
    return f"{passage_key}:{span[0]}:{span[1]}"


def _pooled_vectors(
    passages: Sequence[Passage],
    embed_texts: Sequence[str],
    cache: EmbeddingCache,
    executor: Executor,
    batch_size: int,
) -> tuple[dict[str, np.ndarray], set[str]]:
    """Passage vectors and their sentences' vectors pooled from the same forward pass, cached; passages
    whose vectors are all cached never reach an encoder. Also returns the passage keys encoded."""
    encode = getattr(executor, "encode_pooled", None)
    if encode is None:
        raise BuildError("SEMSEARCH_SENTENCE_VECTORS=pooled: this executor cannot pool sentence vectors")
    items: dict[str, tuple[str, tuple[tuple[int, int], ...]]] = {}
    for p, text in zip(passages, embed_texts, strict=True):
        items[text_key(text)] = (text, spans_in(p, text))
    wanted = [*items, *(sentence_key(k, span) for k, (_, spans) in items.items() for span in spans)]
    found = cache.get_many(wanted)
    missing = sorted(
        (
            k
            for k, (_, spans) in items.items()
            if k not in found or any(sentence_key(k, x) not in found for x in spans)
        ),
        key=lambda k: len(items[k][0]),
    )
    if missing:
        log.info("phase embedding: %d new passages to embed, sentence vectors pooled", len(missing))

        def done(batch_keys: list[str], vectors: np.ndarray, pooled: list[np.ndarray]) -> None:
            rows = list(zip(batch_keys, vectors, strict=True))
            for key, sentence_rows in zip(batch_keys, pooled, strict=True):
                rows += [
                    (sentence_key(key, span), v) for span, v in zip(items[key][1], sentence_rows, strict=True)
                ]
            cache.put_many(rows)
            found.update(rows)

        try:
            encode([(k, items[k][0], items[k][1]) for k in missing], batch_size, done)
        except EncodeError as exc:
            raise BuildError(f"embedding failed: {exc}") from None
    return found, set(missing)


def make_executor(settings: IndexSettings, get_embedder: Callable[[], Embedder], progress: bool) -> Executor:
    """The executor SEMSEARCH_EXECUTOR names: in this process, or Ray (RAY_ADDRESS, else a local instance)."""
    if settings.executor == "ray":
        try:
            from indexer.ray_executor import RayExecutor
        except ImportError as exc:
            raise BuildError(
                f"SEMSEARCH_EXECUTOR=ray needs Ray ({exc}): `make install-ray` or pip install -e '.[ray]'"
            ) from None
        return RayExecutor(settings)
    return LocalExecutor(get_embedder, progress)


def page_span(page_starts: Sequence[int], start: int, end: int) -> tuple[int, int] | None:
    """First and last 1-based page of text[start:end] (None without pages)."""
    if not page_starts:
        return None
    return (
        max(1, bisect.bisect_right(page_starts, start)),
        max(1, bisect.bisect_right(page_starts, end - 1)),
    )


def stored_passage(p: Passage, sentence_row: int, page_starts: Sequence[int] = ()) -> StoredPassage:
    return StoredPassage(
        passage_id=p.passage_id,
        doc_id=p.doc_id,
        start=p.start,
        end=p.end,
        text=p.text,
        heading=p.heading,
        paragraph=p.paragraph,
        sentences=p.sentences,
        sentence_row=sentence_row,
        footnote=p.footnote,
        footnotes=tuple(FootnoteLink(label, pid) for label, pid in p.footnotes),
        pages=page_span(page_starts, p.start, p.end),
    )


def build(
    settings: IndexSettings,
    get_embedder: Callable[[], Embedder],
    info: ModelInfo | None = None,
    progress: bool | None = None,
    executor: Executor | None = None,
) -> BuildSummary:
    """Index the corpus into a new generation and publish it; on failure raise BuildError, publish nothing.
    `executor` runs reading, chunking and encoding (default: as SEMSEARCH_EXECUTOR says)."""
    progress = sys.stderr.isatty() if progress is None else progress
    own_executor = executor is None
    executor = executor or make_executor(settings, get_embedder, progress)
    try:
        return _build(settings, get_embedder, info or model_info(settings.model), executor)
    finally:
        if own_executor:
            executor.close()


def _build(
    settings: IndexSettings, get_embedder: Callable[[], Embedder], info: ModelInfo, executor: Executor
) -> BuildSummary:
    started = time.perf_counter()
    root = settings.index_dir
    params = chunk_params(settings, info)
    log.info("phase loading: reading %s", settings.corpus_dir)
    try:
        corpus, passages = executor.read_and_chunk(settings.corpus_dir, settings.max_file_bytes, info, params)
    except CorpusError as exc:
        raise BuildError(str(exc)) from None
    check_corpus(corpus, settings)
    crash_point("chunked")
    with store.build_lock(root):
        store.prune(root, settings.keep_generations)  # clears temporaries a killed build left behind
        crash_point("locked")
        titles = {d.doc_id: d.title for d in corpus.documents}
        embed_texts = [embedding_text(p, titles[p.doc_id], settings.embed_context) for p in passages]
        sentence_texts = [p.text[s:e] for p in passages for s, e in p.sentences]
        passage_keys = {text_key(t) for t in embed_texts}
        # Sentences that are whole passages share the passage's vector: not counted twice.
        extra_sentence_keys = {text_key(t) for t in sentence_texts} - passage_keys
        log.info("phase embedding: %d passages, %d sentences", len(passages), len(sentence_texts))
        cache = EmbeddingCache(root / "cache" / "embeddings.sqlite3", info.fingerprint, info.dim)
        pooled = settings.sentence_vectors == "pooled"
        try:
            if pooled:
                vectors, encoded = _pooled_vectors(
                    passages, embed_texts, cache, executor, settings.batch_size
                )
            else:
                vectors, encoded = _vectors(
                    embed_texts + sentence_texts, cache, executor, settings.batch_size
                )
        finally:
            cache.close()
        crash_point("embedded")
        passage_matrix = np.stack([vectors[text_key(t)] for t in embed_texts]).astype(np.float32)
        if pooled:
            sentence_rows = [
                vectors[sentence_key(text_key(t), span)]
                for p, t in zip(passages, embed_texts, strict=True)
                for span in spans_in(p, t)
            ]
        else:
            sentence_rows = [vectors[text_key(t)] for t in sentence_texts]
        sentence_matrix = (
            np.stack(sentence_rows).astype(np.float32)
            if sentence_rows
            else np.zeros((0, info.dim), np.float32)
        )
        log.info("phase writing")
        name = _write(
            settings,
            info,
            params,
            executor.manifest(),
            corpus.documents,
            passages,
            passage_matrix,
            sentence_matrix,
        )
        previous = _previous_texts(root)
        log.info("phase publishing: %s", name)
        store.publish(root, name)
        log.info("phase pruning")
        store.prune(root, settings.keep_generations)
        # Under the lock: two builds never export into the same folder at once.
        if settings.query_encoder == "torch":
            query_encoder = "not made (SEMSEARCH_QUERY_ENCODER=torch)"
        else:
            query_encoder = ensure_query_encoders(root, info, get_embedder)
    current_texts = {p.text for p in passages}
    embedded = sum(1 for t in embed_texts if text_key(t) in encoded)
    if pooled:
        sentences = sum(
            len(p.sentences) for p, t in zip(passages, embed_texts, strict=True) if text_key(t) in encoded
        )
    else:
        sentences = len(extra_sentence_keys & encoded)
    return BuildSummary(
        generation=name,
        documents=len(corpus.documents),
        passages=len(passages),
        embedded=embedded,
        reused=len(passages) - embedded,
        removed=len(previous - current_texts),
        sentences_embedded=sentences,
        query_encoder=query_encoder,
        seconds=time.perf_counter() - started,
        skipped=list(corpus.problems),
        sentence_vectors=settings.sentence_vectors,
    )


def _write(
    settings: IndexSettings,
    info: ModelInfo,
    params: ChunkParams,
    executor: dict[str, Any],
    documents: Sequence[Document],
    passages: Sequence[Passage],
    passage_matrix: np.ndarray,
    sentence_matrix: np.ndarray,
) -> str:
    """Write the generation files with their manifest; return the generation's name."""
    records: list[StoredPassage] = []
    sentence_row = 0
    pages = {d.doc_id: d.page_starts for d in documents}
    for p in passages:
        records.append(stored_passage(p, sentence_row, pages[p.doc_id]))
        sentence_row += len(p.sentences)
    first_row: dict[str, int] = {}
    rows: dict[str, int] = {}
    for i, p in enumerate(passages):
        first_row.setdefault(p.doc_id, i)
        rows[p.doc_id] = rows.get(p.doc_id, 0) + 1
    doc_records = [
        StoredDocument(
            d.doc_id,
            d.title,
            d.sha256,
            d.encoding,
            d.text,
            first_row.get(d.doc_id, 0),
            rows.get(d.doc_id, 0),
            d.format,
            d.reader,
            d.page_starts,
        )
        for d in documents
    ]
    index = VectorIndex.build(passage_matrix)
    name = store.new_generation_name()
    manifest = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "executor": executor,
        "model": info.as_manifest(),
        "chunking": {
            "target_tokens": params.target_tokens,
            "max_tokens": params.max_tokens,
            "overlap_sentences": params.overlap_sentences,
            "max_chars": params.max_chars,
            "embed_context": settings.embed_context,
        },
        "index": index.params,
        "lexical": {
            "library": "bm25s",
            "method": "lucene",
            "k1": 1.5,
            "b": 0.75,
            "tokenizer": "lower-case, quotes folded, hyphenation joined, stop words, Snowball stemmer",
        },
        "passages": len(passages),
        "examples": example_questions(settings.corpus_dir),
        "sentences": int(sentence_matrix.shape[0]),
        "sentence_vectors": "float16",
        "sentence_vectors_from": settings.sentence_vectors,  # encoded on their own, or pooled from passages
        "documents": [
            {
                "doc_id": d.doc_id,
                "sha256": d.sha256,
                "title": d.title,
                "format": d.format,
                "reader": d.reader,
                "pages": len(d.page_starts) or None,
                "first_row": r.first_row,
                "rows": r.rows,
            }
            for d, r in zip(documents, doc_records, strict=True)
        ],
    }
    store.write_generation(
        settings.index_dir,
        name,
        {
            store.INDEX_FILE: store.write_vectors(index),
            store.PASSAGES_FILE: store.write_jsonl([r.as_record() for r in records]),
            store.DOCUMENTS_FILE: store.write_jsonl([d.as_record() for d in doc_records]),
            # float16: half the space, the same highlight on every one of 400 (question, passage) pairs
            # measured on the essay and the King James Bible (docs/benchmarks.md).
            store.SENTENCES_FILE: store.write_npy(sentence_matrix.astype(np.float16)),
            LEXICAL_DIR: store.write_lexical(LexicalIndex.build([p.text for p in passages])),
        },
        manifest,
    )
    return name
