"""Owns reading HTML (selectolax, MIT: chosen over trafilatura by measurement, docs/documents.md): the main
content only (<main>, else <article>, else <body>, without navigation, headers, footers, asides, forms,
scripts and styles), h1-h6 as headings, block elements as paragraphs, <title> as the title."""

from __future__ import annotations

from typing import Any

from indexer.readers.model import Extracted, ReaderError, TextBuilder

BOILERPLATE = "nav, header, footer, aside, form, script, style, noscript, template, iframe, svg, button, menu"
BLOCKS = frozenset(
    {
        *("p", "div", "li", "dt", "dd", "blockquote", "pre", "td", "th", "caption", "figcaption", "address"),
        *("section", "article", "main", "body", "tr", "table", "ul", "ol", "dl", "figure", "hr", "br"),
        *("h1", "h2", "h3", "h4", "h5", "h6"),
    }
)
HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
ROLES = '[role="navigation"], [role="banner"], [role="contentinfo"], [role="complementary"], [hidden]'


def _version() -> str:
    import selectolax

    return f"selectolax {getattr(selectolax, '__version__', '')}".strip()


def decode_html(raw: bytes) -> str:
    from indexer.readers.text import decode

    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return decode(raw)[0]


def write_blocks(root: Any, builder: TextBuilder) -> None:
    """Walk the tree in document order: text gathers into the current paragraph; a block element
    ends it; a heading element is its own paragraph."""
    buffer: list[str] = []

    def flush(heading: bool = False) -> None:
        # HTML collapses white space: a source line break inside a paragraph is a space.
        builder.paragraph(" ".join("".join(buffer).split()), heading)
        buffer.clear()

    def walk(node: Any) -> None:
        child = node.child
        while child is not None:
            tag = child.tag
            if tag == "-text":
                buffer.append(child.text_content or "")
            elif tag in HEADINGS:
                flush()
                buffer.append(child.text(separator=" ") or "")
                flush(heading=True)
            elif tag in ("pre",):
                flush()
                builder.paragraph(child.text() or "")
            elif tag in BLOCKS:
                flush()
                walk(child)
                flush()
            elif not tag.startswith("-"):  # inline elements; comments ("-comment") are skipped
                walk(child)
            child = child.next

    walk(root)
    flush()


def main_content(tree: Any) -> Any:
    for node in tree.css(BOILERPLATE + ", " + ROLES):
        node.decompose()
    for selector in ("main", "article", '[role="main"]', "body"):
        found = tree.css_first(selector)
        if found is not None:
            return found
    return tree.root


def read(raw: bytes, name: str) -> Extracted:
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    tree = HTMLParser(decode_html(raw))
    title_node = tree.css_first("title")
    title = " ".join((title_node.text() if title_node else "").split()) or None
    builder = TextBuilder()
    root = main_content(tree)
    if root is None:
        raise ReaderError("has no main content (no text outside navigation, headers and footers)")
    write_blocks(root, builder)
    if not builder.text.strip():
        raise ReaderError("has no main content (no text outside navigation, headers and footers)")
    if title is None:
        h1 = tree.css_first("h1")
        title = " ".join(h1.text().split()) if h1 is not None and h1.text().strip() else None
    return builder.result(title, "html", _version())
