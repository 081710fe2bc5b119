"""Owns reading HTML (selectolax, MIT: chosen over trafilatura by measurement, docs/benchmarks.md): the
main content only (<main>, else <article>, else <body>, without navigation, the page's header, footer and
asides, forms, scripts and styles, nor blocks whose class or id says they are menus, sidebars, banners,
cookie notices or share buttons, nor headings' permalink marks), h1-h6 as headings, block elements as
paragraphs, <title> as the title (less a site name after the page's own h1)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from indexer.readers.model import CODE_CLOSE, CODE_OPEN, Extracted, ReaderError, TableRow, TextBuilder, plain

BOILERPLATE = "nav, form, script, style, noscript, template, iframe, svg, button, menu"
# A header, footer or aside inside the article or main content is the article's own (its title, its
# byline, its footnotes and note boxes: Sphinx writes footnotes as <aside>); the page's own are furniture.
PAGE_FURNITURE = "header, footer, aside"
CONTENT = frozenset(["main", "article"])
# A heading's link to itself, shown as a mark (Sphinx and MkDocs "¶", "§", "#"): not the heading's words.
PERMALINK_MARKS = frozenset(["¶", "§", "#", "🔗"])
# What separates a page's own title from the site's name in <title> ("Logging HOWTO — Python 3.11 ...").
TITLE_SEPARATORS = frozenset("—–|-·:»")
# Class or id words of blocks that are site furniture, not content. Header and footer names count only
# for the page's own ("site-header", "footer"), not an article's ("entry-header" holds its title).
_FURNITURE = (
    r"nav|navbar|navigation|menu|sidebar|toc|breadcrumbs?|cookies?|banner|masthead|advert|ads|social|"
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
        "aside",
        *("section", "article", "main", "body", "tr", "table", "ul", "ol", "dl", "figure", "hr", "br"),
        *("h1", "h2", "h3", "h4", "h5", "h6"),
    }
)
HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
CODE = frozenset(["code", "kbd", "samp", "tt"])  # inline code and commands, set in a fixed-width face
CODE_SELECTOR = ", ".join(sorted(CODE))
# A table whose cells hold these is laid out with a table (DocBook's callouts), not a table of data.
LAYOUT_CELL_CONTENT = "table, div, pre, ul, ol, dl, blockquote, h1, h2, h3, h4, h5, h6"
MAX_CELL_CHARS = 600  # ... and so is one with a cell this long
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


_TITLE_CLASS = re.compile(r"(?:^|[\s_-])title(?:$|[\s_-])", re.IGNORECASE)
# Boxes that generators name for what they hold (DocBook's note/tip/caution, Sphinx's admonition, AsciiDoc's
# admonitionblock, Markdown alerts): an h1-h6 right inside one titles the box, not the rest of its section.
_ADMONITION_CLASS = re.compile(
    r"(?:^|[\s_-])(?:admonition\w*|note|tip|hint|warning|caution|important|attention|danger|callout|alert)"
    r"(?:$|[\s_-])",
    re.IGNORECASE,
)
# Links that step through a document's pages: DocBook/Publican put an accesskey on them, others rel.
MAX_STEP_BAR_TEXT = 80
CONTENTS_LIST_LINKS = 5  # a list of this many links or more ...
CONTENTS_LIST_SHARE = 0.9  # ... whose words are this share links is a table of contents
_STEP_RELS = frozenset(["prev", "previous", "next", "up", "home", "start", "contents", "index", "top"])


PROSE_CHARS = 200  # a block named like furniture with this much text ...
PROSE_LINK_SHARE = 0.3  # ... of which links are less than this share is content ("sidebar": DocBook's tips)


def _is_prose(node: Any) -> bool:
    """A block of running text, whatever its class says: a book's "sidebar" box of tips is content,
    where a site's sidebar is mostly links."""
    text = " ".join((node.text(separator=" ") or "").split())
    if len(text) < PROSE_CHARS:
        return False
    linked = sum(len(" ".join((a.text(separator=" ") or "").split())) for a in node.css("a"))
    return linked < PROSE_LINK_SHARE * len(text)


def _word_count(node: Any) -> int:
    """Words in a node's text (its descendants' text joined by spaces)."""
    return len((node.text(separator=" ") or "").split())


def _is_title(node: Any) -> bool:
    """A block styled as a title ("title", "admonition-title"): a heading, though not an h1-h6 element."""
    return bool(_TITLE_CLASS.search(node.attributes.get("class") or ""))


def _is_admonition(node: Any) -> bool:
    """A box named for a note, a tip, a warning (its class)."""
    return bool(_ADMONITION_CLASS.search(node.attributes.get("class") or ""))


