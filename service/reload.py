"""Owns which generation the service answers from: loading, verifying, and hot-swapping on CURRENT changes."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from generation import store
from generation.model import Embedder
from query.config import Ranking
from query.encoders import ChosenEncoder
from query.searcher import Searcher

log = logging.getLogger("service.reload")


@dataclass(slots=True)
class IndexHolder:
    """The live Searcher: requests read `searcher` once; a swap replaces that single reference."""

    searcher: Searcher | None = None
    embedder: Embedder | None = None
    encoder: str = ""  # which query encoder serves, in words
    encoders_refused: dict[str, str] = field(default_factory=dict)  # better encoders skipped, and why
    status: str = "starting"  # starting | loading model | no index | ready
    last_error: str | None = None
    rejected: dict[str, str] = field(default_factory=dict)  # generation -> why it was refused


class Reloader:
    """Polls CURRENT; verifies and loads a new generation beside the old one, then swaps."""

    def __init__(
        self,
        root: store.Path,
        holder: IndexHolder,
        ranking: Ranking,
        on_swap: Callable[[Searcher], None] | None = None,
        verification: store.Verification = "checksums",
    ) -> None:
        self.root = root
        self.verification = verification
        self.ranking = ranking
        self.holder = holder
        self.on_swap = on_swap
        self._lock = threading.Lock()  # one load at a time (poller and admin job may both ask)

    def check(self) -> bool:
        """Load CURRENT if it names a generation we do not serve yet; True if a swap happened."""
        embedder = self.holder.embedder
        if embedder is None:
            return False
        with self._lock:
            name = store.read_current(self.root)
            current = self.holder.searcher
            if name is None:
                if current is None:
                    self.holder.status = "no index"
                    self.holder.last_error = f"no published generation in {self.root}"
                return False
            if (current is not None and current.name == name) or name in self.holder.rejected:
                return False
            started = time.perf_counter()
            try:
                generation = store.open_generation(
                    store.generations_dir(self.root) / name,
                    embedder.info.fingerprint,
                    embedder.info.dim,
                    self.verification,
                )
            except store.GenerationError as exc:
                self.holder.rejected[name] = str(exc)
                self.holder.last_error = str(exc)
                if current is None:
                    self.holder.status = "no index"
                log.error("refused generation %s: %s", name, exc)
                return False
            searcher = Searcher(generation, embedder, self.ranking)
            self.holder.searcher = searcher  # the swap: in-flight requests keep the old one
            self.holder.status = "ready"
            self.holder.last_error = None
            log.info(
                "serving generation %s (%d passages, loaded in %.2fs, %s checked)",
                name,
                len(generation.passages),
                time.perf_counter() - started,
                "checksums" if store.checks_checksums(generation.manifest, self.verification) else "sizes",
            )
        if self.on_swap:
            self.on_swap(searcher)
        return True

    async def start(self, load_encoder: Callable[[], ChosenEncoder]) -> None:
        """Load the model and the published generation (off the event loop). The app awaits this before
        it accepts connections, so a worker process never takes requests it cannot answer yet; failures
        are reported by /readyz instead of stopping the process."""
        if self.holder.embedder is None:
            self.holder.status = "loading model"
            try:
                chosen = await asyncio.to_thread(load_encoder)
            except Exception as exc:  # surface in /readyz rather than killing the process
                self.holder.status = "model error"
                self.holder.last_error = str(exc)
                log.exception("cannot load the model")
                return
            self.holder.embedder = chosen.embedder
            self.holder.encoder, self.holder.encoders_refused = chosen.label, chosen.refused
            log.info("query encoder: %s", chosen.label)
        elif not self.holder.encoder:  # an embedder handed in by the caller (tests)
            self.holder.encoder = getattr(self.holder.embedder, "label", type(self.holder.embedder).__name__)
        await self._check()

    async def poll(self, interval: float) -> None:
        """Keep the served generation in step with CURRENT."""
        while True:
            await asyncio.sleep(interval)
            await self._check()

    async def _check(self) -> None:
        try:
            await asyncio.to_thread(self.check)
        except Exception:  # keep polling: a transient I/O error must not stop hot swaps
            log.exception("reload check failed")
