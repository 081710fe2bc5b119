"""Owns pulling a published generation from another index folder (the build's storage: a local path or a
mounted file system) into this one: copied under a temporary name, every checksum and the model verified,
renamed, then CURRENT replaced atomically and old generations pruned, as a build publishes. Replicas fill
themselves this way (docs/scaling.md)."""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from generation import store
from generation.model import ModelInfo
from generation.onnx_model import checksum_path, is_complete, onnx_path, verified


@dataclass(frozen=True, slots=True)
class Pulled:
    generation: str
    copied: bool  # False: it was already here (only CURRENT may have moved)
    published: bool  # CURRENT now names it (False: it already did)
    pruned: list[str]


def _source_generation(source: Path, name: str | None) -> Path:
    """The generation to pull: a finished one (its manifest written last), CURRENT's by default."""
    if not store.generations_dir(source).is_dir():
        raise store.GenerationError(f"{source} is not an index folder (no {store.GENERATIONS}/)")
    name = name or store.read_current(source)
    if name is None:
        raise store.GenerationError(f"no published generation in {source}")
    if name.startswith(store.TMP_PREFIX) or "/" in name or name in (".", ".."):
        raise store.GenerationError(f"{name}: a generation still being written, not a published one")
    path = store.generations_dir(source) / name
    if not (path / store.MANIFEST).is_file():
        raise store.GenerationError(f"{name} in {source}: no finished generation (no {store.MANIFEST})")
    return path


def _copy_encoders(source: Path, dest: Path, info: ModelInfo) -> None:
    """The query encoder files the source's build made for this model, when this folder lacks them."""
    for int8 in (True, False):
        wanted, found = onnx_path(dest, info, int8), onnx_path(source, info, int8)
        if is_complete(wanted) or not is_complete(found):
            continue
        verified(found)  # a damaged file is not spread to the replicas
        wanted.parent.mkdir(parents=True, exist_ok=True)
        tmp = wanted.with_name(f"{wanted.name}.{secrets.token_hex(4)}.tmp")
        shutil.copyfile(found, tmp)
        os.replace(tmp, wanted)
        store.write_atomic(checksum_path(wanted), checksum_path(found).read_text())  # last: complete


def pull(source: Path, dest: Path, info: ModelInfo, name: str | None = None, keep: int = 3) -> Pulled:
    """Copy a published generation of `source` into `dest` and publish it there; GenerationError (naming
    the file) for a corrupt, half-written or other-model source, and then `dest` is left as it was."""
    origin = _source_generation(source, name)
    name = origin.name
    final = store.generations_dir(dest) / name
    copied = not final.is_dir()
    with store.build_lock(dest):  # a pull is a build of this folder: one at a time, with builds too
        if copied:
            tmp = store.generations_dir(dest) / f"{store.TMP_PREFIX}pull-{name}-{secrets.token_hex(3)}"
            try:
                shutil.copytree(origin, tmp)
                store.verify(tmp, info.fingerprint, info.dim)  # every checksum, row counts, model
                store.fsync_tree(tmp)
            except (OSError, store.GenerationError) as exc:
                shutil.rmtree(tmp, ignore_errors=True)
                raise store.GenerationError(f"refused {name} from {source}: {exc}") from None
            os.rename(tmp, final)
            store.fsync_path(final.parent)
        else:
            store.verify(final, info.fingerprint, info.dim)
        _copy_encoders(source, dest, info)
        published = store.read_current(dest) != name
        if published:
            store.publish(dest, name)
        pruned = store.prune(dest, keep)
    return Pulled(name, copied, published, pruned)
