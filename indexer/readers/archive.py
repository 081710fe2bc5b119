"""Owns opening compressed files safely: the ZIP containers of EPUB and DOCX, and documents compressed
whole (gzip, bzip2, xz: Debian ships its manuals' text and PDF as `.gz`). A corrupt file is a clear error,
and the inflated size is capped before it is reached (a bomb must not exhaust memory or disk)."""

from __future__ import annotations

import bz2
import io
import logging
import lzma
import re
import zipfile
import zlib
from collections.abc import Callable
from typing import Any

from indexer.readers.model import ReaderError

log = logging.getLogger(__name__)

MAX_UNCOMPRESSED = 200 * 2**20  # all members together
MAX_MEMBERS = 10_000
MAX_RATIO = 200  # uncompressed / compressed, per member (text compresses about 3 to 10 times)


def open_zip(raw: bytes, kind: str) -> zipfile.ZipFile:
    """The archive, once its declared sizes pass the caps; zipfile never inflates a member beyond its
    declared size (a lying header fails its CRC instead)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise ReaderError(f"is not a readable {kind} (corrupt ZIP container: {exc})") from None
    if len(members) > MAX_MEMBERS:
        raise ReaderError(
            f"is a {kind} with {len(members):,} files inside, over the limit of {MAX_MEMBERS:,}"
        )
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED:
        raise ReaderError(
            f"would inflate to {total:,} bytes, over the limit of {MAX_UNCOMPRESSED:,} (a zip bomb?)"
        )
    for m in members:
        if m.file_size > 1_000_000 and m.file_size > MAX_RATIO * max(1, m.compress_size):
            ratio = m.file_size // max(1, m.compress_size)
            raise ReaderError(f"has a member ({m.filename}) compressed {ratio:,} to 1 (a zip bomb?)")
    return archive


def read_member(archive: zipfile.ZipFile, name: str, kind: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        raise ReaderError(f"is not a valid {kind} ({name} is missing)") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ReaderError(f"is a damaged {kind} ({name}: {exc})") from None


# What an xz file may ask for to be decoded (its dictionary): `xz -9` needs 65 MiB. A file asking more is
# refused before it is allocated.
XZ_MEMORY = 256 * 2**20


# Compressed bytes handed to a decoder at a time: when its stream ends it copies back what is left of
# them, so a file of a million tiny members costs a million small copies, not a million of the rest.
STEP = 4096
_NOT_ZERO = re.compile(rb"[^\x00]")


def _streams(
    decoder: Callable[[], Any], magic: bytes, error: type[Exception]
) -> Callable[[bytes, int, str], bytes]:
    """Streams one after the other (`cat a.gz b.gz`), each by a new `decoder`, zero padding between them
    skipped. A stream cut short or damaged is an error, the first or a later one; bytes after the last
    whole stream that do not start another (no `magic`) end the file, as `gunzip` reads it (warning of
    "trailing garbage")."""

    def inflate(raw: bytes, limit: int, name: str) -> bytes:
        out = bytearray()
        view = memoryview(raw)
        pos = streams = 0
        while (found := _NOT_ZERO.search(raw, pos)) is not None:
            pos = found.start()
            if streams and not raw.startswith(magic, pos):
                log.warning("%s: %d bytes after the last whole stream ignored", name, len(raw) - pos)
                break
            stream = decoder()
            while not stream.eof:
                if pos >= len(raw):
                    raise EOFError("the file ends inside a stream")
                piece = view[pos : pos + STEP]
                out += stream.decompress(piece, limit + 1 - len(out))
                if len(out) > limit:
                    return bytes(out)
                # Under the output cap a decoder takes all it is given, up to its stream's end.
                pos += len(piece) - len(stream.unused_data)
            streams += 1
        return bytes(out)

    return inflate


def _gzip_member() -> Any:
    return zlib.decompressobj(wbits=31)  # 31: deflate data inside gzip's header and trailer


def _xz_stream() -> Any:
    return lzma.LZMADecompressor(lzma.FORMAT_XZ, XZ_MEMORY)


# Compression suffix -> (what to call it, how to inflate it to at most `limit` + 1 bytes).
_COMPRESSED: dict[str, tuple[str, Any]] = {
    ".gz": ("gzip", _streams(_gzip_member, b"\x1f\x8b", zlib.error)),
    ".bz2": ("bzip2", _streams(bz2.BZ2Decompressor, b"BZh", OSError)),  # needs at most 3.6 MiB to decode
    ".xz": ("xz", _streams(_xz_stream, b"\xfd7zXZ\0", lzma.LZMAError)),
}
COMPRESSED_SUFFIXES = tuple(_COMPRESSED)


def compression_of(name: str) -> str | None:
    """The compression suffix a file name ends with ("notes.txt.gz" -> ".gz"), if any."""
    lower = name.lower()
    return next((s for s in COMPRESSED_SUFFIXES if lower.endswith(s)), None)


def inner_name(name: str) -> str:
    """The name of the document a compressed file holds ("manual.pdf.gz" -> "manual.pdf")."""
    suffix = compression_of(name)
    return name[: -len(suffix)] if suffix else name


def decompress(raw: bytes, suffix: str, limit: int, name: str = "") -> bytes:
    """The document inside a gzip, bzip2 or xz file (`name`, for the log), never inflating more than
    `limit` + 1 bytes."""
    kind, inflate = _COMPRESSED[suffix]
    try:
        data: bytes = inflate(raw, limit, name)
    except (OSError, EOFError, lzma.LZMAError, zlib.error, ValueError, MemoryError) as exc:
        raise ReaderError(f"is not a readable {kind} file ({exc or type(exc).__name__})") from None
    if len(data) > limit:
        raise ReaderError(
            f"inflates to over {limit:,} bytes, the limit (SEMSEARCH_MAX_FILE_BYTES; a compression bomb?)"
        )
    return data
