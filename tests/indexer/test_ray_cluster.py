"""The build on a Ray cluster of two nodes (a head and a worker on 127.0.0.1, token authentication on,
nothing listening beyond loopback), joined through RAY_ADDRESS: encoder actors on both nodes, named in the
manifest, and the in-process build's generation; a worker node killed while encoding fails the build naming
the node, CURRENT untouched."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from generation import store
from generation.torch_model import SentenceTransformerEmbedder
from indexer.build import BuildError, BuildSummary
from indexer.ray_executor import LOCAL_NODE_ADDRESS, keep_on_loopback
from indexer.settings import BuildSettings
from tests.corpus import ESSAY, copy_seeds, index

pytestmark = pytest.mark.slow
NODE: dict[str, Any] = {
    "node_ip_address": LOCAL_NODE_ADDRESS,
    "num_cpus": 1,
    "object_store_memory": 100_000_000,
}
# Ray marks a killed node dead after missed health checks (3 s apart, 5 missed, at its defaults): checked
# every 0.5 s here so the killed-node test takes seconds, not half a minute.
HEAD: dict[str, Any] = {**NODE, "include_dashboard": False, "_system_config": {"health_check_period_ms": 500}}


@dataclass
class TwoNodes:
    cluster: Any  # ray.cluster_utils.Cluster
    worker: Any  # the worker node (ray._private.node.Node)
    address: str
    token: str


def _reset_auth() -> None:
    """Ray caches the token mode and the token in this process: read them again from the environment."""
    from ray._raylet import AuthenticationTokenLoader, Config  # type: ignore[attr-defined]

    Config.initialize("")
    AuthenticationTokenLoader.instance().reset_cache()


@pytest.fixture(scope="module")
def two_nodes() -> Iterator[TwoNodes]:
    """One head and one worker node on 127.0.0.1, started by this process and stopped by it (never `ray
    stop`, which ends every Ray process on the machine). Its files live in a private temporary folder:
    short, since Ray's socket paths must fit 107 bytes, and no `ray_current_cluster` in /tmp/ray for another
    test's `ray.init()` to join."""
    from ray.cluster_utils import Cluster

    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    token = secrets.token_hex(32)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RAY_TMPDIR", temp)
        env.setenv("RAY_AUTH_MODE", "token")
        env.setenv("RAY_AUTH_TOKEN", token)
        env.setenv("RAY_USAGE_STATS_ENABLED", "0")  # nothing sent anywhere (and no queries at shutdown)
        env.delenv("RAY_AUTH_TOKEN_PATH", raising=False)
        _reset_auth()
        keep_on_loopback(LOCAL_NODE_ADDRESS)
        cluster = Cluster(initialize_head=True, head_node_args=HEAD, shutdown_at_exit=False)
        try:
            worker = cluster.add_node(**NODE)
            env.setenv("RAY_ADDRESS", cluster.address)
            yield TwoNodes(cluster, worker, cluster.address, token)
        finally:
            cluster.shutdown()
            shutil.rmtree(temp, ignore_errors=True)
    _reset_auth()


def _copies(corpus: Path, numbers: range) -> None:
    """Copies of the essay whose every sentence differs from the other copies' (a number before each
    sentence's end): texts the cache and the build's own deduplication cannot share."""
    essay = (corpus / ESSAY).read_text(encoding="utf-8")
    for k in numbers:
        (corpus / f"copy-{k}.txt").write_text(re.sub(r"([.!?])(\s)", rf" {k}\1\2", essay), encoding="utf-8")


@pytest.fixture(scope="module")
def cluster_built(
    two_nodes: TwoNodes, tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
) -> tuple[BuildSettings, BuildSummary]:
    """The essay and two altered copies (about 330 texts) built on the cluster, from an empty cache."""
    root = tmp_path_factory.mktemp("ray-cluster")
    corpus = copy_seeds(root / "corpus")
    _copies(corpus, range(2))
    settings = BuildSettings(
        corpus_dir=corpus, index_dir=root / "index", executor="ray", export_query_encoder=False
    ).replace(ray_batch_rows=32)
    return settings, index(settings, embedder)


def test_the_cluster_build_runs_actors_on_both_nodes_and_gives_the_in_process_generation(
    two_nodes: TwoNodes,
    cluster_built: tuple[BuildSettings, BuildSummary],
    embedder: SentenceTransformerEmbedder,
    tmp_path: Path,
) -> None:
    import ray

    settings, summary = cluster_built
    assert not ray.is_initialized()  # the build joined the cluster through RAY_ADDRESS and left it
    local_settings = settings.replace(executor="local", index_dir=tmp_path / "local")
    index(local_settings, embedder)
    remote, local = store.open_current(settings.index_dir), store.open_current(local_settings.index_dir)
    assert summary.embedded == summary.passages == len(local.passages) > 90
    assert list(remote.passages) == list(local.passages) and dict(remote.documents) == dict(local.documents)
    n = len(local.passages)
    cosines = (remote.index.reconstruct_range(0, n) * local.index.reconstruct_range(0, n)).sum(axis=1)
    assert float(cosines.min()) >= 0.9999
    a, b = np.asarray(remote.sentence_vectors, np.float32), np.asarray(local.sentence_vectors, np.float32)
    assert float((a * b).sum(axis=1).min()) >= 0.999  # stored as float16
    executor = remote.manifest["executor"]
    nodes = {n["node_id"]: n for n in executor["nodes"]}
    assert executor["cluster"] is True and executor["actors"] == 2
    assert set(nodes) == {two_nodes.cluster.head_node.node_id, two_nodes.worker.node_id}  # both nodes
    assert all(
        n["address"] == LOCAL_NODE_ADDRESS and n["actors"] == 1 and n["texts"] > 0 for n in nodes.values()
    )
    with sqlite3.connect(settings.index_dir / "cache" / "embeddings.sqlite3") as cache:
        (texts,) = cache.execute("SELECT count(*) FROM vectors").fetchone()  # all encoded by this build
    assert sum(n["texts"] for n in nodes.values()) == texts  # every text encoded once, on one of them


