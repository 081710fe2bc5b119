"""Owns reading Word documents (python-docx, MIT): paragraphs and tables in order, Heading and Title
styles as headings, the title from the core properties (else the first Title-styled paragraph)."""

from __future__ import annotations

import io
import re

from indexer.readers.archive import open_zip
from indexer.readers.model import Extracted, ReaderError, TextBuilder, plain

# Paragraph styles that hold code ("Code", "Source Code", "HTML Preformatted", "Macro Text").
_CODE_STYLE = re.compile(r"code|preformatted|macro", re.IGNORECASE)


def _version() -> str:
    from importlib.metadata import version

    return f"python-docx {version('python-docx')}"


def read(raw: bytes, name: str) -> Extracted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    open_zip(raw, "DOCX")  # the caps first: python-docx inflates what it opens
    try:
        document = docx.Document(io.BytesIO(raw))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise ReaderError(f"is not a valid DOCX ({exc})") from None
    except Exception as exc:  # lxml and zipfile errors from inside python-docx: a bad file, reported
        raise ReaderError(f"is a damaged DOCX ({type(exc).__name__}: {exc})") from None
    builder = TextBuilder()
    title = (document.core_properties.title or "").strip()
    styled_title = ""
    for block in document.iter_inner_content():
        if hasattr(block, "rows"):  # a table: one paragraph per row, each cell marked
            builder.table([[(c.text, False) for c in row.cells] for row in block.rows])
            continue
        style = (block.style.name if block.style is not None else "") or ""
        if _CODE_STYLE.search(style):
            builder.code(block.text)
            continue
        heading = style.startswith("Heading") or style == "Title"
        if style == "Title" and not styled_title:
            styled_title = " ".join(block.text.split())
        builder.paragraph(plain(block.text), heading=heading)
    if not builder.text.strip():
        raise ReaderError("has no extractable text")
    return builder.result(title or styled_title or None, "docx", _version())
