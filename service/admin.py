"""Owns admin re-index jobs: token check, one build at a time, job states."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hmac
import json
import logging
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from generation import store
from generation.settings import Location
from service.errors import Conflict

log = logging.getLogger("service.admin")


def token_matches(configured: str, authorization: str | None) -> bool:
    """Constant-time comparison of an `Authorization: Bearer <token>` header with the configured token."""
    if not authorization or not authorization.startswith("Bearer "):
        return False
    given = authorization[len("Bearer ") :].strip().encode("utf-8", "surrogateescape")
    return hmac.compare_digest(given, configured.encode("utf-8"))


JOB_ID = re.compile(r"^[0-9a-f]{16}$")
KEEP_JOBS = 100


@dataclass(slots=True)
class Job:
    """A re-index job, as its record file and the API show it."""

    job: str  # its id
    state: str = "running"  # running | succeeded | failed
    started: float = field(default_factory=time.time)
    finished: float | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        return cls(**data)


class ReindexJobs:
    """Runs `python -m indexer build` in a child process (torch stays out of the service, and a crash of
    the build cannot take the service down); a request while one runs gets that job back.

    Job records live in `<index>/jobs/` and the running build holds a file lock, so every worker process
    of the service sees the same jobs and only one build runs whichever worker was asked."""

    def __init__(self, settings: Location, after: Callable[[], Any]) -> None:
        self.after = after  # e.g. an immediate reload check, so the new generation serves at once
        self.settings = settings
        self.dir = settings.index_dir / "jobs"
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def _decide(self) -> Iterator[None]:
        """Serialises start/get decisions across threads and processes."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with self._lock, (self.dir / ".meta.lock").open("w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _try_job_lock(self) -> TextIO | None:
        """The open lock file if no build runs (held until closed; the kernel drops it if we die)."""
        # The job's own lock: one re-index job at a time whichever worker starts it. The child build then
        # takes the index's build lock (generation.store.build_lock), which also keeps out builds started
        # elsewhere (`make index`): such a job fails with "another build is already running".
        fh = (self.dir / ".job.lock").open("w")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return None
        return fh

    def _save(self, job: Job) -> None:
        store.write_atomic(self.dir / f"{job.job}.json", json.dumps(job.as_dict()))

    def _load(self, job_id: str) -> Job | None:
        if not JOB_ID.match(job_id):  # ids are ours: never a path from the request
            return None
        try:
            return Job.from_dict(json.loads((self.dir / f"{job_id}.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _running_id(self) -> str:
        try:
            return (self.dir / "RUNNING").read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def start(self) -> tuple[Job, bool]:
        """The running job, or a newly started one; the flag says whether it is new."""
        with self._decide():
            held = self._try_job_lock()
            if held is None:
                running = self._load(self._running_id())
                if running is not None:
                    return running, False
                raise Conflict("a re-index is running but its job record is missing; try again when it ends")
            job = Job(secrets.token_hex(8))
            self._save(job)
            store.write_atomic(self.dir / "RUNNING", job.job)
            records = sorted(self.dir.glob("*.json"), key=lambda p: p.stat().st_mtime)
            for old in records[:-KEEP_JOBS]:  # keep the last jobs' reports
                old.unlink(missing_ok=True)
        threading.Thread(target=self._run, args=(job, held), name=f"reindex-{job.job}", daemon=True).start()
        return job, True

    def _run(self, job: Job, held: TextIO) -> None:
        # The build reads its own settings from the environment; the service hands it where to work.
        env = {**os.environ, **self.settings.as_env(only=Location), "PYTHONUNBUFFERED": "1"}
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
            else:
                lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
                job.state, job.error = (
                    "failed",
                    (lines[-1] if lines else f"build exited with {done.returncode}"),
                )
                log.error("re-index %s failed: %s", job.job, job.error)
        except Exception as exc:  # report on the job: the service must outlive any build problem
            job.state, job.error = "failed", f"internal error: {type(exc).__name__}"
            log.exception("re-index %s crashed", job.job)
        finally:
            job.finished = time.time()
            # The final record is written before the lock is released: a job whose record says
            # "running" while nobody holds the lock was cut off (see get).
            with contextlib.suppress(OSError):
                self._save(job)
            held.close()
        if job.state == "succeeded":
            self.after()

    def get(self, job_id: str) -> Job | None:
        with self._decide():
            job = self._load(job_id)
            if job is not None and job.state == "running":
                held = self._try_job_lock()
                if held is not None:  # its process died mid-build
                    held.close()
                    job.state, job.error, job.finished = (
                        "failed",
                        "interrupted: the service stopped",
                        time.time(),
                    )
                    self._save(job)
            return job