def _listening(pids: set[int]) -> list[str]:
    """The addresses the processes `pids` listen on (TCP, IPv4 and IPv6), read from /proc."""
    inodes: set[str] = set()
    for pid in pids:
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue  # the process has ended
        inodes |= {link[8:-1] for link in links if link.startswith("socket:[")}
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                found.append(_address(fields[1]))
    return found


def _address(hex_address: str) -> str:
    """/proc/net/tcp's `0100007F:1F90` (or tcp6's 32 hex digits) as 127.0.0.1:8080."""
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))  # each 32-bit word host-endian
    import ipaddress

    ip = ipaddress.ip_address(words)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return f"{ip}:{int(port, 16)}"


def _descendants(roots: set[int]) -> set[int]:
    children: dict[int, set[int]] = {}
    for entry in os.listdir("/proc"):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except (OSError, ValueError):
            continue
        if entry.isdigit():
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), set()).add(int(entry))
    found, todo = set(roots), list(roots)
    while todo:
        new = children.get(todo.pop(), set()) - found
        found |= new
        todo.extend(new)
    return found


def test_nothing_of_the_cluster_listens_beyond_loopback_and_a_client_needs_its_token(
    two_nodes: TwoNodes, cluster_built: tuple[BuildSettings, BuildSummary]
) -> None:
    started = {
        info.process.pid
        for node in two_nodes.cluster.list_all_nodes()
        for infos in node.all_processes.values()
        for info in infos
    }
    addresses = _listening(_descendants(started))  # the nodes' services and the workers they started
    assert f"{two_nodes.address}" in addresses  # the head's GCS: the check sees the cluster's sockets
    assert len(addresses) >= 4 and all(a.startswith("127.") for a in addresses), addresses
    wrong, right = (
        _ask_the_head(two_nodes.address, token) for token in (secrets.token_hex(32), two_nodes.token)
    )
    assert wrong.returncode != 0 and "InvalidAuthToken" in wrong.stderr, wrong.stderr[-2000:]
    assert right.returncode == 0, right.stderr[-2000:]


def _ask_the_head(address: str, token: str) -> subprocess.CompletedProcess[str]:
    """List the head's key-value store from a fresh process holding `token` (a process caches its token)."""
    code = f"from ray._raylet import GcsClient; GcsClient(address={address!r}).internal_kv_keys(b'', None)"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "RAY_AUTH_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_cluster_worker_node_killed_while_encoding_fails_the_build_naming_it(
    two_nodes: TwoNodes,
    cluster_built: tuple[BuildSettings, BuildSummary],
    embedder: SentenceTransformerEmbedder,
    tmp_path: Path,
) -> None:
    built, _ = cluster_built
    shutil.copytree(built.index_dir, tmp_path / "index", ignore=shutil.ignore_patterns(".build.lock"))
    shutil.copytree(built.corpus_dir, tmp_path / "corpus")
    settings = built.replace(index_dir=tmp_path / "index", corpus_dir=tmp_path / "corpus", ray_batch_rows=16)
    _copies(settings.corpus_dir, range(10, 13))  # about 500 texts the cache lacks
    published = store.read_current(settings.index_dir)
    generations = sorted(store.generations_dir(settings.index_dir).iterdir())
    worker = two_nodes.worker
    # The moment: the first shard written means the actors are encoding, with dozens of batches to go.
    done = threading.Event()
    killer = threading.Thread(
        target=_kill_when_encoding, args=(two_nodes, settings.index_dir / "shards", done)
    )
    killer.start()
    try:
        with pytest.raises(BuildError) as failed:
            index(settings, embedder)
    finally:
        done.set()
        killer.join()
        two_nodes.worker = two_nodes.cluster.add_node(**NODE)  # two nodes again for any later test
    message = str(failed.value)
    assert f"the Ray node {LOCAL_NODE_ADDRESS} (id {worker.node_id}) died during encoding" in message, message
    assert store.read_current(settings.index_dir) == published
    assert sorted(store.generations_dir(settings.index_dir).iterdir()) == generations  # no temporary left
    assert not any((settings.index_dir / "shards").iterdir())


def _kill_when_encoding(two_nodes: TwoNodes, shards: Path, done: threading.Event) -> None:
    """Kill the worker node (SIGKILL, every process of it) once a shard is written, unless the build ends
    first (the test then fails: nothing was lost)."""
    while not any(shards.glob("*/*.parquet")):
        if done.wait(0.02):
            return
    two_nodes.cluster.remove_node(two_nodes.worker, allow_graceful=False)
