"""Owns admin re-index jobs: token check, one build at a time, job states."""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from indexer.build import BuildError, build
from indexer.embedding import Embedder
from indexer.settings import IndexSettings
from indexer.store import GenerationError

log = logging.getLogger("service.admin")


def token_matches(configured: str, authorization: str | None) -> bool:
    """Constant-time comparison of an `Authorization: Bearer <token>` header with the configured token."""
    if not authorization or not authorization.startswith("Bearer "):
        return False
    given = authorization[len("Bearer ") :].strip().encode("utf-8", "surrogateescape")
    return hmac.compare_digest(given, configured.encode("utf-8"))


@dataclass(slots=True)
class Job:
    job_id: str
    state: str = "running"  # running | succeeded | failed
    started: float = field(default_factory=time.time)
    finished: float | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": self.job_id,
            "state": self.state,
            "started": self.started,
            "finished": self.finished,
            "summary": self.summary,
            "error": self.error,
        }


class ReindexJobs:
    """Runs builds in a background thread; a request while one runs gets that job back."""

    def __init__(
        self, settings: IndexSettings, get_embedder: Callable[[], Embedder], after: Callable[[], Any]
    ) -> None:
        self.settings = settings
        self.get_embedder = get_embedder
        self.after = after  # e.g. an immediate reload check, so the new generation serves at once
        self.jobs: dict[str, Job] = {}
        self._running: Job | None = None
        self._lock = threading.Lock()

    def start(self) -> tuple[Job, bool]:
        """The running job, or a newly started one; the flag says whether it is new."""
        with self._lock:
            if self._running is not None:
                return self._running, False
            job = Job(secrets.token_hex(8))
            self.jobs[job.job_id] = job
            self._running = job
            # Keep the last 100 jobs' reports.
            for old in list(self.jobs)[:-100]:
                del self.jobs[old]
        threading.Thread(target=self._run, args=(job,), name=f"reindex-{job.job_id}", daemon=True).start()
        return job, True

    def _run(self, job: Job) -> None:
        try:
            summary = build(self.settings, self.get_embedder, progress=False)
            job.summary = summary.as_dict()
            job.state = "succeeded"
            self.after()
        except (BuildError, GenerationError, OSError, ValueError) as exc:
            job.state, job.error = "failed", str(exc)
            log.error("re-index %s failed: %s", job.job_id, exc)
        except Exception as exc:  # a bug in the build must not kill the service; report it on the job
            job.state, job.error = "failed", f"internal error: {type(exc).__name__}"
            log.exception("re-index %s crashed", job.job_id)
        finally:
            job.finished = time.time()
            with self._lock:
                self._running = None

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)
