"""Where the tests' data lives (all inside the repository) and how a test runs the indexer's CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from generation.model import Embedder
from generation.settings import Location
from indexer.build import BuildSummary, build
from indexer.settings import BuildSettings

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
ESSAY = "paris-commune-in-perspective.txt"
DEV_QUESTIONS = REPO / "eval" / "questions" / "seed-dev.jsonl"
OFF_TOPIC = REPO / "eval" / "questions" / "out-of-domain.txt"


def copy_seeds(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEEDS / ESSAY, dest / ESSAY)
    return dest


def run_indexer(
    args: list[str], settings: Any, timeout: float = 600, **env: str
) -> subprocess.CompletedProcess[str]:
    """`python -m indexer ARGS` in a child process, with `settings` passed as SEMSEARCH_* variables."""
    return subprocess.run(
        [sys.executable, "-m", "indexer", *args],
        cwd=REPO,
        env={**os.environ, **settings.as_env(), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def build_settings(settings: Location, **overrides: Any) -> BuildSettings:
    """The build's settings for the corpus, index and model of `settings` (the service's or the build's
    own), without the query encoder export unless asked (`cli_index` makes one)."""
    return BuildSettings.from_env(settings.as_env(), **{"export_query_encoder": False, **overrides})


def index(settings: Location, embedder: Embedder, **overrides: Any) -> BuildSummary:
    """Build and publish a generation in this process, as `make index` would with these settings."""
    return build(build_settings(settings, **overrides), lambda: embedder, info=embedder.info, progress=False)
