"""Owns opening the ZIP containers of EPUB and DOCX safely: a corrupt archive is a clear error, and the
uncompressed size is capped before anything is inflated (a zip bomb must not exhaust memory or disk)."""

from __future__ import annotations

import io
import zipfile

from indexer.readers.model import ReaderError

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
