"""Batch re-indexing is incremental, reports what it did, and never publishes from a bad corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from generation import store
from generation.torch_model import SentenceTransformerEmbedder
from indexer.build import BuildError
from indexer.settings import BuildSettings
from service.settings import Settings
from tests.corpus import ESSAY, index, run_indexer
from tests.fakes import CountingEmbedder


def test_rebuild_of_unchanged_corpus_embeds_nothing(
    fresh_settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    first = index(fresh_settings, embedder)
    counting = CountingEmbedder(embedder)
    second = index(fresh_settings, counting)
    assert counting.texts == 0
    assert (second.embedded, second.reused, second.removed) == (0, first.passages, 0)
    assert second.passages == first.passages and second.documents == 1
    assert store.read_current(fresh_settings.index_dir) == second.generation != first.generation


def test_editing_one_paragraph_reembeds_only_changed_passages(
    fresh_settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    first = index(fresh_settings, embedder)
    old = store.open_current(fresh_settings.index_dir)
    path = fresh_settings.corpus_dir / ESSAY
    text = path.read_text()
    path.write_text(text.replace("Schooling was made free and open to all.", "Schooling was free for all."))
    counting = CountingEmbedder(embedder)
    second = index(fresh_settings, counting)
    new = store.open_current(fresh_settings.index_dir)
    changed = {p.text for p in new.passages} - {p.text for p in old.passages}
    assert second.embedded == len(changed) >= 1
    assert second.reused == second.passages - len(changed)
    assert second.removed == len({p.text for p in old.passages} - {p.text for p in new.passages})
    assert second.embedded < first.passages / 5


def test_bad_corpus_fails_and_leaves_the_published_index(
    fresh_settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    good = index(fresh_settings, embedder).generation
    (fresh_settings.corpus_dir / "empty.txt").write_text("")
    with pytest.raises(BuildError, match=r"empty\.txt is empty"):
        index(fresh_settings, embedder)
    assert store.read_current(fresh_settings.index_dir) == good
    summary = index(fresh_settings, embedder, skip_bad_files=True)
    assert [s.doc_id for s in summary.skipped] == ["empty.txt"] and summary.embedded == 0


def test_cli_reports_a_corpus_without_documents(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    settings = BuildSettings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "ix")
    result = run_indexer(["build"], settings)
    assert result.returncode == 1
    assert "no readable document" in result.stderr
    assert not (tmp_path / "ix" / "CURRENT").exists()


@pytest.mark.slow
def test_cli_build_search_verify(fresh_settings: Settings) -> None:
    built = run_indexer(["build"], fresh_settings)
    assert built.returncode == 0, built.stderr
    assert "embedded" in built.stdout and "reused      0" in built.stdout
    found = run_indexer(["search", "How long did the Paris Commune last?", "-k", "3"], fresh_settings)
    assert found.returncode == 0, found.stderr
    assert "For 76 days" in " ".join(found.stdout.split())
    verified = run_indexer(["verify"], fresh_settings)
    assert verified.returncode == 0 and "OK" in verified.stdout


def test_the_query_encoder_is_exported_inside_the_build_under_its_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two builds at once never export into the same folder: the export runs while the build lock is held
    (a second build is refused), and its outcome is in the summary."""
    from indexer import build as build_module
    from tests.corpus import copy_seeds
    from tests.fakes import FakeEmbedder

    settings = BuildSettings(corpus_dir=copy_seeds(tmp_path / "corpus"), index_dir=tmp_path / "index")
    seen: list[str] = []

    def export_spy(root: Path, info: object, get_embedder: object) -> str:
        try:
            with store.build_lock(root):
                seen.append("lock was free")
        except store.GenerationError as exc:
            seen.append(str(exc))
        return "exported in 0.0 s"

    monkeypatch.setattr(build_module, "ensure_query_encoders", export_spy)
    fake = FakeEmbedder()
    summary = index(settings, fake, export_query_encoder=True)
    assert seen == [f"another build is already running on {settings.index_dir}"]
    assert summary.query_encoder == "exported in 0.0 s"
    assert "query encoder: exported in 0.0 s" in summary.render()


def test_the_cli_names_a_missing_executor_choice_clearly(tmp_path: Path) -> None:
    settings = BuildSettings(corpus_dir=tmp_path, index_dir=tmp_path / "ix")
    result = run_indexer(["build", "--executor", "spark"], settings)
    assert result.returncode == 2 and "invalid choice: 'spark'" in result.stderr
