"""Owns reading Markdown (markdown-it-py, MIT, CommonMark): `#` headings as headings, front matter and
markup left out, so passages and offsets point into the text as a reader sees it rendered."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from indexer.readers.html import write_blocks
from indexer.readers.model import CODE_CLOSE, CODE_OPEN, Extracted, ReaderError, TableRow, TextBuilder, plain
from indexer.readers.text import decode

_FRONT_MATTER = re.compile(r"\A(?:---|\+\+\+)[ \t]*\n.*?\n(?:---|\+\+\+|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
# What a reader of the rendered page does not see: in raw HTML blocks (selectors), between inline tags.
_UNSEEN = "script, style, noscript, template, head"
_UNSEEN_OPEN = re.compile(r"<(script|style|noscript|template)\b", re.IGNORECASE)
_UNSEEN_CLOSE = re.compile(r"</(script|style|noscript|template)\s*>", re.IGNORECASE)


def _version() -> str:
    import markdown_it

    return f"markdown-it-py {markdown_it.__version__}"


def _inline(token: Any) -> str:
    """The text a reader sees: emphasis, links and code marks dropped, images by their alt text, and no
    script or style text between inline HTML tags."""
    out: list[str] = []
    hidden = False
    for child in token.children or []:
        if child.type == "html_inline":
            if _UNSEEN_OPEN.match(child.content):
                hidden = True
            elif _UNSEEN_CLOSE.match(child.content):
                hidden = False
        elif hidden:
            continue
        elif child.type == "text":
            out.append(plain(child.content))
        elif child.type == "code_inline":
            out.append(CODE_OPEN + plain(child.content) + CODE_CLOSE)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif child.type == "image":
            out.append(_inline(child))
    return "".join(out)


def _html_block(html: str, builder: TextBuilder) -> None:
    """A raw HTML block as the HTML reader reads a page: entities decoded, comments, scripts and styles
    left out, block elements as paragraphs, h1-h6 as headings."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    for node in tree.css(_UNSEEN):
        node.decompose()
    write_blocks(tree.body or tree.root, builder)


def read(raw: bytes, name: str) -> Extracted:
    from markdown_it import MarkdownIt

    source, encoding = decode(raw)
    source = _FRONT_MATTER.sub("", source, count=1)
    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    builder = TextBuilder()
    title: str | None = None
    heading_level = 0
    rows: list[TableRow] = []
    cells: list[tuple[str, bool]] = []
    in_cell: str | None = None  # the open cell's tag
    number = ""  # an ordered list item's number, kept: it is part of what a reader sees
    for token in tokens:
        if token.type == "list_item_open" and token.info:
            number = f"{token.info}{token.markup} "
        elif token.type == "heading_open":
            heading_level = int(token.tag[1])
        elif token.type == "inline":
            text = _inline(token)
            if heading_level:
                builder.paragraph(text, heading=True)
                if heading_level == 1 and title is None:
                    title = " ".join(plain(text).split())
            elif in_cell:
                cells.append((" ".join(text.split()), in_cell == "th"))  # its code still marked
            else:
                builder.paragraph(number + text)
                number = ""
        elif token.type == "heading_close":
            heading_level = 0
        elif token.type in ("fence", "code_block"):
            builder.code(token.content)
        elif token.type == "html_block":
            _html_block(token.content, builder)
        elif token.type in ("th_open", "td_open", "th_close", "td_close"):
            in_cell = token.tag if token.type.endswith("_open") else None
        elif token.type == "tr_close":
            rows.append(cells)
            cells = []
        elif token.type == "table_close":
            builder.table(rows)
            rows = []
    if not builder.text.strip():
        raise ReaderError("is empty (no text outside front matter and markup)")
    result = builder.result(title, "md", _version())
    return dataclasses.replace(result, encoding=encoding)
