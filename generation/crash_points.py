"""Owns the build's named crash points: a test sets SEMSEARCH_TEST_KILL_AT=<point> and the build SIGKILLs
itself there, so every moment of a build can be hit deterministically, without sleeping and guessing."""

from __future__ import annotations

import os
import signal

KILL_AT = "SEMSEARCH_TEST_KILL_AT"  # test-only: never set it on a real deployment
# Test-only too: "encoder" makes the Ray encoder actors raise on their first batch.
FAIL_AT = "SEMSEARCH_TEST_FAIL_AT"

# In the order a build passes them.
POINTS = (
    "chunked",  # corpus read and chunked, before the build lock
    "locked",  # build lock held, leftovers pruned
    "embedded-batch",  # after the first batch of new vectors is cached
    "embedded",
    "files-written",  # generation files written under the temporary name, no manifest yet
    "manifest-written",  # manifest fsynced, folder not yet renamed
    "renamed",  # generation folder in place, CURRENT not yet replaced
    "current-temp-written",  # new CURRENT written beside the old one, not yet swapped in
    "published",  # CURRENT replaced
    "pruning",  # during removal of old generations
    "export-temp-written",  # query encoder written under a temporary name, not yet accepted
)


def crash_point(name: str) -> None:
    """SIGKILL this process if a test asked for a crash at `name` (read at each call: child builds)."""
    if os.environ.get(KILL_AT) == name:
        os.kill(os.getpid(), signal.SIGKILL)
