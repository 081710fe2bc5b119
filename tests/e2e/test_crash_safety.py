"""SIGKILL the build at every named moment of its phases (deterministically: the build kills itself at the
point a test names), then at a few random moments with the real model: the service keeps answering from a
verified generation, verification passes after every kill, and the next build succeeds and cleans up."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from generation import store
from generation.crash_points import KILL_AT, POINTS
from generation.model import model_info
from generation.onnx_model import is_complete, onnx_path
from indexer.settings import BuildSettings
from service.app import create_app
from service.harness import live_server
from service.settings import Settings
from tests.corpus import REPO, build_settings, index
from tests.fakes import FakeEmbedder


def _child(module: str, settings: BuildSettings, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", module, *(["build", "--no-progress"] if module == "indexer" else [])],
        cwd=REPO,
        env={**os.environ, **settings.as_env(), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _add_text(settings: BuildSettings, n: int) -> None:
    """New text every round, so each build has something to embed and write."""
    (settings.corpus_dir / f"extra-{n}.txt").write_text(
        "\n\n".join(f"Round {n}, note {i}: the delegates met on day {n * 100 + i}." for i in range(40))
    )


def _assert_whole(settings: BuildSettings, fingerprint: str) -> None:
    name = store.read_current(settings.index_dir)
    assert name is not None
    store.verify(store.generations_dir(settings.index_dir) / name, fingerprint)


def _leftovers(settings: BuildSettings) -> list[str]:
    gens = store.generations_dir(settings.index_dir)
    return [p.name for p in gens.iterdir() if p.name.startswith(store.TMP_PREFIX)]


@pytest.fixture()
def serving(fresh_settings: Settings, fake: FakeEmbedder) -> Iterator[tuple[BuildSettings, list[str]]]:
    """The fake-built essay served while the test works, queried in a loop; yields the build's settings and
    the failures seen."""
    settings = build_settings(fresh_settings, keep_generations=1)  # every build also prunes
    index(settings, fake)
    failures: list[str] = []
    stop = threading.Event()
    with live_server(create_app(fresh_settings, fake)) as url:

        def query_loop() -> None:
            with httpx.Client(base_url=url, timeout=30) as http:
                while not stop.is_set():
                    r = http.get("/api/search", params={"q": "How long did the Paris Commune last"})
                    if r.status_code != 200 or http.get("/readyz").status_code != 200:
                        failures.append(f"{r.status_code} {r.text[:200]}")
                    time.sleep(0.02)

        loop = threading.Thread(target=query_loop)
        loop.start()
        try:
            yield settings, failures
        finally:
            stop.set()
            loop.join()


def test_a_kill_at_every_named_point_never_breaks_the_index(
    serving: tuple[BuildSettings, list[str]], fake: FakeEmbedder
) -> None:
    settings, failures = serving
    points = [p for p in POINTS if p != "export-temp-written"]  # the fake build exports nothing
    for n, point in enumerate(points):
        _add_text(settings, n)
        child = _child("tests.e2e.fake_build", settings, **{KILL_AT: point})
        _, err = child.communicate(timeout=300)
        assert child.returncode == -signal.SIGKILL, f"{point} was never reached: {err[-500:]}"
        _assert_whole(settings, fake.info.fingerprint)
    final = index(settings, fake)
    assert final.documents == 1 + len(points)
    assert _leftovers(settings) == []
    _assert_whole(settings, fake.info.fingerprint)
    assert not failures, failures[:5]


@pytest.mark.slow
def test_kills_of_the_real_build_and_its_export_never_break_the_index(fresh_settings: Settings) -> None:
    """`python -m indexer build` with the real model: killed while exporting the query encoder, then at
    random moments while it runs; each time the published index verifies, and the next build finishes the
    export."""
    settings = build_settings(fresh_settings, export_query_encoder=True)
    info = model_info(settings.model)
    started = time.monotonic()
    assert _child("indexer", settings).wait(timeout=600) == 0
    whole_build = time.monotonic() - started
    for path in onnx_path(settings.index_dir, info).parent.iterdir():
        path.unlink()  # the next build exports again
    _add_text(settings, 0)
    child = _child("indexer", settings, **{KILL_AT: "export-temp-written"})
    assert child.wait(timeout=600) == -signal.SIGKILL
    _assert_whole(settings, info.fingerprint)
    assert not is_complete(onnx_path(settings.index_dir, info, int8=True))
    rng = random.Random(8)
    texts = iter(range(1, 100))
    for _ in range(2):
        # Within the first build's time (that one also exported): a kill that lands after the build has
        # finished tests nothing, so the child must still be running when it comes. On a busy machine the
        # first build can take longer than the next: then that build is left whole and the next is killed
        # sooner.
        delay = rng.uniform(0.1, 0.6) * whole_build
        for _attempt in range(4):
            _add_text(settings, next(texts))
            child = _child("indexer", settings)
            time.sleep(delay)
            if child.poll() is None:
                break
            assert child.returncode == 0
            _assert_whole(settings, info.fingerprint)
            delay /= 2
        assert child.poll() is None, "every build ended before its kill"
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=60) == -signal.SIGKILL
        _assert_whole(settings, info.fingerprint)
    done = _child("indexer", settings)
    assert done.wait(timeout=600) == 0
    _assert_whole(settings, info.fingerprint)
    assert is_complete(onnx_path(settings.index_dir, info)) and is_complete(
        onnx_path(settings.index_dir, info, int8=True)
    )
    assert _leftovers(settings) == []
    assert not list(onnx_path(settings.index_dir, info).parent.glob("*.tmp"))
