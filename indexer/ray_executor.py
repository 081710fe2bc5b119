"""Owns running a build's heavy steps on Ray: documents read and chunked by Ray tasks, the texts the cache
lacks encoded by Ray Data `map_batches` over a fixed pool of encoder actors (each loads the model once; one
GPU each where the cluster has GPUs, a fraction of a CPU otherwise), their vectors written as Parquet
shards keyed by each text's sha256 on the index's storage, then read back by the build, which assembles
and publishes the generation exactly as an in-process build does.

With RAY_ADDRESS set it joins that cluster (every node needs this project and the model package installed,
and the index folder on storage all nodes see); without it, it starts a local Ray instance.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from generation.crash_points import FAIL_AT
from generation.model import ModelError, ModelInfo, model_info, resolve_model_path
from generation.torch_model import SentenceTransformerEmbedder
from indexer.chunking import ChunkParams, Passage, chunk_document
from indexer.documents import Corpus, CorpusError, Document, SkippedFile, discover, read_document
from indexer.embedding import Tokenizer
from indexer.executors import BatchDone, EncodeError, PooledDone
from indexer.settings import BuildSettings

log = logging.getLogger("indexer.build")
FILES_PER_TASK = 32  # documents read and chunked by one Ray task
CPUS_PER_ACTOR = 0.5  # fractional: actors that hold every CPU can starve the dataset's own tasks
BATCH_FAILURE = re.compile(r"encoder failed on the batch of \d+ texts [^\n]*")
# A local instance talks over loopback only (Ray would otherwise bind the machine's network address).
LOCAL_NODE_ADDRESS = "127.0.0.1"


class EncoderBatchError(RuntimeError):
    """Raised inside an encoder actor: it could not embed one batch; the message names the batch."""


def _read_and_chunk(
    paths: list[str], corpus_dir: str, max_bytes: int, info: ModelInfo, params: ChunkParams
) -> list[tuple[Document | SkippedFile, list[Passage]]]:
    """One Ray task: read a few documents and split them into passages (problems come back as such)."""
    # The model's folder may sit elsewhere on this node: find it from the same setting.
    tokenizer = Tokenizer(replace(info, path=resolve_model_path(info.name)))
    out: list[tuple[Document | SkippedFile, list[Passage]]] = []
    for path in map(Path, paths):
        try:
            doc = read_document(path, Path(corpus_dir), max_bytes)
        except ValueError as exc:
            out.append((SkippedFile(path.relative_to(corpus_dir).as_posix(), str(exc)), []))
            continue
        out.append((doc, chunk_document(doc.doc_id, doc.text, tokenizer, params, doc.headings)))
    return out


class EncoderActor:
    """A Ray actor that loads the model once and embeds the batches Ray Data hands it."""

    def __init__(self, model: str, fingerprint: str, threads: int, batch_size: int, gpu: bool, fail: str):
        info = model_info(model)
        if info.fingerprint != fingerprint:  # a node with another model would mix two vector spaces
            raise ModelError(f"this node's model {model!r} differs from the driver's ({fingerprint[:12]})")
        self.embedder = SentenceTransformerEmbedder(info, threads, device="cuda" if gpu else "cpu")
        self.batch_size, self.fail = batch_size, fail

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        keys = batch["key"]
        what = f"batch of {len(keys)} texts starting at sha256 {str(keys[0])[:16]}"
        try:
            if self.fail == "encoder":
                raise RuntimeError(f"test failure ({FAIL_AT}=encoder)")
            texts = [str(t) for t in batch["text"]]
            if "spans" in batch:  # SEMSEARCH_SENTENCE_VECTORS=pooled: span vectors from the same pass
                spans = [json.loads(str(s)) for s in batch["spans"]]
                vectors, pooled = self.embedder.embed_pooled(texts, spans, batch_size=self.batch_size)
            else:
                vectors, pooled = self.embedder.embed(texts, batch_size=self.batch_size), None
        except Exception as exc:
            raise EncoderBatchError(f"encoder failed on the {what}: {exc}") from exc
        # Vectors travel as raw float32 bytes: a plain binary column in the Parquet shards.
        out = {"key": keys, "vector": np.array([v.tobytes() for v in vectors], dtype=object)}
        if pooled is not None:
            out["sentences"] = np.array([rows.astype(np.float32).tobytes() for rows in pooled], dtype=object)
        return out


def _route_ray_logs() -> None:
    """Ray and Ray Data print through handlers of their own: send their records to the root logger, where
    the command line captures third-party output (shown with --verbose)."""
    for name in ("ray", "ray.data"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


class RayExecutor:
    """Reads, chunks and encodes on Ray; the build around it is unchanged."""

    def __init__(self, settings: BuildSettings) -> None:
        import ray
        import ray.data

        _route_ray_logs()
        self.settings = settings
        self.started_here = not ray.is_initialized()
        if self.started_here:
            address = os.environ.get("RAY_ADDRESS")
            common: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
            if address:
                ray.init(address=address, **common)
            else:
                ray.init(
                    num_cpus=os.cpu_count(),
                    include_dashboard=False,
                    _node_ip_address=LOCAL_NODE_ADDRESS,
                    **common,
                )
        gpus = int(ray.cluster_resources().get("GPU", 0))
        self.gpu = gpus > 0
        self.actors = min(settings.ray_actors, gpus) if self.gpu else settings.ray_actors
        cpus = float(ray.cluster_resources().get("CPU", 1))
        # Torch threads per CPU actor: the cores the actors share, never fewer than one.
        self.threads = max(1, math.floor(cpus / self.actors)) if not self.gpu else 1
        self.sent = 0  # texts handed to encoders by this executor (tests check it stays 0 when cached)
        self.ray_version = ray.__version__
        from ray.data import DataContext

        DataContext.get_current().enable_progress_bars = False  # our phases say what happens

    def read_and_chunk(
        self, corpus_dir: Path, max_bytes: int, info: ModelInfo, params: ChunkParams
    ) -> tuple[Corpus, list[Passage]]:
        import ray

        if not corpus_dir.is_dir():
            raise CorpusError(f"corpus folder {str(corpus_dir)!r} does not exist or is not a folder")
        paths = [str(p) for p in discover(corpus_dir)]
        task = ray.remote(num_cpus=CPUS_PER_ACTOR)(_read_and_chunk)
        groups = [paths[i : i + FILES_PER_TASK] for i in range(0, len(paths), FILES_PER_TASK)]
        log.info("phase chunking: %d files in %d Ray tasks", len(paths), len(groups))
        results = ray.get([task.remote(g, str(corpus_dir), max_bytes, info, params) for g in groups])
        corpus, passages = Corpus(), []
        for group in results:  # ray.get keeps the order of the tasks: the same order as in process
            for item, doc_passages in group:
                if isinstance(item, SkippedFile):
                    corpus.problems.append(item)
                else:
                    corpus.documents.append(item)
                    passages.extend(doc_passages)
        return corpus, passages

    def encode(self, items: Sequence[tuple[str, str]], batch_size: int, done: BatchDone) -> None:
        rows = [{"key": k, "text": t} for k, t in items]
        self._run(rows, batch_size, lambda keys, vectors, _: done(keys, vectors))

    def encode_pooled(
        self, items: Sequence[tuple[str, str, Sequence[tuple[int, int]]]], batch_size: int, done: PooledDone
    ) -> None:
        """As encode, with each text's span vectors pooled on the actors from the same forward pass."""
        rows = [{"key": k, "text": t, "spans": json.dumps([list(x) for x in spans])} for k, t, spans in items]
        self._run(rows, batch_size, done)

    def _run(self, rows: list[dict[str, str]], batch_size: int, done: PooledDone) -> None:
        import pyarrow.parquet as pq
        import ray
        from ray.data import ActorPoolStrategy

        shards = self.settings.index_dir / "shards" / secrets.token_hex(6)
        self.sent += len(rows)
        log.info(
            "phase embedding on Ray: %d actors (%s), %d texts per call",
            self.actors,
            "1 GPU each" if self.gpu else f"{CPUS_PER_ACTOR} CPU and {self.threads} torch thread(s) each",
            self.settings.ray_batch_rows,
        )
        info = model_info(self.settings.model)
        try:
            # One block per actor call: Ray Data would otherwise cut the input into many tiny blocks.
            blocks = max(1, math.ceil(len(rows) / self.settings.ray_batch_rows))
            dataset: Any = ray.data.from_items(rows, override_num_blocks=blocks)
            dataset = dataset.map_batches(
                EncoderActor,
                fn_constructor_kwargs={
                    "model": self.settings.model,
                    "fingerprint": info.fingerprint,
                    "threads": self.threads,
                    "batch_size": batch_size,
                    "gpu": self.gpu,
                    "fail": os.environ.get(FAIL_AT, ""),
                },
                # A fixed pool: `concurrency=(n, n)` would start with one actor.
                compute=ActorPoolStrategy(size=self.actors),
                batch_size=self.settings.ray_batch_rows,
                batch_format="numpy",
                num_gpus=1 if self.gpu else 0,
                num_cpus=0 if self.gpu else CPUS_PER_ACTOR,
                max_restarts=0,  # a failing encoder fails the build; no silent retry with lost arguments
            )
            _route_ray_logs()  # Ray Data sets up its loggers again when it first runs
            dataset.write_parquet(str(shards))
            for shard in sorted(shards.glob("*.parquet")):
                table = pq.read_table(shard)
                keys = [str(k) for k in table.column("key").to_pylist()]
                vectors = np.stack(
                    [np.frombuffer(v, dtype=np.float32) for v in table.column("vector").to_pylist()]
                )
                pooled = (
                    [
                        np.frombuffer(v, dtype=np.float32).reshape(-1, info.dim)
                        for v in table.column("sentences").to_pylist()
                    ]
                    if "sentences" in table.column_names
                    else []
                )
                done(keys, vectors, pooled)
        except Exception as exc:
            failure = BATCH_FAILURE.search(str(exc))
            raise EncodeError(
                failure.group(0) if failure else f"Ray encoding failed: {type(exc).__name__}: {exc}"
            ) from None
        finally:
            shutil.rmtree(shards, ignore_errors=True)

    def manifest(self) -> dict[str, Any]:
        return {
            "name": "ray",
            "ray_version": self.ray_version,
            "actors": self.actors,
            "gpus_per_actor": 1 if self.gpu else 0,
            "batch_rows": self.settings.ray_batch_rows,
            "cluster": bool(os.environ.get("RAY_ADDRESS")),
        }

    def close(self) -> None:
        if self.started_here:
            import ray

            ray.shutdown()
