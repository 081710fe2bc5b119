"""Owns admin re-index jobs: token check, one build at a time, job states."""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from indexer.settings import IndexSettings

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
    """Runs `python -m indexer build` in a child process (torch stays out of the service, and a crash of
    the build cannot take the service down); a request while one runs gets that job back."""

    def __init__(self, settings: IndexSettings, after: Callable[[], Any]) -> None:
        self.settings = settings
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
            for old in list(self.jobs)[:-100]:  # keep the last 100 jobs' reports
                del self.jobs[old]
        threading.Thread(target=self._run, args=(job,), name=f"reindex-{job.job_id}", daemon=True).start()
        return job, True

    def _run(self, job: Job) -> None:
        env = {**os.environ, **self.settings.as_env(), "PYTHONUNBUFFERED": "1"}
        env.pop("SEMSEARCH_ADMIN_TOKEN", None)  # the build does not need it; keep it out of children
        try:
            done = subprocess.run(
                [sys.executable, "-m", "indexer", "build", "--no-progress", "--json"],
                env=env,
                capture_output=True,
                text=True,
                timeout=24 * 3600,
            )
            if done.returncode == 0:
                job.summary = json.loads(done.stdout.strip().splitlines()[-1])
                job.state = "succeeded"
                self.after()
            else:
                lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
                job.state, job.error = (
                    "failed",
                    (lines[-1] if lines else f"build exited with {done.returncode}"),
                )
                log.error("re-index %s failed: %s", job.job_id, job.error)
        except Exception as exc:  # report on the job: the service must outlive any build problem
            job.state, job.error = "failed", f"internal error: {type(exc).__name__}"
            log.exception("re-index %s crashed", job.job_id)
        finally:
            job.finished = time.time()
            with self._lock:
                self._running = None

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)
