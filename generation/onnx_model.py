"""Owns the query encoder's files and runtime: where a build keeps the float32 and int8 ONNX graphs of a
model, their checksums, and embedding with them through onnxruntime and tokenizers (no torch: 0.2 s to load
instead of about 10 s). The build runs them to check its export; the service serves queries with them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from generation.model import ModelError, ModelInfo
from generation.store import sha256_file

ONNX_NAME = "model.onnx"
# int8 matrix products with per-channel weight scales, but the feed-forward down-projections (the widest
# inputs) and the embeddings kept in float32: on SciFact's 300 claims the vectors are at cosine 0.9957
# (median; worst 0.9930) of PyTorch's, against 0.9919 (0.9843) with every product in int8, for 1.3x the
# encoder time (3.4 -> 4.4 ms) and SciFact nDCG@10 through the service 0.729 -> 0.737 (float32 0.737;
# docs/quality.md). Files earlier builds made (LEGACY_INT8_NAMES) are removed when this one is made.
INT8_NAME = "model.int8-mixed.onnx"
LEGACY_INT8_NAMES = ("model.int8.onnx", "model.int8-per-channel.onnx")


def onnx_path(index_dir: Path, info: ModelInfo, int8: bool = False) -> Path:
    """Where the build keeps the query encoder for this model (float32 export or int8 quantisation)."""
    return index_dir / "models" / info.fingerprint[:24] / (INT8_NAME if int8 else ONNX_NAME)


def checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def is_complete(path: Path) -> bool:
    """An encoder file counts only once its checksum is written (the last step of making it)."""
    return path.is_file() and checksum_path(path).is_file()


def verified(path: Path) -> Path:
    """`path` if its content matches the checksum the build wrote, else an error naming the fix."""
    if sha256_file(path) != checksum_path(path).read_text().strip():
        raise ModelError(f"{path} does not match its checksum; delete it and run `make index`")
    return path


class OnnxEmbedder:
    """Embeds with an exported graph through onnxruntime; one intra-op thread by default (2 cores)."""

    def __init__(self, info: ModelInfo, path: Path, threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer as HFTokenizer

        self.info = info
        self.label = f"onnxruntime {path.name}"
        self._tok = HFTokenizer.from_file(str(info.path / "tokenizer.json"))
        self._tok.no_padding()  # pad per batch, not to the shipped fixed 128
        self._tok.enable_truncation(info.max_seq_length)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.info.dim), dtype=np.float32)
        for i in range(0, len(texts), batch_size):
            encodings = self._tok.encode_batch(list(texts[i : i + batch_size]))
            width = max(len(e.ids) for e in encodings)
            ids = np.zeros((len(encodings), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, e in enumerate(encodings):
                ids[row, : len(e.ids)] = e.ids
                mask[row, : len(e.ids)] = 1
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            out[i : i + len(encodings)] = self._session.run(None, feeds)[0]
        return out
