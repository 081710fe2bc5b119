"""Owns choosing what encodes questions: the int8 ONNX graph, else float32 ONNX, else PyTorch (the
fall-back, which imports torch only when it is needed), each refusal kept with its reason."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from generation.model import Embedder, ModelError, ModelInfo
from generation.onnx_model import OnnxEmbedder, is_complete, onnx_path, verified

log = logging.getLogger("query.encoders")
Choice = Literal["auto", "int8", "onnx", "torch"]


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
    from generation.torch_model import SentenceTransformerEmbedder  # torch: only as the last resort

    # One torch thread per request thread: on 2 cores more threads only contend.
    torch_embedder = SentenceTransformerEmbedder(info, threads or 1)
    if refused:
        log.warning("serving queries with PyTorch: no usable ONNX query encoder")
    return ChosenEncoder(torch_embedder, torch_embedder.label, refused)
