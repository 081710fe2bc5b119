"""Replicas behind a real load balancer (Debian's HAProxy with deploy/haproxy.cfg): under a steady load, a
new generation is built at the source and pulled into one replica, then the other, and one replica is
SIGKILLed and restarted: no request fails, and both replicas end on the new generation. Loopback only."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from generation import store
from service.harness import HOST, answers, free_port, wait_until
from service.settings import Settings
from tests.corpus import REPO, run_indexer

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(HAPROXY).is_file(), reason="needs Debian's haproxy (`make test` installs it)"
    ),
]


def _replica(index_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """`python -m service` on a fixed port (a restart comes back where HAProxy expects it)."""
    env = {
        **os.environ,
        "SEMSEARCH_INDEX_DIR": str(index_dir),
        "SEMSEARCH_HOST": HOST,
        "SEMSEARCH_PORT": str(port),
        "SEMSEARCH_WORKERS": "1",
        "SEMSEARCH_RELOAD_INTERVAL": "0.2",
        "SEMSEARCH_LOG_LEVEL": "warning",
    }
    proc = subprocess.Popen([sys.executable, "-m", "service"], cwd=REPO, env=env)
    wait_until(lambda: answers(f"http://{HOST}:{port}/readyz"), timeout=120)
    return proc


def _generation(port: int) -> str:
    return str(httpx.get(f"http://{HOST}:{port}/readyz", timeout=5).json().get("generation"))


@contextmanager
def _balancer(ports: list[int]) -> Iterator[str]:
    lb = free_port()
    env = {
        **os.environ,
        "LB_BIND": f"{HOST}:{lb}",
        "REPLICA1": f"{HOST}:{ports[0]}",
        "REPLICA2": f"{HOST}:{ports[1]}",
    }
    proc = subprocess.Popen([HAPROXY, "-db", "-f", str(REPO / "deploy" / "haproxy.cfg")], env=env)
    try:
        url = f"http://{HOST}:{lb}"
        wait_until(lambda: answers(url + "/readyz"), timeout=30)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _load(url: str, stop: threading.Event, outcome: dict[str, int]) -> None:
    with httpx.Client(base_url=url, timeout=10) as http:
        while not stop.is_set():
            try:
                ok = http.get("/api/search", params={"q": "How long did the Paris Commune last?"}).status_code
                outcome["ok" if ok == 200 else "failed"] += 1
            except httpx.HTTPError:
                outcome["failed"] += 1


def test_two_replicas_take_a_new_generation_and_lose_one_without_a_failed_request(
    cli_index: tuple[Settings, str], tmp_path: Path
) -> None:
    source, _ = cli_index
    build = source.replace(index_dir=tmp_path / "source", corpus_dir=tmp_path / "corpus")
    shutil.copytree(source.index_dir, build.index_dir)
    shutil.copytree(source.corpus_dir, build.corpus_dir)
    dirs = [tmp_path / "r1", tmp_path / "r2"]
    for d in dirs:
        assert run_indexer(["pull", str(build.index_dir)], build.replace(index_dir=d)).returncode == 0
    ports = [free_port(), free_port()]
    replicas = [_replica(d, p) for d, p in zip(dirs, ports, strict=True)]
    outcome = {"ok": 0, "failed": 0}
    stop = threading.Event()
    try:
        with _balancer(ports) as url:
            load = threading.Thread(target=_load, args=(url, stop, outcome))
            load.start()
            (build.corpus_dir / "new.txt").write_text("The quartermaster counted 4,217 blue umbrellas.")
            assert run_indexer(["build", "--no-progress"], build).returncode == 0
            new = store.read_current(build.index_dir)
            for d, p in zip(dirs, ports, strict=True):  # one replica, then the other
                assert run_indexer(["pull", str(build.index_dir)], build.replace(index_dir=d)).returncode == 0
                wait_until(lambda p=p: _generation(p) == new, timeout=60)
            replicas[1].send_signal(signal.SIGKILL)
            replicas[1].wait(timeout=30)
            time.sleep(2)  # HAProxy marks it down; the load goes on through the other
            replicas[1] = _replica(dirs[1], ports[1])
            time.sleep(2)
            stop.set()
            load.join()
            assert [_generation(p) for p in ports] == [new, new]
    finally:
        stop.set()
        for proc in replicas:
            proc.terminate()
            proc.wait(timeout=30)
    assert outcome["failed"] == 0 and outcome["ok"] > 50, outcome
