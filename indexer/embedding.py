"""Owns counting a text's model tokens for chunking (the model's WordPiece tokenizer; no torch)."""

from __future__ import annotations

from collections.abc import Sequence

from generation.model import ModelInfo


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
