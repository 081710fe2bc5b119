"""SIGKILL the build at 24 moments across its phases: the service keeps answering from a verified
generation, `python -m indexer verify` passes after every kill, and the next build succeeds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx

from indexer import store
from indexer.build import build
from indexer.embedding import SentenceTransformerEmbedder
from service.app import create_app
from service.harness import live_server
from service.settings import Settings
from tests.corpus import REPO

# (phase line printed by the build, seconds to wait after it before SIGKILL)
KILL_POINTS = [
    ("phase loading", 0.0),
    ("phase loading", 0.01),
    ("phase chunking", 0.0),
    ("phase chunking", 0.02),
    ("phase embedding: ", 0.0),
    ("phase embedding: ", 0.05),
    ("phase embedding:", 0.5),
    ("phase embedding:", 2.0),
    ("phase embedding:", 4.0),
    ("phase embedding:", 6.0),
    ("phase embedding:", 8.0),
    ("phase writing", 0.0),
    ("phase writing", 0.002),
    ("phase writing", 0.005),
    ("phase writing", 0.01),
    ("phase writing", 0.02),
    ("phase writing", 0.05),
    ("phase publishing", 0.0),
    ("phase publishing", 0.0005),
    ("phase publishing", 0.002),
    ("phase publishing", 0.01),
    ("phase pruning", 0.0),
    ("phase pruning", 0.001),
    ("phase pruning", 0.01),
]


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "SEMSEARCH_CORPUS_DIR": str(settings.corpus_dir),
        "SEMSEARCH_INDEX_DIR": str(settings.index_dir),
        "PYTHONUNBUFFERED": "1",
    }


def _kill_build_at(settings: Settings, phase: str, delay: float) -> bool:
    """Start a build, SIGKILL it `delay` s after it prints `phase`; True if it was killed before finishing."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "indexer", "build", "--no-progress"],
        cwd=REPO,
        env=_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith(phase):
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=300)
    return proc.returncode == -signal.SIGKILL


def test_sigkill_at_any_moment_never_breaks_the_index(
    fresh_settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    build(fresh_settings, lambda: embedder, info=embedder.info, progress=False)
    failures: list[str] = []
    stop = threading.Event()

    with live_server(create_app(fresh_settings, embedder)) as url:

        def query_loop() -> None:
            with httpx.Client(base_url=url, timeout=30) as http:
                while not stop.is_set():
                    r = http.get("/api/search", params={"q": "How long did the Paris Commune last"})
                    if r.status_code != 200:
                        failures.append(f"{r.status_code} {r.text[:200]}")
                    time.sleep(0.02)

        loop = threading.Thread(target=query_loop)
        loop.start()
        try:
            killed = 0
            for n, (phase, delay) in enumerate(KILL_POINTS):
                # New text every round, so the build has something to embed and write.
                extra = fresh_settings.corpus_dir / f"extra-{n}.txt"
                extra.write_text(
                    "\n\n".join(
                        f"Round {n}, note {i}: the delegates met on day {n * 100 + i}." for i in range(40)
                    )
                )
                killed += _kill_build_at(fresh_settings, phase, delay)
                verified = subprocess.run(
                    [sys.executable, "-m", "indexer", "verify"],
                    cwd=REPO,
                    env=_env(fresh_settings),
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                assert verified.returncode == 0, f"after kill at {phase}+{delay}: {verified.stderr}"
                ready = httpx.get(f"{url}/readyz")
                assert ready.status_code == 200, ready.text
            assert killed >= 20, f"only {killed} builds were killed before they finished"
        finally:
            stop.set()
            loop.join()
        assert not failures, failures[:5]
        final = build(fresh_settings, lambda: embedder, info=embedder.info, progress=False)
        assert final.documents == 1 + len(KILL_POINTS)
        leftovers = [
            p.name
            for p in store.generations_dir(fresh_settings.index_dir).iterdir()
            if p.name.startswith(store.TMP_PREFIX)
        ]
        assert leftovers == []
        store.verify(store.generations_dir(fresh_settings.index_dir) / final.generation)
