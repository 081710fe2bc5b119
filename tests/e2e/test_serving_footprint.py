"""A serving worker loads no build-time library: started as `make serve` starts it (two workers) and after
answering searches and a document page, no process of the service has mapped PyTorch (and so no
sentence-transformers model code), a reader's native library (pdfium, lexbor, lxml: python-docx needs lxml
too), Ray, or the evaluation's scikit-learn. (numba is not checked: bm25s imports it whenever it is
installed, which only the evaluation extra does; `make run` does not install it.)"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from service.harness import served_process, wait_until
from service.settings import Settings

pytestmark = pytest.mark.slow

BUILD_TIME = {
    "torch": "/site-packages/torch/",
    "pdfium (PDF reader)": "/site-packages/pypdfium2_raw/",
    "selectolax (HTML reader)": "/site-packages/selectolax/",
    "lxml (EPUB and DOCX readers)": "/site-packages/lxml/",
    "ray": "/site-packages/ray/",
    "scikit-learn (evaluation)": "/site-packages/sklearn/",
}
# What a worker must have mapped once it has answered: proves the maps are read and the worker served.
SERVING = {"onnxruntime": "/site-packages/onnxruntime/", "faiss": "/site-packages/faiss/"}


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (uvicorn's workers, multiprocessing's helpers)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").iterdir():
            children = (task / "children").read_text().split()
            todo.extend(int(c) for c in children)
    return found


def mapped(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


def test_no_worker_maps_a_build_time_library(cli_index: tuple[Settings, str]) -> None:
    settings, _ = cli_index
    env = {**settings.as_env(), "SEMSEARCH_WORKERS": "2"}
    with served_process(env) as served, httpx.Client(base_url=served.url, timeout=30) as http:
        doc = http.get("/readyz").json()
        assert doc["status"] == "ready" and "onnxruntime" in doc["query_encoder"]
        for i in range(40):  # enough requests that both workers answer some
            assert http.get("/api/search", params={"q": f"the soviets {i}"}).status_code == 200
            assert http.get("/", params={"q": "How long did the Paris Commune last?"}).status_code == 200
        hit = http.get("/api/search", params={"q": "soviets"}).json()["results"][0]
        assert http.get(f"/documents/{quote(hit['document'])}").status_code == 200
        workers = wait_until(
            lambda: [p for p in descendants(served.process.pid) if "onnxruntime" in mapped(p)], timeout=30
        )
        assert len(workers) == 2
        every = descendants(served.process.pid)
        for pid in every:
            maps = mapped(pid)
            loaded = [name for name, path in BUILD_TIME.items() if path in maps]
            assert loaded == [], f"process {pid} ({Path(f'/proc/{pid}/cmdline').read_bytes()[:80]!r})"
        for pid in workers:
            maps = mapped(pid)
            assert all(path in maps for path in SERVING.values()), re.findall(r"site-packages/(\w+)/", maps)
