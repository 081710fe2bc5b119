"""Owns the reference encoder: the model through sentence-transformers and PyTorch (imported on first use).
The build embeds passages with it; the query encoder falls back to it when no ONNX graph is usable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from generation.model import ModelError, ModelInfo


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
