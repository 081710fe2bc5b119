"""Owns the server's defence against slow and greedy clients, as uvicorn's HTTP protocol with two limits
it lacks: a request must arrive whole (headers and body) within SEMSEARCH_REQUEST_READ_TIMEOUT of its
first byte, or of the connection (else 408 and the connection closes), and one client address holds at
most SEMSEARCH_MAX_CONNECTIONS_PER_CLIENT connections per worker (more are answered 429 and closed at
once). Slow or idle connections then cannot fill the worker's SEMSEARCH_MAX_CONCURRENCY slots."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from functools import lru_cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from service.settings import Settings


@lru_cache(maxsize=1)
def limits() -> tuple[float, int]:
    """(request read timeout in seconds, connections per client address): read once per worker process
    from the environment the worker was started with (uvicorn builds a protocol per connection)."""
    settings = Settings.from_env(os.environ)
    return settings.request_read_timeout, settings.max_connections_per_client


LINGER = 1.0  # seconds a refused connection stays half-closed, so that the client reads the answer


def _reply(
    loop: asyncio.AbstractEventLoop, transport: asyncio.Transport, status: bytes, reason: bytes
) -> None:
    """A whole response that needs no request, then the connection closes: our side at once (FIN after
    the answer), the socket after LINGER (closing it with the client's unread bytes would send a reset,
    which can destroy the answer before the client reads it)."""
    transport.write(
        b"HTTP/1.1 " + status + b" " + reason + b"\r\n"
        b"content-type: text/plain; charset=utf-8\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    )
    if transport.can_write_eof():
        transport.write_eof()
        loop.call_later(LINGER, transport.close)
    else:
        transport.close()


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a request read timeout and a per-client connection cap."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_timeout, self.per_client = limits()
        self._deadline: asyncio.TimerHandle | None = None
        self._counted: str | None = None  # the client address this connection counts against
        self._done = False  # answered by this guard: what the client still sends is ignored

    def _clients(self) -> Counter[str]:
        # The worker's connections by client address, kept with uvicorn's own per-server state.
        counts: Counter[str] | None = getattr(self.server_state, "semsearch_clients", None)
        if counts is None:
            counts = Counter()
            self.server_state.semsearch_clients = counts  # type: ignore[attr-defined]
        return counts

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if peer else ""
        clients = self._clients()
        if address and clients[address] >= self.per_client:
            self._done = True
            self.transport = transport
            _reply(self.loop, transport, b"429", b"Too Many Requests")
            return
        if address:
            clients[address] += 1
            self._counted = address
        super().connection_made(transport)
        self._arm()  # a connection that never sends a request is closed too

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.read_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport is not None and not self.transport.is_closing():
            if self.cycle is None or not self.cycle.response_started:
                self._done = True
                self.connections.discard(self)  # its slot is free from now on
                _reply(self.loop, self.transport, b"408", b"Request Timeout")
            else:
                self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self._done:
            return
        super().data_received(data)

    def on_message_begin(self) -> None:
        if self._deadline is None:  # a later request on a kept-alive connection; the first has its own
            self._arm()
        super().on_message_begin()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._counted is not None:
            clients = self._clients()
            clients[self._counted] -= 1
            if clients[self._counted] <= 0:
                del clients[self._counted]
            self._counted = None
        if self._done and self.flow is None:  # refused before uvicorn's protocol took the connection
            return
        super().connection_lost(exc)
