"""`python -m indexer pull SOURCE [GENERATION]`: a replica copies a published generation, verifies every
checksum and the model, and publishes it atomically; again, nothing is copied; a corrupt, half-written or
other-model source is refused naming the file, and the replica keeps what it had; --watch follows."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generation import store
from generation.pull import pull
from indexer.settings import BuildSettings
from service.harness import wait_until
from service.settings import Settings
from tests.corpus import REPO, copy_seeds, index, run_indexer
from tests.fakes import FakeEmbedder


@pytest.fixture()
def source(tmp_path: Path, fake: FakeEmbedder) -> BuildSettings:
    settings = BuildSettings(
        corpus_dir=copy_seeds(tmp_path / "corpus"), index_dir=tmp_path / "source", export_query_encoder=False
    )
    index(settings, fake)
    return settings


def test_a_replica_pulls_verifies_and_publishes_once(
    source: BuildSettings, tmp_path: Path, fake: FakeEmbedder
) -> None:
    replica = tmp_path / "replica"
    name = store.read_current(source.index_dir)
    first = pull(source.index_dir, replica, fake.info)
    assert (first.generation, first.copied, first.published) == (name, True, True)
    assert store.read_current(replica) == name
    store.verify(store.generations_dir(replica) / name, fake.info.fingerprint, fake.info.dim)
    again = pull(source.index_dir, replica, fake.info)
    assert (again.copied, again.published) == (False, False), "nothing copied the second time"
    assert not [p for p in store.generations_dir(replica).iterdir() if p.name.startswith(store.TMP_PREFIX)]


def test_a_corrupt_or_unfinished_or_foreign_source_is_refused_and_the_replica_keeps_its_own(
    source: BuildSettings, tmp_path: Path, fake: FakeEmbedder
) -> None:
    replica = tmp_path / "replica"
    good = pull(source.index_dir, replica, fake.info).generation
    (source.corpus_dir / "new.txt").write_text("The quartermaster counted 4,217 blue umbrellas.")
    newer = index(source, fake).generation
    faiss_file = store.generations_dir(source.index_dir) / newer / store.INDEX_FILE
    data = bytearray(faiss_file.read_bytes())
    data[-20] ^= 0xFF
    faiss_file.write_bytes(bytes(data))
    with pytest.raises(store.GenerationError, match=r"index\.faiss"):
        pull(source.index_dir, replica, fake.info)
    half = store.generations_dir(source.index_dir) / f"{store.TMP_PREFIX}20991231T000000000000Z-abcdef"
    half.mkdir()
    with pytest.raises(store.GenerationError, match="still being written"):
        pull(source.index_dir, replica, fake.info, half.name)
    (store.generations_dir(source.index_dir) / "unfinished").mkdir()
    with pytest.raises(store.GenerationError, match="no finished generation"):
        pull(source.index_dir, replica, fake.info, "unfinished")
    other = FakeEmbedder(dim=32)
    with pytest.raises(store.GenerationError, match="model"):
        pull(source.index_dir, tmp_path / "other", other.info, good)
    assert store.read_current(replica) == good
    assert [p.name for p in store.generations_dir(replica).iterdir()] == [good], "no temporary left"


@pytest.mark.slow  # a real build in a child process
def test_the_command_line_pulls_and_watches(
    source: BuildSettings, tmp_path: Path, cli_index: tuple[Settings, str]
) -> None:
    replica = source.replace(index_dir=tmp_path / "replica")
    done = run_indexer(["pull", str(source.index_dir)], replica)
    assert done.returncode == 1 and "model" in done.stderr, "the fake's generation is not the real model's"
    built, _ = cli_index  # the essay built by `python -m indexer build`, copied to be changed here
    real = BuildSettings(corpus_dir=tmp_path / "real-corpus", index_dir=tmp_path / "real")
    shutil.copytree(built.index_dir, real.index_dir)
    shutil.copytree(built.corpus_dir, real.corpus_dir)
    mirror = real.replace(index_dir=tmp_path / "mirror")
    first = run_indexer(["pull", str(real.index_dir)], mirror)
    assert first.returncode == 0 and "copied, verified and published" in first.stdout, first.stderr
    assert (tmp_path / "mirror" / "models").is_dir(), "the query encoder comes along"
    watcher = subprocess.Popen(
        [sys.executable, "-m", "indexer", "pull", str(real.index_dir), "--watch", "--interval", "0.2"],
        cwd=REPO,
        env={**os.environ, **mirror.as_env()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        (real.corpus_dir / "new.txt").write_text("The quartermaster counted 4,217 blue umbrellas.")
        assert run_indexer(["build", "--no-progress"], real).returncode == 0
        newest = store.read_current(real.index_dir)
        wait_until(lambda: store.read_current(mirror.index_dir) == newest, timeout=60)
    finally:
        watcher.terminate()
        watcher.wait(timeout=30)
    store.verify(store.generations_dir(mirror.index_dir) / str(newest))