def _is_page_steps(node: Any) -> bool:
    """A bar of previous / up / home / next links and little else: navigation, not content."""
    links = node.css("a")
    if not links:
        return False
    stepping = all(
        a.attributes.get("accesskey") or (a.attributes.get("rel") or "").lower() in _STEP_RELS for a in links
    )
    if not stepping:  # before reading its text: a whole page's worth, once per link, took 24 s
        return False
    rest = node.text() or ""
    for a in links:
        rest = rest.replace(a.text() or "", "", 1)
    # The bar may name the book or page between its links ("Prev · The Handbook · Next").
    return len(rest.strip()) <= MAX_STEP_BAR_TEXT


def _is_contents_list(node: Any) -> bool:
    """A list made of links to sections and little else (a table of contents, a "list of tables", a
    toctree): it names other pages' sections, and would rank as the answer to any question about them.
    Links to code (Sphinx links every API name: a list of classes or flags) are content."""
    links = [a for a in node.css("a[href]") if a.css_first(CODE_SELECTOR) is None]
    if len(links) < CONTENTS_LIST_LINKS:
        return False
    linked = sum(len((a.text() or "").split()) for a in links)
    return linked >= CONTENTS_LIST_SHARE * _word_count(node)


MAX_COLSPAN = 50


def _span(value: str | None) -> int:
    """A cell's colspan as HTML reads it: a whole number from 1 (capped), else 1."""
    digits = (value or "").strip()
    return min(int(digits), MAX_COLSPAN) if digits.isdigit() and int(digits) > 0 else 1


def _cell_text(cell: Any) -> str:
    """A table cell's text on one line, its code marked (CODE_OPEN ... CODE_CLOSE)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        child = node.child
        while child is not None:
            if child.tag == "-text":
                out.append(plain(child.text_content or ""))
            elif child.tag in CODE:
                out.append(CODE_OPEN)
                walk(child)
                out.append(CODE_CLOSE)
            elif not child.tag.startswith("-"):
                out.append(" " if child.tag in BLOCKS else "")
                walk(child)
                out.append(" " if child.tag in BLOCKS else "")
            child = child.next

    walk(cell)
    return " ".join("".join(out).split())


def _table_rows(table: Any) -> list[TableRow] | None:
    """A table of data as rows of (cell text, is a header cell); None for a table used for layout."""
    if any(n.mem_id != table.mem_id for n in table.css(LAYOUT_CELL_CONTENT)):  # (css() finds the node too)
        return None
    rows: list[TableRow] = []
    for tr in table.css("tr"):
        cells: list[tuple[str, bool]] = []
        for c in tr.iter():
            if c.tag in ("td", "th"):
                cells.append((_cell_text(c), c.tag == "th"))
                # A cell across columns: empty cells after it keep the next cells under their headers.
                cells += [("", c.tag == "th")] * (_span(c.attributes.get("colspan")) - 1)
        if any(len(plain(text)) > MAX_CELL_CHARS for text, _ in cells):
            return None
        rows.append(cells)
    return rows if any(rows) else None


# A titled box ends where its title's nearest block ancestor with more text ends, unless that is a section
# or the whole content: then its title heads what follows, as an h1-h6 does.
UNBOXED = frozenset(["section", "article", "main", "body", "html"])
# What a block holds besides text that a title can name: a figure's image, a chart, a video.
MEDIA = "img, svg, picture, video, audio, object, embed, iframe, canvas"


def _boxes(root: Any) -> tuple[set[int], set[int]]:
    """The blocks (by mem_id) that a styled title heads (DocBook's tip sidebars, Sphinx admonitions,
    examples): each title's nearest block ancestor holding more than the title. An h1-h6 heads its
    section, whatever wraps it, unless it is right inside a note or tip box (DocBook's stock HTML titles
    those with an h3). Never a block that several titles would head (a list of posts).
    Also the titles that caption an image (a block holding the title and media, no other text): they
    name the figure and head nothing, so they are labels in their section's text."""
    words: dict[int, int] = {}  # mem_id -> words in the node: each node's text read once, however many titles

    def size(node: Any) -> int:
        if node.mem_id not in words:
            words[node.mem_id] = _word_count(node)
        return int(words[node.mem_id])

    heads: Counter[int] = Counter()
    captions: set[int] = set()
    for title in root.css("*"):
        if title.tag in HEADINGS:
            box = title.parent
            if (
                box is not None
                and box.tag in BLOCKS - UNBOXED
                and _is_admonition(box)
                and size(box) != size(title)
            ):
                heads[box.mem_id] += 1
            continue
        if title.tag not in BLOCKS or not _is_title(title):
            continue
        own, node = size(title), title.parent
        while node is not None and node.tag not in UNBOXED:
            if node.tag in BLOCKS and size(node) != own:
                heads[node.mem_id] += 1
                break
            if node.tag in BLOCKS and node.css_first(MEDIA) is not None:
                captions.add(title.mem_id)
                break
            node = node.parent
    return {box for box, n in heads.items() if n == 1}, captions


