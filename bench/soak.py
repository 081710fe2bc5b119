"""`make soak`: the service under wrk at concurrency 16 for SOAK_SECONDS (600), re-indexing every minute."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.workload import build_index, private_corpus, run_wrk, service, tree_rss_mb, wrk_script


def main() -> int:
    seconds = int(os.environ.get("SOAK_SECONDS", "600"))
    every = int(os.environ.get("SOAK_REINDEX_EVERY", "60"))
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    corpus, index = private_corpus(work)
    build_index(corpus, index)
    with service(corpus, index) as (base, proc, _):
        start_rss = tree_rss_mb(proc.pid)
        stop = threading.Event()
        builds: list[str] = []

        def reindex() -> None:
            n = 0
            while not stop.wait(every):
                n += 1
                (corpus / "soak.txt").write_text(f"Soak round {n}: the clerk filed report number {n * 7919}.")
                try:
                    build_index(corpus, index)
                    builds.append("ok")
                except subprocess.CalledProcessError as exc:
                    builds.append(f"failed: {exc.stderr[-200:]}")

        thread = threading.Thread(target=reindex, daemon=True)
        thread.start()
        started = time.time()
        result = run_wrk(base, 16, seconds, wrk_script(work))
        stop.set()
        thread.join(timeout=120)
        end_rss = tree_rss_mb(proc.pid)
    print(
        f"soak: {seconds} s at concurrency 16 against {base}, re-index every {every} s "
        f"({len(builds)} re-indexes: {builds.count('ok')} ok)"
    )
    print(
        f"requests {result['requests']}  errors {result['errors']}  rps {result['rps']:.1f}  "
        f"p50 {result['p50']:.1f} ms  p99 {result['p99']:.1f} ms  (errors: {result['detail']})"
    )
    print(
        f"service memory (all its processes): {start_rss:.0f} MB at start, {end_rss:.0f} MB at end "
        f"(elapsed {time.time() - started:.0f} s)"
    )
    return 0 if result["errors"] == 0 and all(b == "ok" for b in builds) else 1


if __name__ == "__main__":
    sys.exit(main())
