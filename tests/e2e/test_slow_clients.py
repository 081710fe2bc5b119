"""Slow and greedy clients cannot take the service down: while hundreds of connections from one address
(127.0.0.2) send their headers a line at a time, normal requests from 127.0.0.1 are answered, at once;
each slow connection is answered 429 (over the per-client cap) or 408 (too slow) and closed; an idle
connection and a slow body are closed with 408 too. Bounded in count and time, loopback only."""

from __future__ import annotations

import contextlib
import socket
import statistics
import threading
import time

import httpx
import pytest

from service.harness import HOST, served_process
from service.settings import Settings

pytestmark = pytest.mark.slow
ATTACKER = "127.0.0.2"
SLOW = 300  # connections the attacker opens (the per-client cap lets 16 per worker in)
TIMEOUT = 1.0  # SEMSEARCH_REQUEST_READ_TIMEOUT for the test


def _connect(port: int) -> socket.socket:
    s = socket.socket()
    s.bind((ATTACKER, 0))
    s.settimeout(10)
    s.connect((HOST, port))
    return s


def _answer(sock: socket.socket) -> str | None:
    """What the server has answered on this connection so far: its status code, "closed", or None."""
    try:
        data = sock.recv(200, socket.MSG_DONTWAIT)
    except BlockingIOError:
        return None
    except OSError:
        return "closed"
    return data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else "closed"


def _attack(port: int, answers: dict[int, str], stop: threading.Event) -> None:
    """Open SLOW connections as fast as possible, then trickle a header line every 0.5 s into each the
    server has not answered yet; note each answer."""
    socks: list[socket.socket] = []
    for _ in range(SLOW):
        with contextlib.suppress(OSError):
            s = _connect(port)
            s.sendall(b"GET /api/search?q=slow HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
    while not stop.wait(0.5):
        for i, s in enumerate(socks):
            if i in answers:
                continue
            answer = _answer(s)
            if answer is not None:
                answers[i] = answer
            else:
                with contextlib.suppress(OSError):
                    s.sendall(b"X-Slow: 1\r\n")
    for i, s in enumerate(socks):
        answers.setdefault(i, _answer(s) or "open")
        s.close()


def _status(sock: socket.socket) -> str:
    """The status code the server answered with (waiting up to a second), or "closed" / "open"."""
    sock.settimeout(1.0)
    try:
        data = sock.recv(200)
    except TimeoutError:
        return "open"
    except OSError:
        return "closed"
    return data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else "closed"


def test_slow_connections_from_one_client_leave_the_service_to_others(
    cli_index: tuple[Settings, str],
) -> None:
    settings, _ = cli_index
    env = {**settings.as_env(), "SEMSEARCH_REQUEST_READ_TIMEOUT": str(TIMEOUT)}
    with served_process(env) as served:
        port = int(served.url.rsplit(":", 1)[1])
        answers: dict[int, str] = {}
        stop = threading.Event()
        attacker = threading.Thread(target=_attack, args=(port, answers, stop))
        attacker.start()
        latencies, failures = [], 0
        deadline = time.monotonic() + 3 * TIMEOUT
        while time.monotonic() < deadline:  # new connections, from the first moment of the attack
            started = time.perf_counter()
            try:
                r = httpx.get(f"{served.url}/api/search", params={"q": "the soviets"}, timeout=5)
                failures += r.status_code != 200
            except httpx.HTTPError:
                failures += 1
            latencies.append(time.perf_counter() - started)
        time.sleep(TIMEOUT)  # the last slow ones time out
        stop.set()
        attacker.join()
    codes = list(answers.values())
    assert len(codes) >= SLOW * 0.9
    assert failures <= 0.01 * len(latencies), f"{failures} of {len(latencies)} normal requests failed"
    assert statistics.quantiles(latencies, n=100)[98] < 1.0
    assert "open" not in codes, "every slow connection was answered and closed"
    assert codes.count("429") >= SLOW - 2 * 16 - 10 and codes.count("408") >= 1, set(codes)


def test_an_idle_connection_and_a_slow_body_are_closed(cli_index: tuple[Settings, str]) -> None:
    settings, _ = cli_index
    env = {**settings.as_env(), "SEMSEARCH_REQUEST_READ_TIMEOUT": str(TIMEOUT), "SEMSEARCH_WORKERS": "1"}
    with served_process(env) as served:
        port = int(served.url.rsplit(":", 1)[1])
        idle = _connect(port)
        body = _connect(port)
        body.sendall(
            b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        started = time.monotonic()
        time.sleep(TIMEOUT + 0.5)
        assert _status(idle) == "408" and _status(body) == "408"
        assert time.monotonic() - started < TIMEOUT + 3
        ok = httpx.get(f"{served.url}/api/search", params={"q": "the soviets"}, timeout=5)
        assert ok.status_code == 200
        idle.close()
        body.close()
