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
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from generation.crash_points import FAIL_AT
from generation.model import ModelError, ModelInfo, model_info, resolve_model_path
from generation.torch_model import SentenceTransformerEmbedder
from indexer.chunking import ChunkParams, Passage
from indexer.documents import Corpus, CorpusError, Document, SkippedFile, read_document, survey
from indexer.embedding import Tokenizer
from indexer.executors import BatchDone, EncodeError, PooledDone, document_passages
from indexer.settings import BuildSettings

log = logging.getLogger("indexer.build")
FILES_PER_TASK = 32  # documents read and chunked by one Ray task
CPUS_PER_ACTOR = 0.5  # fractional: actors that hold every CPU can starve the dataset's own tasks
# Ray marks a node dead after missed health checks (about 15 s at its defaults): how long a failed build
# waits for that, to name the node it lost.
NODE_DEATH_WAIT_S = 30.0
WRITE_CPUS = 0.25  # a shard write (Ray Data's default, 1 CPU, waits on a 1-CPU node until its actor is done)
BATCH_FAILURE = re.compile(r"encoder failed on the batch of \d+ texts [^\n]*")
# A local instance talks over loopback only (Ray would otherwise bind the machine's network address).
LOCAL_NODE_ADDRESS = "127.0.0.1"
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}


class EncoderBatchError(RuntimeError):
    """Raised inside an encoder actor: it could not embed one batch; the message names the batch."""


def keep_on_loopback(address: str | None) -> None:
    """Keep a Ray instance on this machine, or a cluster whose address is loopback, on loopback.

    Ray replaces a loopback address (given to `ray.init` as `_node_ip_address` or as the cluster's address)
    with the machine's network address; its servers then listen on every interface, and a driver cannot
    reach a cluster whose nodes run with `--node-ip-address 127.0.0.1`. Ray's switch for this is
    RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, read once when Ray is imported: set here on the constant it fills,
    since Ray may be imported already.
    """
    host = (address or LOCAL_NODE_ADDRESS).rsplit(":", 1)[0].strip("[]")
    if host not in LOOPBACK_NAMES:
        return  # a real cluster: its nodes' addresses are what the driver must use
    from ray._private import ray_constants

    ray_constants.ENABLE_RAY_CLUSTER = False


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
        out.append((doc, document_passages(doc, tokenizer, params)))
    return out


class EncoderActor:
    """A Ray actor that loads the model once and embeds the batches Ray Data hands it."""

    def __init__(self, model: str, fingerprint: str, threads: int, batch_size: int, gpu: bool, fail: str):
        info = model_info(model)
        if info.fingerprint != fingerprint:  # a node with another model would mix two vector spaces
            raise ModelError(f"this node's model {model!r} differs from the driver's ({fingerprint[:12]})")
        self.embedder = SentenceTransformerEmbedder(info, threads, device="cuda" if gpu else "cpu")
        self.batch_size, self.fail = batch_size, fail
        import ray

        # Where this actor runs, written beside each vector: the manifest says which nodes encoded.
        context = ray.get_runtime_context()
        self.node, self.actor = context.get_node_id(), context.get_actor_id() or ""

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
        out = {
            "key": keys,
            "vector": np.array([v.tobytes() for v in vectors], dtype=object),
            "node": np.array([self.node] * len(keys), dtype=object),
            "actor": np.array([self.actor] * len(keys), dtype=object),
        }
        if pooled is not None:
            out["sentences"] = np.array([rows.astype(np.float32).tobytes() for rows in pooled], dtype=object)
        return out


def _alive_nodes(nodes: list[dict[str, Any]]) -> dict[str, str]:
    """Node id -> address of the nodes Ray reports alive."""
    return {n["NodeID"]: n.get("NodeManagerAddress", "?") for n in nodes if n.get("Alive")}


def _describe(node: dict[str, Any]) -> str:
    return (
        f"{node['address']} (node {node['node_id'][:12]}): {node['actors']} actor(s), {node['texts']} texts"
    )


def _lost_nodes(before: dict[str, str], exc: BaseException) -> list[str]:
    """The nodes alive when encoding started that Ray now reports dead. After an error that a dead node
    causes, wait for Ray to notice: it marks a node dead only after missed health checks."""
    import ray
    from ray.exceptions import ActorDiedError, ActorUnavailableError, NodeDiedError, ObjectLostError

    suspect = (ActorDiedError, ActorUnavailableError, NodeDiedError, ObjectLostError)
    # Only where another node could have died: on one machine an actor dies of its own (memory, a bad
    # model) and the driver's node is alive, so waiting would only delay the message.
    node_error = isinstance(exc, suspect) or isinstance(exc.__cause__, suspect)
    deadline = time.monotonic() + (NODE_DEATH_WAIT_S if node_error and len(before) > 1 else 0.0)
    while True:
        try:
            after = _alive_nodes(ray.nodes())
        except Exception:  # the head itself is gone: report the build's own error, not this one
            return []
        lost = [f"{address} (id {node})" for node, address in before.items() if node not in after]
        if lost or time.monotonic() >= deadline:
            return lost
        time.sleep(0.25)


