"""Under load: a burst of admin requests starts one build (1 or 2 workers); 8 clients see no failure."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from generation import store
from generation.torch_model import SentenceTransformerEmbedder
from service.app import create_app
from service.harness import live_server, served_process, wait_until
from service.settings import Settings
from tests.corpus import index


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def _new_text(settings: Settings, n: int) -> None:
    (settings.corpus_dir / "extra.txt").write_text(
        "\n\n".join(f"Cycle {n}, entry {i}: the committee counted {n * 1000 + i} ballots." for i in range(60))
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_burst_of_50_admin_requests_starts_exactly_one_build(
    fresh_settings: Settings, embedder: SentenceTransformerEmbedder, workers: int
) -> None:
    index(fresh_settings, embedder)
    settings = fresh_settings.replace(admin_token="burst-token")
    auth = {"Authorization": "Bearer burst-token"}
    _new_text(settings, 1)
    with contextlib.ExitStack() as stack:
        if workers == 1:
            url = stack.enter_context(live_server(create_app(settings, embedder)))
        else:
            # Worker processes share the jobs through the index directory: still exactly one build.
            env = {
                **settings.as_env(),
                "SEMSEARCH_WORKERS": str(workers),
                "SEMSEARCH_ADMIN_TOKEN": "burst-token",
                # The 50 clients share one address here; the per-client cap (16 per worker) would
                # answer some of them 429, which is its own test (tests/e2e/test_slow_clients.py).
                "SEMSEARCH_MAX_CONNECTIONS_PER_CLIENT": "64",
            }
            url = stack.enter_context(served_process(env)).url
        barrier = threading.Barrier(50)

        def post(_: int) -> httpx.Response:
            barrier.wait()
            return httpx.post(f"{url}/api/admin/reindex", headers=auth, timeout=30)

        with ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(post, range(50)))
        assert {a.status_code for a in answers} == {202}
        jobs = {a.json()["job"] for a in answers}
        assert len(jobs) == 1, jobs
        assert sum(a.json()["new"] for a in answers) == 1
        job = jobs.pop()
        done = wait_until(
            lambda: (
                (s := httpx.get(f"{url}/api/admin/reindex/{job}", headers=auth).json())["state"] != "running"
                and s
            ),
            timeout=300,
        )
        assert done["state"] == "succeeded"


def test_eight_clients_across_five_reindex_cycles(
    fresh_settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    index(fresh_settings, embedder)
    seen: list[tuple[int, str, int]] = []
    stop = threading.Event()
    questions = [
        "How long did the Paris Commune last?",
        "What did Lenin say about the party?",
        "How many ballots did the committee count?",
        "Who attacked Paris?",
    ]

    with live_server(create_app(fresh_settings, embedder)) as url:

        def client(n: int) -> None:
            with httpx.Client(base_url=url, timeout=60) as http:
                i = n
                while not stop.is_set():
                    r = http.get("/api/search", params={"q": questions[i % len(questions)], "k": 5})
                    i += 1
                    body = r.json() if r.status_code == 200 else {}
                    index = body.get("index", {})
                    seen.append((r.status_code, index.get("generation", ""), index.get("passages", -1)))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        memory: list[int] = []
        generations: list[str] = []
        try:
            for cycle in range(5):
                _new_text(fresh_settings, cycle + 10)
                name = index(fresh_settings, embedder).generation
                generations.append(name)
                wait_until(
                    lambda name=name: httpx.get(f"{url}/readyz").json()["generation"] == name, timeout=60
                )
                wait_until(lambda name=name: any(g == name for _, g, _ in seen[-50:]), timeout=60)
                memory.append(_rss_bytes())
        finally:
            stop.set()
            for t in threads:
                t.join()
    assert seen and {status for status, _, _ in seen} == {200}, [s for s in seen if s[0] != 200][:5]
    # Every answer names one complete generation: the passage count it reports is that generation's.
    counts: dict[str, set[int]] = {}
    for _, gen, passages in seen:
        counts.setdefault(gen, set()).add(passages)
    for gen, values in counts.items():
        manifest = (
            store.read_manifest(store.generations_dir(fresh_settings.index_dir) / gen)
            if (store.generations_dir(fresh_settings.index_dir) / gen).exists()
            else None
        )
        assert len(values) == 1, (gen, values)
        if manifest:
            assert values == {manifest["passages"]}
    assert generations[-1] in counts
    assert memory[-1] <= memory[0] * 1.10, f"RSS grew from {memory[0]:,} to {memory[-1]:,} bytes over 4 swaps"
