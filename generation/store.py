"""Owns the on-disk format: writing, publishing, verifying, opening and pruning index generations."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from generation.analysis import Analyzer, CorpusLanguages, UnknownAnalyzerError
from generation.crash_points import crash_point
from generation.lexical import LEXICAL_DIR, LexicalIndex
from generation.records import DocumentFile, PassageFile, load_mapped, write_records
from generation.shingles import ShingleFile
from generation.vector_index import VectorIndex, VectorIndexError

FORMAT_VERSION = 1
CURRENT = "CURRENT"
GENERATIONS = "generations"
TMP_PREFIX = ".tmp-"
MANIFEST = "manifest.json"
INDEX_FILE = "index.faiss"
PASSAGES_FILE = "passages.jsonl"
DOCUMENTS_FILE = "documents.jsonl"
SENTENCES_FILE = "sentences.npy"
SHINGLES_FILE = "shingles.npy"  # each passage's word shingles (generation.shingles), and their offsets
# How a reader checks a generation's files before serving them: every checksum, or only each file's
# recorded size (fast at any scale), or "auto": checksums while the files total at most this many bytes.
Verification = Literal["auto", "checksums", "sizes"]
AUTO_CHECKSUM_BYTES = 256 * 2**20


class GenerationError(Exception):
    """A generation is missing, incomplete, corrupt, or built with another model."""


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """fsync every file under `root`, then every folder, deepest first, then `root` itself."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        fsync_path(path)
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        fsync_path(folder)
    fsync_path(root)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def new_generation_name() -> str:
    """Names sort chronologically; the random suffix keeps two builds in one microsecond apart."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def generations_dir(root: Path) -> Path:
    return root / GENERATIONS


def read_current(root: Path) -> str | None:
    """The published generation's name, or None before the first publish."""
    try:
        name = (root / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def write_generation(
    root: Path, name: str, writers: dict[str, Callable[[Path], None]], manifest: dict[str, Any]
) -> Path:
    """Write files under a temporary name, checksum and fsync them, then rename into place."""
    gens = generations_dir(root)
    gens.mkdir(parents=True, exist_ok=True)
    tmp = gens / f"{TMP_PREFIX}{name}"
    tmp.mkdir()
    for filename, write in writers.items():
        write(tmp / filename)
    crash_point("files-written")
    # Checksum and fsync every file written, including those inside folders (the lexical index).
    checksums: dict[str, str] = {}
    sizes: dict[str, int] = {}
    for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
        fsync_path(path)
        relative = path.relative_to(tmp).as_posix()
        checksums[relative] = sha256_file(path)
        sizes[relative] = path.stat().st_size
    for folder in sorted((p for p in tmp.rglob("*") if p.is_dir()), reverse=True):
        fsync_path(folder)
    manifest = {
        **manifest,
        "format_version": FORMAT_VERSION,
        "generation": name,
        "files": checksums,
        "sizes": sizes,
    }
    manifest_path = tmp / MANIFEST
    with manifest_path.open("w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())
    fsync_path(tmp)
    crash_point("manifest-written")
    final = gens / name
    os.rename(tmp, final)
    fsync_path(gens)
    crash_point("renamed")
    return final


def publish(root: Path, name: str) -> None:
    """Point root/CURRENT at a finished generation; readers never see a partial one."""
    if not (generations_dir(root) / name / MANIFEST).is_file():
        raise GenerationError(f"cannot publish {name!r}: no such finished generation")
    write_atomic(root / CURRENT, name + "\n", crash_at="current-temp-written")
    crash_point("published")


def write_atomic(path: Path, text: str, crash_at: str = "") -> None:
    """Replace `path` with `text`: temp file, fsync, os.replace, fsync of the folder (never half-written)."""
    tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    if crash_at:
        crash_point(crash_at)
    os.replace(tmp, path)
    fsync_path(path.parent)


def prune(root: Path, keep: int) -> list[str]:
    """Remove leftover temporary generations and all but the newest `keep` (CURRENT always stays)."""
    gens = generations_dir(root)
    if not gens.is_dir():
        return []
    current = read_current(root)
    removed: list[str] = []
    finished = sorted(p.name for p in gens.iterdir() if p.is_dir() and not p.name.startswith(TMP_PREFIX))
    doomed = [n for n in finished[: max(0, len(finished) - keep)] if n != current]
    doomed += [p.name for p in gens.iterdir() if p.name.startswith(TMP_PREFIX)]
    for stale in root.glob(f"{CURRENT}.*.tmp"):
        stale.unlink(missing_ok=True)
    for name in doomed:
        shutil.rmtree(gens / name, ignore_errors=True)
        removed.append(name)
        crash_point("pruning")
    return removed


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GenerationError(f"{path.name}: no manifest") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise GenerationError(f"{path.name}: manifest is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise GenerationError(f"{path.name}: unsupported manifest format")
    return manifest


def verify(path: Path, model_fingerprint: str | None = None, model_dim: int | None = None) -> dict[str, Any]:
    """Check checksums, row counts and model of a generation; return its manifest or raise GenerationError."""
    return _verify(path, model_fingerprint, model_dim, "checksums")[0]


def checks_checksums(manifest: dict[str, Any], verification: Verification) -> bool:
    """Whether `verification` reads every file's checksum for this generation (sizes need a manifest
    that records them; older ones are always checksummed)."""
    sizes = manifest.get("sizes")
    if verification == "checksums" or not isinstance(sizes, dict):
        return True
    return verification == "auto" and sum(int(v) for v in sizes.values()) <= AUTO_CHECKSUM_BYTES


def _check_files(path: Path, manifest: dict[str, Any], verification: Verification) -> None:
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise GenerationError(f"{path.name}: manifest lists no files")
    checksums = checks_checksums(manifest, verification)
    sizes = manifest.get("sizes") or {}
    for filename, expected in files.items():
        file = path / filename
        if not file.is_file():
            raise GenerationError(f"{path.name}: {filename} is missing")
        if checksums:
            if sha256_file(file) != expected:
                raise GenerationError(f"{path.name}: checksum of {filename} does not match the manifest")
        elif file.stat().st_size != sizes.get(filename):
            raise GenerationError(f"{path.name}: size of {filename} does not match the manifest")


def _verify(
    path: Path, model_fingerprint: str | None, model_dim: int | None, verification: Verification
) -> tuple[dict[str, Any], VectorIndex, PassageFile]:
    """verify(), also returning the FAISS index and passage file it opened to count rows (open_generation
    serves them)."""
    manifest = read_manifest(path)
    _check_files(path, manifest, verification)
    model = manifest.get("model", {})
    if model_fingerprint is not None and model.get("fingerprint") != model_fingerprint:
        raise GenerationError(
            f"{path.name}: built with model {model.get('name')!r} ({str(model.get('fingerprint'))[:12]}), "
            f"not the model this process embeds queries with ({model_fingerprint[:12]})"
        )
    if model_dim is not None and model.get("dimension") != model_dim:
        raise GenerationError(
            f"{path.name}: dimension {model.get('dimension')} != model dimension {model_dim}"
        )
    try:
        index = VectorIndex.open(path / INDEX_FILE)
    except VectorIndexError as exc:
        raise GenerationError(f"{path.name}: {exc}") from None
    try:
        passages = PassageFile(path / PASSAGES_FILE)  # its offset index, checksummed or sized above
    except (OSError, ValueError) as exc:
        raise GenerationError(f"{path.name}: {exc}") from None
    rows = len(passages)
    if not index.rows == rows == manifest.get("passages"):
        raise GenerationError(
            f"{path.name}: row counts disagree (faiss {index.rows}, passages.jsonl {rows}, "
            f"manifest {manifest.get('passages')})"
        )
    if index.dim != model.get("dimension"):
        raise GenerationError(
            f"{path.name}: index dimension {index.dim} != manifest {model.get('dimension')}"
        )
    return manifest, index, passages


@dataclass(frozen=True, slots=True)
class Generation:
    """An opened, verified generation, immutable and shared by concurrent readers."""

    name: str
    path: Path
    manifest: dict[str, Any]
    index: VectorIndex
    passages: PassageFile  # row i of the index is passages[i]; read on demand
    documents: DocumentFile
    sentence_vectors: np.ndarray  # (n_sentences, dim) float32, rows referenced by passages
    lexical: LexicalIndex
    languages: CorpusLanguages  # what made the lexical index's terms: queries are analysed the same way
    shingles: ShingleFile | None = None  # None: a generation written before they were stored

    @property
    def analyzer(self) -> Analyzer:
        """The analyzer of the corpus's main language."""
        return self.languages.analyzer()


def open_generation(
    path: Path,
    model_fingerprint: str | None = None,
    model_dim: int | None = None,
    verification: Verification = "checksums",
) -> Generation:
    """Verify (see Verification) then open a generation."""
    manifest, index, passages = _verify(path, model_fingerprint, model_dim, verification)
    try:
        # Everything memory-mapped or read on demand: worker processes share one copy in the page cache.
        documents = DocumentFile(path / DOCUMENTS_FILE, manifest.get("documents"))
        sentence_vectors = load_mapped(path / SENTENCES_FILE)
        lexical = LexicalIndex.load(path / LEXICAL_DIR)
        languages = CorpusLanguages.from_manifest(manifest.get("analyzer"))
        shingles = ShingleFile(path / SHINGLES_FILE) if SHINGLES_FILE in manifest["files"] else None
        if shingles is not None and len(shingles) != len(passages):
            raise ValueError(f"{SHINGLES_FILE} holds {len(shingles)} rows, not {len(passages)}")
        for code in languages.codes:
            languages.analyzer(code)  # an unknown one is refused here, not at the first query
    except UnknownAnalyzerError as exc:
        raise GenerationError(f"{path.name}: {exc}") from None
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, AttributeError) as exc:
        raise GenerationError(f"{path.name}: cannot be loaded ({exc})") from None
    return Generation(
        path.name, path, manifest, index, passages, documents, sentence_vectors, lexical, languages, shingles
    )


def open_current(
    root: Path,
    model_fingerprint: str | None = None,
    model_dim: int | None = None,
    verification: Verification = "checksums",
) -> Generation:
    name = read_current(root)
    if name is None:
        raise GenerationError(f"no published generation in {root} (run `make index` first)")
    return open_generation(generations_dir(root) / name, model_fingerprint, model_dim, verification)


def write_jsonl(rows: list[dict[str, Any]]) -> Callable[[Path], None]:
    """JSON lines plus their byte-offset index (`<name>.offsets.npy`, also checksummed)."""
    return lambda path: write_records(path, rows)


def write_npy(array: np.ndarray) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with path.open("wb") as fh:
            np.save(fh, array, allow_pickle=False)

    return write


def write_lexical(lexical: LexicalIndex) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.mkdir()
        lexical.save(path)

    return write


def write_vectors(index: VectorIndex) -> Callable[[Path], None]:
    return index.save


BUILD_LOCK = ".build.lock"


@contextlib.contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """One build at a time per index directory, across processes (released if the holder dies)."""
    import fcntl

    root.mkdir(parents=True, exist_ok=True)
    with (root / BUILD_LOCK).open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GenerationError(f"another build is already running on {root}") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
