"""Owns the batch build job: corpus -> passages -> cached or fresh vectors -> published generation, with
its summary."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from generation import store
from generation.analysis import PLAIN, supported
from generation.crash_points import crash_point
from generation.language import detect
from generation.model import Embedder, ModelInfo, model_info
from indexer import writing
from indexer.cache import EmbeddingCache, text_key
from indexer.chunking import ChunkParams, Passage
from indexer.documents import Corpus, CorpusError, SkippedFile, example_questions
from indexer.encoder_export import ensure_query_encoders
from indexer.executors import Executor, LocalExecutor
from indexer.readers import COMPRESSED_SUFFIXES, SUFFIXES
from indexer.settings import BuildSettings
from indexer.vectors import VectorsError, embedding_texts, encoded_vectors, matrices, pooled_vectors

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
    languages: dict[str, int] = field(default_factory=dict)  # documents per language ("und": not told)
    plain: list[str] = field(default_factory=list)  # documents in a language without stemmer or stop words
    other_formats: dict[str, int] = field(default_factory=dict)  # files no reader takes, by suffix
    linked_folders: list[str] = field(default_factory=list)  # symlinked folders, not followed

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
        if self.languages:
            lines.append("languages   " + ", ".join(f"{code} {n}" for code, n in self.languages.items()))
        if self.plain:
            lines.append(
                f"plain terms {len(self.plain)} documents in a language without stemmer or stop words here "
                f"(searched by meaning and exact words): {', '.join(self.plain[:5])}"
                + (" ..." if len(self.plain) > 5 else "")
            )
        if self.other_formats:
            counts = [f"{suffix} {n}" for suffix, n in self.other_formats.items()]
            lines.append(
                f"not read    {sum(self.other_formats.values())} files of other formats ("
                + ", ".join(counts[:5])
                + (" ..." if len(counts) > 5 else "")
                + f"; read: {', '.join(SUFFIXES)}, also as {'/'.join(COMPRESSED_SUFFIXES)})"
            )
        if self.linked_folders:
            lines.append(f"not read    {_linked(self.linked_folders)}")
        lines += [f"skipped     {s.doc_id}: {s.reason}" for s in self.skipped]
        return "\n".join(lines)


def chunk_params(settings: BuildSettings, info: ModelInfo) -> ChunkParams:
    return ChunkParams(
        target_tokens=min(settings.passage_tokens, info.max_tokens),
        max_tokens=info.max_tokens,
        overlap_sentences=settings.overlap_sentences,
    )


def check_corpus(corpus: Corpus, settings: BuildSettings) -> None:
    if corpus.problems and not settings.skip_bad_files:
        listing = "; ".join(f"{p.doc_id} {p.reason}" for p in corpus.problems)
        raise BuildError(
            f"cannot index {settings.corpus_dir}: {listing} "
            "(fix or remove the file, or set SEMSEARCH_SKIP_BAD_FILES=1 to skip it)"
        )
    if not corpus.documents:
        links = f"; {_linked(corpus.linked_folders)}" if corpus.linked_folders else ""
        raise BuildError(f"no readable document in {settings.corpus_dir}{links}")


def _linked(folders: list[str]) -> str:
    """What the build says of the linked folders it did not follow, and what to do about them."""
    shown = "; ".join(folders[:3]) + (" ..." if len(folders) > 3 else "")
    return (
        f"{len(folders)} linked folder{'s' if len(folders) > 1 else ''}, not followed: {shown} "
        "(set SEMSEARCH_CORPUS_DIR to where one leads to index it)"
    )


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


def document_languages(corpus: Corpus, setting: str) -> dict[str, writing.DocumentLanguage]:
    """Each document's language (SEMSEARCH_LANGUAGE, else detected from its text) and the analyzer its
    passages get: its language's where there is one, else plain Unicode terms."""
    found: dict[str, writing.DocumentLanguage] = {}
    for doc in corpus.documents:
        language = setting if setting != "auto" else detect(doc.text)
        analyzer = language if language is not None and supported(language) else PLAIN
        found[doc.doc_id] = writing.DocumentLanguage(language, analyzer)
    return found


def make_executor(settings: BuildSettings, get_embedder: Callable[[], Embedder], progress: bool) -> Executor:
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