def write_blocks(root: Any, builder: TextBuilder) -> None:
    """Walk the tree in document order: text gathers into the current paragraph; a block element
    ends it; a heading element is its own paragraph; a titled box is marked (its title heads it only)."""
    buffer: list[str] = []
    boxes, captions = _boxes(root)

    def flush(heading: bool = False) -> None:
        # HTML collapses white space: a source line break inside a paragraph is a space.
        builder.paragraph(" ".join("".join(buffer).split()), heading)
        buffer.clear()

    def walk(node: Any) -> None:
        child = node.child
        while child is not None:
            tag = child.tag
            if tag == "-text":
                buffer.append(plain(child.text_content or ""))
            elif tag in HEADINGS or (tag in BLOCKS and _is_title(child)):
                # A figure's caption is written as a heading is, but labels its section's text instead.
                caption = child.mem_id in captions
                flush()
                start = builder.next_start
                buffer.append(plain(child.text(separator=" ") or ""))
                flush(heading=not caption)
                if caption:
                    builder.label(start)
            elif tag == "pre":
                flush()
                builder.code(child.text() or "")
            elif tag == "table" and (rows := _table_rows(child)) is not None:
                flush()
                caption = child.css_first("caption")
                if caption is not None:
                    builder.paragraph(plain(caption.text(separator=" ") or ""))
                builder.table(rows)
            elif tag in CODE:
                buffer.append(CODE_OPEN)
                walk(child)
                buffer.append(CODE_CLOSE)
            elif tag in BLOCKS:
                flush()
                start = builder.next_start
                walk(child)
                flush()
                if child.mem_id in boxes:
                    builder.box(start)
                if tag == "dt":
                    builder.label(start)
            elif not tag.startswith("-"):  # inline elements; comments ("-comment") are skipped
                walk(child)
            child = child.next

    walk(root)
    flush()


def _inside_content(node: Any) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in CONTENT or parent.attributes.get("role") == "main":
            return True
        parent = parent.parent
    return False


def _holds_content(node: Any) -> bool:
    return node.css_first("main, article") is not None


def main_content(tree: Any) -> Any:
    for node in tree.css(BOILERPLATE + ", " + ROLES):
        node.decompose()
    for node in tree.css('a[href^="#"]'):
        if (node.text() or "").strip() in PERMALINK_MARKS:
            node.decompose()
    for node in tree.css(PAGE_FURNITURE):
        if not _inside_content(node) and not _holds_content(node):
            node.decompose()
    for node in tree.css("ul, ol, div, p, table"):
        if _is_page_steps(node):
            node.decompose()
    contents = [node for node in tree.css("ul, ol, dl") if _is_contents_list(node)]
    listed = sum(_word_count(node) for node in contents)
    # A page that is nothing but such a list keeps it: that is all it says.
    if contents and _word_count(tree.body or tree.root) > listed:
        for node in contents:
            if node.parent is not None:
                node.decompose()
    for node in tree.css("div, section, aside, ul, ol, table"):
        names = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}"
        furniture = FURNITURE_NAME if _inside_content(node) else PAGE_FURNITURE_NAME
        if furniture.search(names) and not _holds_content(node) and not _is_prose(node):
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
    title = " ".join(plain(title_node.text() if title_node else "").split()) or None
    builder = TextBuilder()
    root = main_content(tree)
    if root is None:
        raise ReaderError("has no main content (no text outside navigation, headers and footers)")
    write_blocks(root, builder)
    if not builder.text.strip():
        raise ReaderError("has no main content (no text outside navigation, headers and footers)")
    h1 = tree.css_first("h1")
    h1_text = " ".join(plain(h1.text() if h1 else "").split())
    return builder.result(page_title(title, h1_text), "html", _version())


def page_title(title: str | None, h1: str) -> str | None:
    """The <title>, less a site's name after the page's own h1 ("Logging HOWTO — Python 3.11.2
    documentation" is "Logging HOWTO"); the h1 when there is no <title>."""
    if not title:
        return h1 or None
    if not h1 or not title.casefold().startswith(h1.casefold()):
        return title
    after = title[len(h1) : len(h1) + 3]  # " — " (a separator between spaces, not "Foo-bar")
    return h1 if len(after) == 3 and after[0] == after[2] == " " and after[1] in TITLE_SEPARATORS else title
