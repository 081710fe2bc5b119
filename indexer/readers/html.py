"""Owns reading HTML (selectolax, MIT: chosen over trafilatura by measurement, docs/benchmarks.md): the
main content only (<main>, else <article>, else <body>, without navigation, the page's header and footer,
asides, forms, scripts and styles, nor blocks whose class or id says they are menus, sidebars, banners,
cookie notices or share buttons), h1-h6 as headings, block elements as paragraphs, <title> as the title."""

from __future__ import annotations

import re
from typing import Any

from indexer.readers.model import Extracted, ReaderError, TextBuilder

BOILERPLATE = "nav, aside, form, script, style, noscript, template, iframe, svg, button, menu"
# A header or footer inside the article or main content is the article's own (its title, its byline).
PAGE_FURNITURE = "header, footer"
CONTENT = frozenset(["main", "article"])
# Class or id words of blocks that are site furniture, not content. Header and footer names count only
# for the page's own ("site-header", "footer"), not an article's ("entry-header" holds its title).
_FURNITURE = (
    r"nav|navbar|navigation|menu|sidebar|breadcrumbs?|cookies?|banner|masthead|advert|ads|social|"
    r"share|sharing"
)
FURNITURE_NAME = re.compile(rf"(?:^|[\s_-])(?:{_FURNITURE})(?:$|[\s_-])", re.IGNORECASE)
PAGE_FURNITURE_NAME = re.compile(
    rf"(?:^|[\s_-])(?:{_FURNITURE})(?:$|[\s_-])|(?:^|\s)(?:(?:site|page|global)[_-]?)?(?:header|footer)(?:$|\s)",
    re.IGNORECASE,
)
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


def _inside_content(node: Any) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in CONTENT:
            return True
        parent = parent.parent
    return False


def _holds_content(node: Any) -> bool:
    return node.css_first("main, article") is not None


def main_content(tree: Any) -> Any:
    for node in tree.css(BOILERPLATE + ", " + ROLES):
        node.decompose()
    for node in tree.css(PAGE_FURNITURE):
        if not _inside_content(node) and not _holds_content(node):
            node.decompose()
    for node in tree.css("div, section, ul, ol, table"):
        names = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}"
        furniture = FURNITURE_NAME if _inside_content(node) else PAGE_FURNITURE_NAME
        if furniture.search(names) and not _holds_content(node):
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
