"""Owns what the benchmarks run: a private corpus copy, builds, the questions, and wrk with its script.
The service itself is started by service.harness, as in the tests."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from service.harness import served_process

REPO = Path(__file__).resolve().parent.parent
DEV = REPO / "eval" / "questions" / "seed-dev.jsonl"


def questions() -> list[str]:
    return [json.loads(line)["question"] for line in DEV.read_text().splitlines() if line.strip()]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (the service's worker processes)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += rss_mb(current)
        todo += children(current)
    return total


def children(pid: int) -> list[int]:
    return [
        int(c)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for c in (task / "children").read_text().split()
    ]


def uss_mb(pid: int) -> float:
    """Unique set size: the memory only this process holds (private pages; shared file pages excluded)."""
    total = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            total += int(line.split()[1])
    return total / 1024


def env_for(corpus: Path, index: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "SEMSEARCH_CORPUS_DIR": str(corpus),
        "SEMSEARCH_INDEX_DIR": str(index),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        **extra,
    }


def build_index(corpus: Path, index: Path, **extra: str) -> dict[str, Any]:
    """`python -m indexer build` on this corpus and index (SEMSEARCH_* in `extra`); its JSON summary."""
    out = subprocess.run(
        [sys.executable, "-m", "indexer", "build", "--no-progress", "--json"],
        cwd=REPO,
        env=env_for(corpus, index, **extra),
        capture_output=True,
        text=True,
        check=True,
    )
    summary: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return summary


@contextlib.contextmanager
def service(corpus: Path, index: Path, **extra: str) -> Iterator[tuple[str, subprocess.Popen[bytes], float]]:
    """`python -m service` on this index; yield (base URL, process, seconds to the first 200 of /readyz)."""
    with served_process(env_for(corpus, index, **extra)) as served:
        yield served.url, served.process, served.ready_seconds


def private_corpus(work: Path) -> tuple[Path, Path]:
    corpus, index = work / "corpus", work / "index"
    if corpus.exists():
        shutil.rmtree(corpus)
    shutil.copytree(REPO / "seeds", corpus)
    return corpus, index


def wrk_script(work: Path, base_path: str = "/api/search?k=5&q=") -> Path:
    """A wrk Lua script that rotates through the dev questions."""
    paths = [base_path + quote_plus(q) for q in questions()]
    lua = (
        "local paths = {"
        + ",".join(json.dumps(p) for p in paths)
        + "}\n"
        + (
            "local i = 0\nrequest = function()\n  i = i % #paths + 1\n"
            "  return wrk.format('GET', paths[i])\nend\n"
        )
    )
    path = work / "rotate.lua"
    path.write_text(lua)
    return path


def run_wrk(url: str, connections: int, seconds: int, script: Path) -> dict[str, Any]:
    """wrk with --latency: requests/s, p50/p99 (ms), requests, errors (socket errors and non-2xx)."""
    threads = min(2, connections)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)", out, re.MULTILINE)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(int(g) for g in sock.groups()) if sock else 0)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    detail = "; ".join(m.group(0) for m in (non2xx, sock) if m) or "none"
    return {
        "rps": rps,
        "p50": ms("50"),
        "p99": ms("99"),
        "requests": requests,
        "errors": errors,
        "detail": detail,
    }