def _failure(exc: Exception, lost: list[str]) -> str:
    """The build's error: the failing batch, else the nodes lost while encoding, else Ray's error."""
    failure = BATCH_FAILURE.search(str(exc))
    if failure:
        return failure.group(0)
    if lost:
        nodes = "the Ray node " + lost[0] if len(lost) == 1 else "the Ray nodes " + ", ".join(lost)
        return f"{nodes} died during encoding ({type(exc).__name__}: {exc})"
    return f"Ray encoding failed: {type(exc).__name__}: {exc}"


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
            keep_on_loopback(address)
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
        self.encoded_on: dict[str, dict[str, int]] = {}  # node id -> actor id -> texts it encoded
        self.ray_version = ray.__version__
        from ray.data import DataContext

        DataContext.get_current().enable_progress_bars = False  # our phases say what happens

    def read_and_chunk(
        self, corpus_dir: Path, max_bytes: int, info: ModelInfo, params: ChunkParams
    ) -> tuple[Corpus, list[Passage]]:
        import ray

        if not corpus_dir.is_dir():
            raise CorpusError(f"corpus folder {str(corpus_dir)!r} does not exist or is not a folder")
        found, corpus = survey(corpus_dir)
        paths = [str(p) for p in found]
        task = ray.remote(num_cpus=CPUS_PER_ACTOR)(_read_and_chunk)
        groups = [paths[i : i + FILES_PER_TASK] for i in range(0, len(paths), FILES_PER_TASK)]
        log.info("phase chunking: %d files in %d Ray tasks", len(paths), len(groups))
        results = ray.get([task.remote(g, str(corpus_dir), max_bytes, info, params) for g in groups])
        passages: list[Passage] = []
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
        import ray

        shards = self.settings.index_dir / "shards" / secrets.token_hex(6)
        self.sent += len(rows)
        log.info(
            "phase embedding on Ray: %d actors (%s), %d texts per call",
            self.actors,
            "1 GPU each" if self.gpu else f"{CPUS_PER_ACTOR} CPU and {self.threads} torch thread(s) each",
            self.settings.ray_batch_rows,
        )
        info = model_info(self.settings.model)
        alive = _alive_nodes(ray.nodes())  # to name the nodes lost if encoding fails
        try:
            dataset = self._dataset(rows, batch_size, info.fingerprint)
            # Small write tasks: beside an actor on a one-CPU node, so shards are written as batches finish.
            dataset.write_parquet(str(shards), ray_remote_args={"num_cpus": WRITE_CPUS})
            self._read_shards(shards, info.dim, done)
        except Exception as exc:
            raise EncodeError(_failure(exc, _lost_nodes(alive, exc))) from None
        finally:
            shutil.rmtree(shards, ignore_errors=True)
        log.info("encoded on Ray nodes: %s", ", ".join(_describe(n) for n in self._placement()))

    def _dataset(self, rows: list[dict[str, str]], batch_size: int, fingerprint: str) -> Any:
        import ray
        from ray.data import ActorPoolStrategy

        # One block per actor call: Ray Data would otherwise cut the input into many tiny blocks.
        blocks = max(1, math.ceil(len(rows) / self.settings.ray_batch_rows))
        dataset: Any = ray.data.from_items(rows, override_num_blocks=blocks)
        dataset = dataset.map_batches(
            EncoderActor,
            fn_constructor_kwargs={
                "model": self.settings.model,
                "fingerprint": fingerprint,
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
            scheduling_strategy="SPREAD",  # actors over as many nodes as have room, not packed on one
        )
        _route_ray_logs()  # Ray Data sets up its loggers again when it first runs
        return dataset

    def _read_shards(self, shards: Path, dim: int, done: PooledDone) -> None:
        """Hand each shard's vectors to the build and count which node and actor encoded them."""
        import pyarrow.parquet as pq

        for shard in sorted(shards.glob("*.parquet")):
            table = pq.read_table(shard)
            keys = [str(k) for k in table.column("key").to_pylist()]
            vectors = np.stack(
                [np.frombuffer(v, dtype=np.float32) for v in table.column("vector").to_pylist()]
            )
            pooled = (
                [
                    np.frombuffer(v, dtype=np.float32).reshape(-1, dim)
                    for v in table.column("sentences").to_pylist()
                ]
                if "sentences" in table.column_names
                else []
            )
            for node, actor in zip(
                table.column("node").to_pylist(), table.column("actor").to_pylist(), strict=True
            ):
                self.encoded_on.setdefault(str(node), {}).setdefault(str(actor), 0)
                self.encoded_on[str(node)][str(actor)] += 1
            done(keys, vectors, pooled)

    def _placement(self) -> list[dict[str, Any]]:
        """The nodes that encoded this build's texts: address, node id, actors and texts on each."""
        import ray

        addresses = {n["NodeID"]: n.get("NodeManagerAddress", "?") for n in ray.nodes()}
        return [
            {
                "node_id": node,
                "address": addresses.get(node, "?"),
                "actors": len(actors),
                "texts": sum(actors.values()),
            }
            for node, actors in sorted(self.encoded_on.items())
        ]

    def manifest(self) -> dict[str, Any]:
        return {
            "name": "ray",
            "ray_version": self.ray_version,
            "actors": self.actors,
            "gpus_per_actor": 1 if self.gpu else 0,
            "batch_rows": self.settings.ray_batch_rows,
            "cluster": bool(os.environ.get("RAY_ADDRESS")),
            "nodes": self._placement(),  # empty when every text came from the cache
        }

    def close(self) -> None:
        if self.started_here:
            import ray

            ray.shutdown()
