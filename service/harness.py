"""Owns running the service on 127.0.0.1 for tests and benchmarks: in a thread (an app object) or as
`python -m service` in a child process, waiting until it answers."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any
from urllib.error import URLError
from urllib.request import urlopen

import uvicorn

HOST = "127.0.0.1"  # loopback only: tests and benchmarks never send traffic anywhere else


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def answers(url: str) -> bool:
    """True once `url` answers 200."""
    try:
        with urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (URLError, OSError):
        return False


def wait_until(predicate: Callable[[], Any], timeout: float = 60, interval: float = 0.05) -> Any:
    """Poll `predicate` until it returns something true; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


@contextlib.contextmanager
def live_server(app: Any, wait_ready: bool = True, timeout: float = 120) -> Iterator[str]:
    """Serve an app object with uvicorn in a thread of this process; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://{HOST}:{port}"
    try:
        wait_until(lambda: answers(base + ("/readyz" if wait_ready else "/healthz")), timeout)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass(frozen=True, slots=True)
class Served:
    url: str
    process: subprocess.Popen[bytes]
    ready_seconds: float  # from start to the first 200 of /readyz


@contextlib.contextmanager
def served_process(
    env: Mapping[str, str], timeout: float = 180, stderr: IO[bytes] | int | None = None
) -> Iterator[Served]:
    """`python -m service` (as `make serve` runs it) with these SEMSEARCH_* variables on a free port."""
    port = free_port()
    child_env = {
        **os.environ,
        "SEMSEARCH_LOG_LEVEL": "warning",
        **env,
        "SEMSEARCH_HOST": HOST,
        "SEMSEARCH_PORT": str(port),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "service"], env=child_env, stderr=stderr)
    base = f"http://{HOST}:{port}"
    try:

        def ready() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"the service exited with {proc.returncode}")
            return answers(base + "/readyz")

        wait_until(ready, timeout, interval=0.02)
        yield Served(base, proc, time.perf_counter() - started)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
