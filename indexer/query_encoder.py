"""Owns the query encoder: exporting the model to ONNX once (needs torch), quantising it to int8,
checksums, embedding with onnxruntime, and choosing what serves queries (with its fall-backs).

The service embeds queries through ONNX, which imports only onnxruntime and tokenizers (0.2 s instead
of about 10 s for torch and sentence-transformers). Export checks that the graph reproduces the
sentence-transformers vectors before it is used, so both sides embed with the same model.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from indexer.crash_points import crash_point
from indexer.embedding import Embedder, ModelError, ModelInfo, SentenceTransformerEmbedder
from indexer.store import sha256_file, write_atomic

log = logging.getLogger("indexer.query_encoder")
Choice = Literal["auto", "int8", "onnx", "torch"]

ONNX_NAME = "model.onnx"
# Per-channel weight scales: one scale per output column keeps the vectors at cosine 0.993 (median; worst
# 0.986) of PyTorch's on the essay questions, against 0.968 (worst 0.932) with one scale per matrix, the
# file earlier builds made (LEGACY_INT8_NAMES: removed when the new one is made), at the same speed.
INT8_NAME = "model.int8-per-channel.onnx"
LEGACY_INT8_NAMES = ("model.int8.onnx",)
MIN_COSINE = 0.9999  # the exported graph must reproduce the PyTorch vectors this closely
# Below this the quantised graph is broken, not merely approximate.
MIN_COSINE_INT8 = 0.98
PROBES = [
    "How long did the Paris Commune last?",
    "A short probe.",
    "Soviets, cogwheels and conveyor belts " * 9,
]


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


def _accept(tmp: Path, dest: Path, info: ModelInfo, reference: Embedder, minimum: float, what: str) -> Path:
    """Keep `tmp` as `dest` (plus checksum) if its vectors agree with `reference`'s, else delete it."""
    got = OnnxEmbedder(info, tmp).embed(PROBES)
    want = reference.embed(PROBES)
    worst = float((got * want).sum(axis=1).min())
    if worst < minimum:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"{what} disagrees with sentence-transformers (cosine {worst:.5f})")
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    crash_point("export-temp-written")
    os.replace(tmp, dest)
    write_atomic(checksum_path(dest), sha256_file(dest))  # last: it marks the encoder complete
    return dest


def _temporary(dest: Path) -> Path:
    """A private temporary name beside `dest`. Callers hold the index's build lock, so any earlier
    temporary of this file was left by a killed export and is safe to remove."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    for stale in dest.parent.glob(f"{dest.stem}.*.tmp"):
        stale.unlink(missing_ok=True)
    return dest.with_name(f"{dest.stem}.{os.getpid()}.tmp")


def quantize_onnx(info: ModelInfo, source: Path, dest: Path, reference: Embedder) -> Path:
    """int8 dynamic quantisation of the exported graph (about 2x faster per query on this CPU)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = _temporary(dest)
    # reduce_range (7-bit weights): CPUs without VNNI saturate on full-range int8 products.
    quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)
    for legacy in LEGACY_INT8_NAMES:
        dest.with_name(legacy).unlink(missing_ok=True)
        checksum_path(dest.with_name(legacy)).unlink(missing_ok=True)
    return _accept(tmp, dest, info, reference, MIN_COSINE_INT8, "int8 ONNX encoder")


def export_onnx(info: ModelInfo, dest: Path, reference: Embedder) -> Path:
    """Export mean-pooled, normalised MiniLM-style models to ONNX; refuse a graph that disagrees."""
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(out.dtype)
            pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    tmp = _temporary(dest)
    model = AutoModel.from_pretrained(str(info.path)).eval()
    ids = torch.ones(1, 8, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with torch.no_grad():
        torch.onnx.export(
            Pooled(model),
            (ids, ids, torch.zeros_like(ids)),
            str(tmp),
            input_names=names,
            output_names=["embedding"],
            opset_version=17,
            dynamo=False,
            dynamic_axes={**{n: {0: "batch", 1: "seq"} for n in names}, "embedding": {0: "batch"}},
        )
    return _accept(tmp, dest, info, reference, MIN_COSINE, "ONNX export")


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


def ensure_query_encoders(index_dir: Path, info: ModelInfo, get_embedder: Callable[[], Embedder]) -> str:
    """Make the float32 and int8 query encoders for this model unless they exist; call under the build
    lock. Returns what happened, for the build summary ("reused", "exported in 12.9 s", "failed (...)")."""
    fp32, int8 = onnx_path(index_dir, info), onnx_path(index_dir, info, int8=True)
    if is_complete(fp32) and is_complete(int8):
        return "reused"
    started = time.perf_counter()
    log.info("phase exporting the query encoder: %s", fp32.parent)
    try:
        if not is_complete(fp32):
            export_onnx(info, fp32, get_embedder())
        quantize_onnx(info, fp32, int8, get_embedder())
    except Exception as exc:  # the index is published either way; the service falls back to PyTorch
        log.warning("query encoder export failed (%s); the service uses what exists, else PyTorch", exc)
        return f"failed ({exc})"
    return f"exported in {time.perf_counter() - started:.1f} s"


@dataclass(slots=True)
class ChosenEncoder:
    """The encoder that serves queries, and every better one that was refused, with the reason."""

    embedder: Embedder
    label: str
    refused: dict[str, str] = field(default_factory=dict)


def choose_query_encoder(index_dir: Path, info: ModelInfo, choice: Choice, threads: int = 0) -> ChosenEncoder:
    """`auto`: the int8 graph (fastest, same dev metrics), else float32 ONNX, else PyTorch; a missing or
    damaged file is skipped with its reason. `int8`/`onnx`: that graph or ModelError. `torch`: PyTorch."""
    order = {"auto": ["int8", "onnx"], "int8": ["int8"], "onnx": ["onnx"], "torch": []}[choice]
    refused: dict[str, str] = {}
    for kind in order:
        path = onnx_path(index_dir, info, int8=kind == "int8")
        try:
            if not is_complete(path):
                raise ModelError(f"no {path.name} under {path.parent}: `make index` makes one")
            embedder = OnnxEmbedder(info, verified(path), threads=threads or 1)
        except Exception as exc:  # a bad file must not stop the service while a fall-back exists
            if choice != "auto":
                raise ModelError(f"{kind} query encoder unusable: {exc}") from exc
            refused[kind] = str(exc)
            log.warning("query encoder %s refused: %s", kind, exc)
            continue
        return ChosenEncoder(embedder, embedder.label, refused)
    # One torch thread per request thread: on 2 cores more threads only contend.
    torch_embedder = SentenceTransformerEmbedder(info, threads or 1)
    if refused:
        log.warning("serving queries with PyTorch: no usable ONNX query encoder")
    return ChosenEncoder(torch_embedder, torch_embedder.label, refused)
