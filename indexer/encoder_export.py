"""Owns exporting the query encoder (build time, needs torch): the model exported to ONNX once, checked
against sentence-transformers, then quantised to int8 with per-channel scales; each file accepted only when
its vectors agree with the reference, and marked complete by its checksum (generation.onnx_model)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generation.crash_points import crash_point
from generation.model import Embedder, ModelInfo
from generation.onnx_model import LEGACY_INT8_NAMES, OnnxEmbedder, checksum_path, is_complete, onnx_path
from generation.store import sha256_file, write_atomic

log = logging.getLogger("indexer.encoder_export")
MIN_COSINE = 0.9999  # the exported graph must reproduce the PyTorch vectors this closely
# Below this the quantised graph is broken, not merely approximate.
MIN_COSINE_INT8 = 0.98
PROBES = [
    "How long did the Paris Commune last?",
    "A short probe.",
    "Soviets, cogwheels and conveyor belts " * 9,
]


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


def down_projections(graph_file: Path) -> list[str]:
    """The matrix products whose weight maps a wider input to a narrower output (a transformer's
    feed-forward output layers): the int8 rounding costs most there."""
    import onnx

    graph = onnx.load(str(graph_file), load_external_data=False).graph
    shapes = {w.name: tuple(w.dims) for w in graph.initializer}
    return [
        node.name
        for node in graph.node
        if node.op_type == "MatMul"
        and any(len(shape := shapes.get(i, ())) == 2 and shape[0] > shape[1] for i in node.input)
    ]


def quantize_onnx(info: ModelInfo, source: Path, dest: Path, reference: Embedder) -> Path:
    """int8 dynamic quantisation of the exported graph (about 2x faster per query on this CPU)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = _temporary(dest)
    # reduce_range (7-bit weights): CPUs without VNNI saturate on full-range int8 products. Only matrix
    # products, and not those that shrink their input (the feed-forward down-projections): see INT8_NAME.
    quantize_dynamic(
        str(source),
        str(tmp),
        weight_type=QuantType.QInt8,
        per_channel=True,
        reduce_range=True,
        op_types_to_quantize=["MatMul"],
        nodes_to_exclude=down_projections(source),
    )
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