def build(
    settings: BuildSettings,
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
        return _Build(settings, get_embedder, info or model_info(settings.model), executor).run()
    finally:
        if own_executor:
            executor.close()


class _Build:
    """One run of the job, phase by phase (each phase a method; crash points between them)."""

    def __init__(
        self,
        settings: BuildSettings,
        get_embedder: Callable[[], Embedder],
        info: ModelInfo,
        executor: Executor,
    ) -> None:
        self.settings, self.get_embedder, self.info, self.executor = settings, get_embedder, info, executor
        self.params = chunk_params(settings, info)
        self.pooled = settings.sentence_vectors == "pooled"
        self.started = time.perf_counter()

    def run(self) -> BuildSummary:
        settings, root = self.settings, self.settings.index_dir
        log.info("phase loading: reading %s", settings.corpus_dir)
        try:
            corpus, passages = self.executor.read_and_chunk(
                settings.corpus_dir, settings.max_file_bytes, self.info, self.params
            )
        except CorpusError as exc:
            raise BuildError(str(exc)) from None
        check_corpus(corpus, settings)
        crash_point("chunked")
        with store.build_lock(root):
            store.prune(root, settings.keep_generations)  # clears temporaries a killed build left behind
            crash_point("locked")
            titles = {d.doc_id: d.title for d in corpus.documents}
            embed_texts = embedding_texts(passages, titles, settings.embed_context)
            vectors, encoded = self._vectors(passages, embed_texts)
            crash_point("embedded")
            log.info("phase writing")
            vector_matrices = matrices(passages, embed_texts, vectors, self.pooled, self.info.dim)
            languages = document_languages(corpus, settings.language)
            name = writing.write(
                root, self._manifest(), corpus.documents, passages, vector_matrices, languages
            )
            previous = _previous_texts(root)
            log.info("phase publishing: %s", name)
            store.publish(root, name)
            log.info("phase pruning")
            store.prune(root, settings.keep_generations)
            query_encoder = self._query_encoder()  # under the lock: no two exports into one folder
        summary = self._summary(name, corpus, passages, embed_texts, encoded, previous, query_encoder)
        summary.languages = dict(Counter(d.detected or PLAIN for d in languages.values()).most_common())
        summary.plain = [doc for doc, d in languages.items() if d.analyzer == PLAIN]
        return summary

    def _vectors(self, passages: list[Passage], embed_texts: list[str]) -> tuple[dict[str, Any], set[str]]:
        sentence_texts = [p.text[s:e] for p in passages for s, e in p.sentences]
        log.info("phase embedding: %d passages, %d sentences", len(passages), len(sentence_texts))
        root, batch = self.settings.index_dir, self.settings.batch_size
        cache = EmbeddingCache(root / "cache" / "embeddings.sqlite3", self.info.fingerprint, self.info.dim)
        try:
            if self.pooled:
                return pooled_vectors(passages, embed_texts, cache, self.executor, batch)
            return encoded_vectors(embed_texts + sentence_texts, cache, self.executor, batch)
        except VectorsError as exc:
            raise BuildError(str(exc)) from None
        finally:
            cache.close()

    def _manifest(self) -> dict[str, Any]:
        return {
            "executor": self.executor.manifest(),
            "model": self.info.as_manifest(),
            "chunking": writing.chunking_manifest(self.params, self.settings.embed_context),
            "examples": example_questions(self.settings.corpus_dir),
            "sentence_vectors_from": self.settings.sentence_vectors,  # encoded on their own, or pooled
        }

    def _query_encoder(self) -> str:
        if not self.settings.export_query_encoder:
            return "not made (SEMSEARCH_EXPORT_QUERY_ENCODER=false)"
        return ensure_query_encoders(self.settings.index_dir, self.info, self.get_embedder)

    def _summary(
        self,
        name: str,
        corpus: Corpus,
        passages: list[Passage],
        embed_texts: list[str],
        encoded: set[str],
        previous: set[str],
        query_encoder: str,
    ) -> BuildSummary:
        embedded = sum(1 for t in embed_texts if text_key(t) in encoded)
        if self.pooled:
            pairs = zip(passages, embed_texts, strict=True)
            sentences = sum(len(p.sentences) for p, t in pairs if text_key(t) in encoded)
        else:
            # Sentences that are whole passages share the passage's vector: not counted twice.
            passage_keys = {text_key(t) for t in embed_texts}
            sentence_keys = {text_key(p.text[s:e]) for p in passages for s, e in p.sentences}
            sentences = len((sentence_keys - passage_keys) & encoded)
        return BuildSummary(
            generation=name,
            documents=len(corpus.documents),
            passages=len(passages),
            embedded=embedded,
            reused=len(passages) - embedded,
            removed=len(previous - {p.text for p in passages}),
            sentences_embedded=sentences,
            query_encoder=query_encoder,
            seconds=time.perf_counter() - self.started,
            skipped=list(corpus.problems),
            other_formats=corpus.other_formats,
            linked_folders=corpus.linked_folders,
            sentence_vectors=self.settings.sentence_vectors,
        )
