"""Owns reading plain text: decoding (UTF-8, else Windows-1252/Latin-1), newline normalisation, and
refusing binary data; headings and the title are found by the plain-text heuristics downstream."""

from __future__ import annotations

from indexer.readers.model import Extracted, ReaderError

BINARY_SNIFF_BYTES = 8192


def decode(raw: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (BOM allowed), else Windows-1252/Latin-1; raise ReaderError for binary data."""
    if b"\x00" in raw[:BINARY_SNIFF_BYTES]:
        raise ReaderError("looks binary (contains NUL bytes)")
    try:
        text, encoding = raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            text, encoding = raw.decode("latin-1"), "latin-1"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    controls = sum(1 for ch in text[:BINARY_SNIFF_BYTES] if ord(ch) < 32 and ch not in "\n\t\f\v")
    if controls > max(8, len(text[:BINARY_SNIFF_BYTES]) // 100):
        raise ReaderError("looks binary (many control characters)")
    return text, encoding


def read(raw: bytes, name: str) -> Extracted:
    text, encoding = decode(raw)
    if not text.strip():
        raise ReaderError("is empty")
    return Extracted(text, None, "txt", "builtin", encoding)
