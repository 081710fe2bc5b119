"""The build on Ray Data (a local Ray instance, 2 encoder actors) gives the generation an in-process build
gives: the same passages, vectors within cosine 0.9999, a generation that verifies; an unchanged corpus
sends no text to an encoder; an encoder that raises fails the build naming the batch, CURRENT untouched."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from generation import store
from generation.crash_points import FAIL_AT
from generation.torch_model import SentenceTransformerEmbedder
from indexer.build import BuildError, BuildSummary, build
from indexer.ray_executor import LOCAL_NODE_ADDRESS, RayExecutor, keep_on_loopback
from indexer.settings import BuildSettings
from tests.corpus import copy_seeds, index, run_indexer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[None]:
    """One local Ray instance for the module (it takes about 15 s to start here)."""
    import ray

    keep_on_loopback(None)  # Ray would otherwise replace 127.0.0.1 with the machine's address
    ray.init(
        num_cpus=2,
        object_store_memory=200_000_000,
        include_dashboard=False,
        log_to_driver=False,
        _node_ip_address=LOCAL_NODE_ADDRESS,  # loopback only
    )
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def ray_built(
    ray_instance: None, tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
) -> tuple[BuildSettings, BuildSummary]:
    """The essay built once through Ray (an empty cache: every text goes through the actors)."""
    root = tmp_path_factory.mktemp("ray")
    settings = BuildSettings(
        corpus_dir=copy_seeds(root / "corpus"),
        index_dir=root / "index",
        executor="ray",
        export_query_encoder=False,
    )
    return settings, index(settings, embedder)


@pytest.fixture()
def ray_settings(ray_built: tuple[BuildSettings, BuildSummary], tmp_path: Path) -> BuildSettings:
    """A private copy of the Ray-built index and its corpus, for a test that changes them."""
    settings, _ = ray_built
    shutil.copytree(settings.index_dir, tmp_path / "index")
    shutil.copytree(settings.corpus_dir, tmp_path / "corpus")
    return settings.replace(index_dir=tmp_path / "index", corpus_dir=tmp_path / "corpus")


def test_the_ray_build_gives_the_in_process_generation(
    ray_built: tuple[BuildSettings, BuildSummary], embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    ray_settings, summary = ray_built
    local_settings = ray_settings.replace(executor="local", index_dir=tmp_path / "local-index")
    index(local_settings, embedder)
    assert summary.embedded == summary.passages > 0
    local = store.open_current(local_settings.index_dir)
    remote = store.open_current(ray_settings.index_dir)
    assert list(remote.passages) == list(local.passages)  # ids, texts, offsets, headings, links
    assert dict(remote.documents) == dict(local.documents)
    n = len(local.passages)
    cosines = (remote.index.reconstruct_range(0, n) * local.index.reconstruct_range(0, n)).sum(axis=1)
    assert float(cosines.min()) >= 0.9999
    remote_sentences = np.asarray(remote.sentence_vectors, np.float32)
    local_sentences = np.asarray(local.sentence_vectors, np.float32)
    assert float((remote_sentences * local_sentences).sum(axis=1).min()) >= 0.999  # stored as float16
    executor = remote.manifest["executor"]
    assert executor["name"] == "ray" and executor["actors"] == 2 and executor["ray_version"]
    assert local.manifest["executor"] == {"name": "local"}
    verified = run_indexer(["verify"], ray_settings)
    assert verified.returncode == 0 and "OK" in verified.stdout, verified.stderr
    assert not (ray_settings.index_dir / "shards").exists() or not any(
        (ray_settings.index_dir / "shards").iterdir()
    )


def test_an_unchanged_corpus_sends_no_text_to_an_encoder(
    ray_settings: BuildSettings, embedder: SentenceTransformerEmbedder
) -> None:
    executor = RayExecutor(ray_settings)
    again = build(ray_settings, lambda: embedder, info=embedder.info, progress=False, executor=executor)
    assert executor.sent == 0 and again.embedded == 0 and again.sentences_embedded == 0


def test_an_encoder_that_raises_fails_the_build_naming_the_batch(
    ray_settings: BuildSettings, embedder: SentenceTransformerEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = store.read_current(ray_settings.index_dir)
    (ray_settings.corpus_dir / "new.txt").write_text("The quartermaster counted 4,217 blue umbrellas.")
    monkeypatch.setenv(FAIL_AT, "encoder")
    with pytest.raises(
        BuildError, match=r"encoder failed on the batch of \d+ texts starting at sha256 [0-9a-f]{16}"
    ):
        index(ray_settings, embedder)
    assert store.read_current(ray_settings.index_dir) == published


def test_pooled_sentence_vectors_on_ray_equal_the_in_process_ones(
    ray_instance: None, embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    corpus = copy_seeds(tmp_path / "corpus")
    pooled = BuildSettings(
        corpus_dir=corpus,
        index_dir=tmp_path / "ray",
        executor="ray",
        export_query_encoder=False,
        sentence_vectors="pooled",
    )
    summary = index(pooled, embedder)
    local_settings = pooled.replace(executor="local", index_dir=tmp_path / "local")
    index(local_settings, embedder)
    remote, local = store.open_current(pooled.index_dir), store.open_current(local_settings.index_dir)
    assert summary.sentences_embedded == len(remote.sentence_vectors) == len(local.sentence_vectors) > 0
    a = np.asarray(remote.sentence_vectors, dtype=np.float32)
    b = np.asarray(local.sentence_vectors, dtype=np.float32)
    assert float((a * b).sum(axis=1).min()) >= 0.999  # float16 storage
    assert (
        remote.manifest["sentence_vectors_from"] == "pooled" and remote.manifest["executor"]["name"] == "ray"
    )
