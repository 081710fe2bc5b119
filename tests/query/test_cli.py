"""The command line answers as the service does: `python -m indexer search` (and `semsearch search`) encode
the question with the int8 ONNX graph, never load PyTorch, and print the API's JSON with --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from generation import store
from service.settings import Settings
from tests.corpus import REPO

QUESTION = "How long did the Paris Commune last?"
# Runs a command line in this interpreter, then says on stderr whether PyTorch was ever imported.
PROBE = (
    "import sys, runpy\n"
    "sys.argv = sys.argv[1:]\n"
    "try:\n"
    "    runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
    "except SystemExit as done:\n"
    "    code = done.code\n"
    "print('torch loaded' if 'torch' in sys.modules else 'no torch', file=sys.stderr)\n"
    "raise SystemExit(code)\n"
)


def _run(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=REPO,
        env={**os.environ, **settings.as_env()},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_search_prints_the_api_answer_without_loading_torch(cli_index: tuple[Settings, str]) -> None:
    settings, _ = cli_index
    done = _run(settings, "indexer", "search", QUESTION, "-k", "3", "--json")
    assert done.returncode == 0, done.stderr
    assert "no torch" in done.stderr
    answer = json.loads(done.stdout)
    assert answer["query"] == QUESTION and len(answer["results"]) == 3
    gen = store.open_current(settings.index_dir)
    first = answer["results"][0]
    document = gen.documents[first["document"]].text
    assert document[first["start"] : first["end"]] == first["text"]
    s, e = first["highlight"]["start"], first["highlight"]["end"]
    assert "76 days" in first["text"][s:e]


def test_the_semsearch_command_runs_each_side(cli_index: tuple[Settings, str]) -> None:
    settings, _ = cli_index
    done = _run(settings, "semsearch.cli", "search", QUESTION, "--json")
    assert done.returncode == 0, done.stderr
    assert "no torch" in done.stderr and json.loads(done.stdout)["results"]
    verified = _run(settings, "semsearch.cli", "verify")
    assert verified.returncode == 0 and "OK" in verified.stdout
    unknown = _run(settings, "semsearch.cli", "frobnicate")
    assert unknown.returncode == 2 and "unknown command" in unknown.stderr
