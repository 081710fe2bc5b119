"""Every format gives the same document model: the essay's words in order, its headings as headings, its
title; PDF pages are where the text is; bad files are refused with a reason a person can act on."""

from __future__ import annotations

import bz2
import difflib
import gzip
import io
import lzma
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from indexer.chunking import ChunkParams
from indexer.documents import Document
from indexer.embedding import Tokenizer
from indexer.executors import document_passages
from indexer.readers import ReaderError, read_bytes, readable
from indexer.readers.archive import MAX_UNCOMPRESSED
from indexer.readers.pdf import (
    Line,
    _clean,
    _is_heading,
    _join,
    _Measure,
    _new_paragraph,
    _running,
    _strip_edges,
)
from tests.corpus import ESSAY, SEEDS

DOCS = Path(__file__).resolve().parent.parent / "documents"
ESSAY_TEXT = (SEEDS / ESSAY).read_text(encoding="utf-8")
TITLE = "The Paris Commune in Perspective"
SECTION = "The Leading Role of the Party and the Dictatorship of the Proletariat"
RENDERINGS = ("essay.pdf", "essay.html", "essay.epub", "essay.docx", "essay.rst")


def words(text: str) -> list[str]:
    """Words for comparing renderings: typography (curly quotes, dashes) is the renderer's business."""
    return re.findall(r"[a-z0-9]+", text.lower().replace("’", "'"))


def fidelity(extracted: str) -> float:
    """Share of the essay's words found in order in the extracted text."""
    source = words(ESSAY_TEXT)
    matcher = difflib.SequenceMatcher(None, source, words(extracted), autojunk=False)
    return sum(b.size for b in matcher.get_matching_blocks()) / len(source)


def read(name: str) -> tuple[str, object]:
    extracted = read_bytes((DOCS / name).read_bytes(), name)
    return extracted.text, extracted


@pytest.mark.parametrize("name", RENDERINGS)
def test_each_rendering_gives_the_essays_words_in_order_with_title_and_headings(name: str) -> None:
    extracted = read_bytes((DOCS / name).read_bytes(), name)
    assert fidelity(extracted.text) >= 0.98
    assert extracted.title == TITLE
    headings = [extracted.text[h:].split("\n", 1)[0] for h in extracted.headings or ()]
    assert SECTION in headings
    assert extracted.format == name.rsplit(".", 1)[1]
    assert extracted.reader


def test_html_keeps_the_main_content_only() -> None:
    text, _ = read("essay.html")
    for boilerplate in ("Subscribe", "Contact us", "Privacy policy", "All rights reserved", "analytics"):
        assert boilerplate not in text


def test_pdf_leaves_out_running_headers_footers_and_page_numbers() -> None:
    text, extracted = read("essay.pdf")
    assert "file://" not in text and "/6" not in text  # Chromium's footer: the URL and "1/6"
    assert not re.search(r"\d+/\d+/\d+, \d+:\d+", text)  # its header: the date and time
    assert len(extracted.page_starts) == 6  # type: ignore[attr-defined]


def test_every_pdf_page_start_is_where_that_pages_text_begins() -> None:
    """Oracle: PDFium's raw text of each page, independently of our paragraph rebuilding."""
    import pypdfium2 as pdfium

    text, extracted = read("essay.pdf")
    pdf = pdfium.PdfDocument(DOCS / "essay.pdf")
    starts = extracted.page_starts  # type: ignore[attr-defined]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(text)
        raw_words = words(pdf[n].get_textpage().get_text_range())
        ours = words(text[start:end])
        assert ours, f"page {n + 1} is empty"
        # Our page's words are that page's words (the raw text also has the header and footer lines).
        assert " ".join(ours[:8]) in " ".join(raw_words), n + 1
        assert " ".join(ours[-8:]) in " ".join(raw_words), n + 1


def test_words_hyphenated_across_line_ends_are_joined() -> None:
    assert _join("the dictator-", "ship of") == "the dictatorship of"
    assert _join("self-", "Reliance") == "self- Reliance"  # a capital: a real hyphenated compound
    assert _join("soft\u00ad", "ware") == "software"
    # PDFium reports a hyphenation point as U+FFFE, at a line end or inside a line.
    assert _join("manip\ufffe", "ulation") == "manipulation"
    assert _join("All\ufffe", "Russia Congress") == "All-Russia Congress"
    assert _clean("DER manip\ufffeulation.") == "DER manipulation."
    assert _clean("this All\ufffeRussia Congress") == "this All-Russia Congress"
    assert _clean("a glyph \ufffdwithout\uffff a code") == "a glyph without a code"


def test_a_soft_hyphen_is_dropped_in_every_format_and_its_word_stays_whole() -> None:
    """U+00AD marks where a word may break (Debian's FHS page has them): invisible, and left in it would
    split the word into two search terms. At a plain-text line's end it joins the word's halves."""
    shy = "\u00ad"
    assert (
        read_bytes(f"Some syn{shy}\n   tax, hy{shy}phen.\n".encode(), "a.txt").text
        == "Some syntax, hyphen.\n"
    )
    # Only a word broken over two lines joins: a paragraph's end, a list or a numbered step stay apart.
    for kept in ("A word{}\n\nNext paragraph.\n", "Some text{}\n- item one\n", "Step{}\n2. second\n"):
        assert read_bytes(kept.format(shy).encode(), "a.txt").text == kept.format(""), kept
    titled = f"<html><head><title>Soft{shy}ware guide</title></head><body><p>Read.</p></body></html>"
    assert read_bytes(titled.encode(), "a.html").title == "Software guide"
    page = f"<p>syn{shy}tax</p><pre>co{shy}de</pre><table><tr><td>ce{shy}ll</td><td>b</td></tr></table>"
    html = read_bytes(page.encode(), "a.html")
    assert html.text == "syntax\n\ncode\n\ncell | b"
    assert [html.text[s:e] for s, e, kind in html.marks if kind in ("pre", "td")] == ["code", "cell", "b"]
    for name, source in (("a.md", f"# T\n\nsoft{shy}ware\n"), ("a.rst", f"T\n=\n\nsoft{shy}ware\n")):
        assert read_bytes(source.encode(), name).text == "T\n\nsoftware", name
    # In markup a line break is a space: the lines of a table, a code block, a title stay as they are.
    table = read_bytes(f"| a | b{shy}\n|---|---|\n| 1 | 2 |\n".encode(), "t.md")
    cells = [table.text[s:e] for s, e, kind in table.marks if kind in ("th", "td")]
    assert (table.text, cells) == ("a | b\n\n1 | 2", ["a", "b", "1", "2"])
    assert read_bytes(f"```\nline{shy}\n    indented\n```\n".encode(), "c.md").text == "line\n    indented"


def test_paths_addresses_and_links_broken_across_line_ends_are_joined() -> None:
    """Typesetters break a path or an address after a slash or a dot, with no hyphen (Debian's PDFs)."""
    assert _join("installed in /usr/", "share/doc/package") == "installed in /usr/share/doc/package"
    assert _join("mail to admin@rt.", "debian.org and") == "mail to admin@rt.debian.org and"
    assert _join("see https://www.debian.org/", "security/faq") == "see https://www.debian.org/security/faq"
    # A listing of paths, one a line, stays apart; so do a sentence's end and a new sentence.
    assert _join("dists/stable/main/", "dists/stable/main/binary-amd64/") == (
        "dists/stable/main/ dists/stable/main/binary-amd64/"
    )
    assert _join("kept in /etc/.", "The next one") == "kept in /etc/. The next one"
    assert _join("in 2023.", "then") == "in 2023. then"
    assert _join("/* line 6 */", "return 0;") == "/* line 6 */ return 0;"  # a comment's end
    assert _join("see https://example.org/tex/", "2 A note") == "see https://example.org/tex/ 2 A note"


def test_a_pdf_running_header_is_never_a_title_or_a_sentence() -> None:
    """A title that shares a running header's words stays (the FHS's "Filesystem Hierarchy Standard" set
    large on its first page); a sentence ending three pages ("Hash some more data.") is the text's own."""
    body, big, letters = 10.0, 24.9, "abcdefghijklmnopqrstuvwxyz"

    def page(n: int) -> list[Line]:
        last = "Hash some more data." if n < 3 else f"Page {letters[n]} ends here."
        own = [f"Line {letters[i]} of page {letters[n]}." for i in range(6)]
        texts = ["Filesystem Hierarchy Standard", *own, last]
        return [Line(t, 72.0, 750.0 - 20 * i, body) for i, t in enumerate(texts)]

    pages = [page(n) for n in range(20)]
    running = _running(pages, 1.2 * body)
    assert "filesystem hierarchy standard" in running and "hash some more data." not in running
    first = _strip_edges(pages[0], running, True, None, 1.2 * body)
    assert first[0].text == "Line a of page a." and first[-1].text == "Hash some more data."
    title = [Line("Filesystem Hierarchy Standard", 72.0, 750.0, big), *pages[1][1:]]
    assert _strip_edges(title, running, True, None, 1.2 * body)[0].text == "Filesystem Hierarchy Standard"


def test_a_pdf_list_item_is_a_paragraph_and_its_hanging_lines_are_not() -> None:
    """A bullet's text hangs indented under its marker: the indent is no new paragraph; the next bullet
    is (a list item is a sentence of its own for the highlight)."""
    m = _Measure(body=10.0, step=12.0, width=500.0)
    item = Line("• Run lintian over the package. You can run it as", left=72.0, baseline=700.0, size=10.0)
    hanging = Line("follows: lintian -v package.changes. This", left=84.0, baseline=688.0, size=10.0)
    after = Line("will check the source package.", left=84.0, baseline=676.0, size=10.0)
    bullet = Line("• Optionally run debdiff.", left=72.0, baseline=664.0, size=10.0)
    indented = Line("A new paragraph starts indented.", left=90.0, baseline=652.0, size=10.0)
    assert not _new_paragraph(item, hanging, False, False, m)
    assert not _new_paragraph(hanging, after, False, False, m)
    assert _new_paragraph(after, bullet, False, False, m)
    assert _new_paragraph(Line("Prose ends here.", 72.0, 664.0, 10.0), indented, False, False, m)


def test_a_pdf_heading_is_set_large_or_bold_with_a_section_number() -> None:
    """A book's deepest headings are often bold at body size ("4.6.4.1 Stable, testing, and unstable")."""
    body = 10.0
    assert _is_heading(Line("4.6 The Debian archive", 72.0, 700.0, 14.3), body)
    assert _is_heading(Line("4.6.4.1 Stable, testing, and unstable", 72.0, 700.0, 10.0, bold=True), body)
    assert not _is_heading(Line("4.6.4.1 Stable, testing, and unstable", 72.0, 700.0, 10.0), body)
    assert not _is_heading(Line("2.5 percent of uploads fail.", 72.0, 700.0, 10.0, bold=True), body)
    assert not _is_heading(Line("Stable, testing and unstable", 72.0, 700.0, 10.0, bold=True), body)


def test_markdown_front_matter_and_markup_are_left_out() -> None:
    source = (
        b"---\ntitle: Front\nauthor: x\n---\n# The *Real* Title\n\nSome **bold** and [a link](http://x).\n"
    )
    extracted = read_bytes(source, "notes.md")
    assert extracted.text == "The Real Title\n\nSome bold and a link."
    assert extracted.title == "The Real Title"
    assert extracted.headings == (0,)


def test_markdown_raw_html_blocks_read_as_a_browser_shows_them() -> None:
    source = (
        b'# Notes\n\n<div class="box">\n<p>Rents &amp; wages were fixed.</p>\n'
        b"<script>var token = 1;</script>\n<style>.box{color:red}</style>\n<h2>Later</h2>\n</div>\n\n"
        b"<!-- an editor's comment -->\n\nEnd.\n"
    )
    extracted = read_bytes(source, "notes.md")
    assert extracted.text == "Notes\n\nRents & wages were fixed.\n\nLater\n\nEnd."
    assert extracted.headings == (0, extracted.text.index("Later"))
    inline = read_bytes(b"Before <script>var token = 1;</script>after <span>kept</span> end.\n", "a.md")
    assert inline.text == "Before after kept end."


def test_docx_heading_styles_are_headings_and_core_title_is_the_title() -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "Council Notes"
    document.add_heading("First part", level=1)
    document.add_paragraph("The soviets met every week.")
    buffer = io.BytesIO()
    document.save(buffer)
    extracted = read_bytes(buffer.getvalue(), "notes.docx")
    assert extracted.title == "Council Notes"
    assert extracted.text == "First part\n\nThe soviets met every week."
    assert extracted.headings == (0,)


def blank_pdf() -> bytes:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    pdf.new_page(595, 842)
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def bomb(member: str) -> bytes:
    """A ZIP whose one member inflates to just over the cap: a few hundred kilobytes on disk."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z, z.open(member, "w", force_zip64=True) as fh:
        chunk = b"\0" * 2**20
        for _ in range(MAX_UNCOMPRESSED // 2**20 + 1):
            fh.write(chunk)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("locked.pdf", lambda: (DOCS / "encrypted.pdf").read_bytes(), "encrypted PDF"),
        ("scan.pdf", blank_pdf, "no extractable text (a scanned PDF"),
        ("broken.pdf", lambda: b"%PDF-1.7\n" + b"\x00garbage" * 100, "not a readable PDF"),
        ("half.pdf", lambda: (DOCS / "essay.pdf").read_bytes()[:3000], "PDF"),
        ("bomb.epub", lambda: bomb("OEBPS/chapter.xhtml"), "zip bomb"),
        ("bomb.docx", lambda: bomb("word/document.xml"), "zip bomb"),
        ("broken.docx", lambda: b"PK\x03\x04" + b"not a zip" * 50, "corrupt ZIP container"),
        ("broken.epub", lambda: b"PK\x03\x04" + b"not a zip" * 50, "corrupt ZIP container"),
        ("empty.epub", lambda: zip_of({"mimetype": b"application/epub+zip"}), "container.xml is missing"),
        ("chrome.html", lambda: b"<body><nav>Menu</nav><footer>c</footer></body>", "no main content"),
        ("contributing.rst", lambda: b".. include:: ../../CONTRIBUTING.rst\n", "renders to no text"),
        ("blank.rst", lambda: b"  \n\n", "is empty"),
    ],
)
def test_a_bad_file_is_refused_with_its_reason(name: str, make: object, reason: str) -> None:
    with pytest.raises(ReaderError, match=re.escape(reason)):
        read_bytes(make(), name)  # type: ignore[operator]


COMPRESSORS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}


@pytest.mark.parametrize("suffix", COMPRESSORS)
@pytest.mark.parametrize("name", ["essay.pdf", "essay.html", "essay.txt"])
def test_a_document_compressed_whole_reads_as_itself(name: str, suffix: str) -> None:
    """Debian ships manuals as `policy.pdf.gz` and `fhs-3.0.txt.gz`: the same text, title and pages."""
    raw = (SEEDS / ESSAY).read_bytes() if name == "essay.txt" else (DOCS / name).read_bytes()
    plain = read_bytes(raw, name)
    packed = read_bytes(COMPRESSORS[suffix](raw), name + suffix)
    assert (packed.text, packed.title, packed.format) == (plain.text, plain.title, plain.format)
    assert (packed.headings, packed.page_starts, packed.marks) == (
        plain.headings,
        plain.page_starts,
        plain.marks,
    )


def test_concatenated_streams_are_one_document_and_junk_after_a_whole_stream_ends_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`cat a.gz b.gz` and `cat a.xz b.xz` are read whole, zero padding between members skipped; bytes
    after the last complete stream that start no other end the file (as `gunzip` reads them, warning of
    trailing garbage, naming the file)."""
    assert (
        read_bytes(gzip.compress(b"Some ") + gzip.compress(b"notes.\n"), "n.txt.gz").text == "Some notes.\n"
    )
    assert (
        read_bytes(lzma.compress(b"Some ") + lzma.compress(b"notes.\n"), "n.txt.xz").text == "Some notes.\n"
    )
    assert read_bytes(lzma.compress(b"Some notes.\n") + b"junk", "n.txt.xz").text == "Some notes.\n"
    assert read_bytes(gzip.compress(b"Some notes.\n") + b"junk", "n.txt.gz").text == "Some notes.\n"
    assert "n.txt.gz: 4 bytes after the last whole stream ignored" in caplog.text
    assert (
        read_bytes(bz2.compress(b"Some ") + bz2.compress(b"notes.\n") + b"junk", "n.txt.bz2").text
        == "Some notes.\n"
    )
    padded = gzip.compress(b"Some ") + bytes(512) + gzip.compress(b"notes.\n")  # a tape's blocks
    assert read_bytes(padded, "n.txt.gz").text == "Some notes.\n"
    empty = gzip.compress(b"")
    assert read_bytes(empty * 5_000 + gzip.compress(b"Some notes.\n"), "n.txt.gz").text == "Some notes.\n"


def _crc_broken(member: bytes) -> bytes:
    return member[:-8] + bytes([member[-8] ^ 1]) + member[-7:]


@pytest.mark.parametrize(
    ("second", "reason"),
    [
        (gzip.compress(b"notes.\n" * 50)[:-9], "ends inside a stream"),
        (_crc_broken(gzip.compress(b"notes.\n")), "incorrect data check"),
        (gzip.compress(b"notes.\n")[:10], "ends inside a stream"),
    ],
)
def test_a_damaged_later_member_is_refused_not_dropped(second: bytes, reason: str) -> None:
    """A later member cut short or failing its check is a damaged file, as for gunzip: its first member
    alone is not the document."""
    with pytest.raises(ReaderError, match=re.escape(reason)):
        read_bytes(gzip.compress(b"First part. ") + second, "n.txt.gz")


def xz_asking_for_4_gib() -> bytes:
    """An xz file whose block header asks for a 4 GiB dictionary (its CRC set right): decoding it would
    allocate that much."""
    raw = bytearray(lzma.compress(b"Some notes.\n"))
    size = (raw[12] + 1) * 4  # the block header follows the 12-byte stream header
    header = raw[12 : 12 + size]
    header[header.index(b"\x21\x01") + 2] = 40  # LZMA2's dictionary size code: 40 is 4 GiB - 1
    header[-4:] = struct.pack("<I", zlib.crc32(bytes(header[:-4])))
    raw[12 : 12 + size] = header
    return bytes(raw)


@pytest.mark.parametrize(
    ("name", "raw", "reason"),
    [
        ("notes.txt.gz", gzip.compress(b"Some notes.\n" * 100)[:-20], "not a readable gzip file"),
        ("notes.txt.gz", b"\x1f\x8b" + b"garbage" * 20, "not a readable gzip file"),
        ("notes.txt.xz", b"\xfd7zXZ\x00" + b"garbage" * 20, "not a readable xz file"),
        ("notes.txt.bz2", b"BZh9" + b"garbage" * 20, "not a readable bzip2 file"),
        ("bomb.html.gz", gzip.compress(b" " * 5_000_001), "inflates to over 5,000,000 bytes"),
        ("notes.tar.gz", gzip.compress(b"tar"), "unsupported suffix"),
        ("notes.txt.xz", xz_asking_for_4_gib(), "Memory usage limit exceeded"),
        ("notes.txt.xz", lzma.compress(b"Some notes.\n")[:-12], "ends inside a stream"),
    ],
)
def test_a_bad_compressed_file_is_refused_with_its_reason(name: str, raw: bytes, reason: str) -> None:
    """A damaged file says so; one that inflates past the size limit stops there (5 MB of spaces is 5 kB
    gzipped: the cap holds whatever the ratio); an xz file is not given the memory it asks beyond 256 MiB."""
    with pytest.raises(ReaderError, match=re.escape(reason)):
        read_bytes(raw, name, max_bytes=5_000_000)


RFC_STYLE = """Table of Contents

   1.  Introduction . . . . . . . . . . . . . . . . . . . . . . .   3
   2.  Terminology  . . . . . . . . . . . . . . . . . . . . . . .   4
     2.1.  Requirements Language  . . . . . . . . . . . . . . . .   4
   3.  Message Format . . . . . . . . . . . . . . . . . . . . . .   5
   4.  Security Considerations  . . . . . . . . . . . . . . . . .   9

1.  Introduction

   This memo defines a format.

2.  Terminology

2.1.  Requirements Language

   The key words are to be read as described.

3.  Message Format

   To install it:

   1. Unpack the archive.
   2. Run the installer.
   3. Restart the service.
   4. Check the log.

4.  Security Considerations

   None.
"""

SPHINX_STYLE = """Debian Policy Manual
********************

* 1. About this manual

  * 1.1. Scope

  * 1.2. New versions of this document

* 2. The Debian Archive

  * 2.1. The Debian Free Software Guidelines
    (DFSG)

1. About this manual
********************

1.1. Scope
==========

This manual describes the policy requirements.

1.2. New versions of this document
==================================

It is revised.

2. The Debian Archive
*********************

2.1. The Debian Free Software Guidelines (DFSG)
===============================================

Free software only.
"""


@pytest.mark.parametrize("source", [RFC_STYLE, SPHINX_STYLE])
def test_a_plain_text_table_of_contents_is_left_out_and_the_sections_it_lists_stay(source: str) -> None:
    """Its entries are section titles with nothing under them: they would answer before the sections do.
    An entry is a numbered line that a later line opens with; a numbered list of steps is not one."""
    text = read_bytes(source.encode(), "manual.txt").text
    assert "..." not in text and "* 1.1. Scope" not in text and "(DFSG)\n\n1. About" not in text
    kept = [line for line in source.split("\n") if line.strip() and not line.lstrip().startswith("* ")]
    kept = [line for line in kept if ". . ." not in line and line.strip() != "(DFSG)"]
    assert [line for line in text.split("\n") if line.strip()] == kept, "the sections, and the steps, stay"


@pytest.mark.parametrize(
    "source",
    [
        "To install on Debian:\n\n1. Download it\n2. Unpack it\n3. Run the installer\n4. Restart\n\n"
        "To install on Fedora:\n\n1. Download it\n2. Unpack it\n3. Run the installer\n4. Restart\n",
        "HTTP format:\n\n  1  CARD8  opcode\n  2  CARD16 length\n  3  CARD8  unused\n  4  CARD32 time\n\n"
        "HTTPS format:\n\n  1  CARD8  opcode\n  2  CARD16 length\n  3  CARD8  unused\n  4  CARD32 time\n",
        "Changes:\nM\tsrc/a.c\nM\tsrc/b.c\nA\tsrc/c.c\nD\tsrc/d.c\n\nLater:\nM\tsrc/a.c\nM\tsrc/b.c\n"
        "A\tsrc/c.c\nD\tsrc/d.c\n",
        "1. Intro\n2. Usage\n3. Notes\n4. Credits\n   1. Intro\n   2. Usage\n   3. Notes\n   4. Credits\n",
    ],
)
def test_lists_and_tables_that_recur_are_no_table_of_contents(source: str) -> None:
    """Steps, a table's rows or a change list that come again are content: a contents entry names a
    heading that stands on its own later (a paragraph of its own, or over a rule)."""
    assert read_bytes(source.encode(), "notes.txt").text == source


SPHINX_SOURCE = b"""=============
Logging HOWTO
=============

.. toctree::

   intro
   advanced

Basic tutorial
--------------

Call :func:`~logging.warning` to warn, as :ref:`the advanced tutorial <advanced-tutorial>` shows.

.. note::

   The default level is ``WARNING``.

.. code-block:: python

   import logging
   logging.warning('Watch out!')

.. function:: basicConfig(**kwargs)

   Does basic configuration for the logging system.

.. versionadded:: 3.2
   The *style* parameter.

.. only:: html

   Shown on the web page.

.. autofunction:: logging.getLogger

.. include:: /etc/passwd

.. raw:: html

   <script>alert(1)</script>
"""


def test_restructuredtext_reads_as_sphinx_shows_it() -> None:
    """Sphinx's sources (Debian ships setuptools' docs as .rst.gz): roles show their text, directives their
    content, code keeps its lines; no other file is read and no raw markup comes through."""
    extracted = read_bytes(SPHINX_SOURCE, "logging.rst")
    text = extracted.text
    assert (extracted.title, extracted.format) == ("Logging HOWTO", "rst")
    headings = [text[h:].split("\n", 1)[0] for h in extracted.headings or ()]
    assert headings == ["Logging HOWTO", "Basic tutorial", "Note"]
    assert "Call warning to warn, as the advanced tutorial shows." in text
    assert "The default level is WARNING." in text
    assert "import logging\nlogging.warning('Watch out!')" in text
    assert "basicConfig(**kwargs)\n\nDoes basic configuration for the logging system." in text
    assert "Added in version 3.2: The style parameter.\n\nShown on the web page." in text
    code = [text[s:e] for s, e, kind in extracted.marks if kind in ("code", "pre")]
    assert "WARNING" in code and any(c.startswith("import logging") for c in code)
    for absent in ("intro", "advanced\n", "html\n", "getLogger", "root:", "script", "alert", ":func:", ".. "):
        assert absent not in text, absent


def test_an_rst_document_reads_no_other_file_and_cannot_blow_up(tmp_path: Path) -> None:
    """An image the document asks to embed is a file read (docutils' writer reads it whatever the file
    insertion setting): images are left out. Nested substitutions double at each level: shown by name."""
    secret = tmp_path / "secret.svg"
    secret.write_text("root:x:0:0 the secret")
    embed = (
        f"Title\n=====\n\n.. image:: {secret}\n   :loading: embed\n\nSee |x|.\n\n.. |x| image:: {secret}\n"
    )
    assert read_bytes((embed + "   :loading: embed\n").encode(), "t.rst").text == "Title\n\nSee ."
    nested = "".join(f".. |s{i}| replace:: |s{i + 1}| |s{i + 1}|\n" for i in range(40))
    assert read_bytes(f"Title\n=====\n\n|s0|\n\n{nested}".encode(), "t.rst").text == "Title\n\ns1 s1"


def test_sphinx_code_blocks_options_and_settings_read_as_the_page_shows_them() -> None:
    source = (
        "Title\n=====\n\n.. highlight:: python3\n\n.. code-block:: cmake\n   :caption: Example\n"
        "   :linenos:\n\n   return()\n   set(x 1)\n\n.. Function:: f()\n   :noindex:\n\n   Does f.\n\n"
        ".. sidebar:: Aside\n\n   A short sidebar.\n\n" + "x" * 20_000 + "\n\nKept."
    )
    text = read_bytes(source.encode(), "t.rst").text
    assert text == "Title\n\nreturn()\nset(x 1)\n\nf()\n\nDoes f.\n\nAside\n\nA short sidebar.\n\nKept.", (
        "a line docutils refuses is dropped; a sidebar is the document's own"
    )


def test_version_changes_and_standards_read_as_sphinx_shows_them() -> None:
    """A version change reads with Sphinx's label ("Deprecated since version 3.12"), its text after it; a
    PEP or an RFC by its number, or by the title given it (docutils alone left a titled one as markup)."""
    source = (
        "Title\n=====\n\n.. versionchanged:: 3.4 Accepts a path.\n\n.. deprecated:: 3.12\n\n"
        ".. versionadded:: 3.8\n\n   First paragraph.\n\n   Second paragraph.\n\n"
        ".. versionchanged:: 3.9\n\n   - a list\n\n"
        ".. versionadded::\n\n   No version: shown all the same.\n\n"
        "See :pep:`8`, :pep:`PEP 517 <517#build>`, :rfc:`2822#section-3` and :pep:`a \\<b\\>`.\n"
    )
    assert read_bytes(source.encode(), "t.rst").text == (
        "Title\n\nChanged in version 3.4: Accepts a path.\n\nDeprecated since version 3.12.\n\n"
        "Added in version 3.8: First paragraph.\n\nSecond paragraph.\n\nChanged in version 3.9:\n\n"
        "a list\n\nNo version: shown all the same.\n\n"
        "See PEP 8, PEP 517, RFC 2822#section-3 and PEP a <b>."
    )


def test_sphinx_sources_saved_as_text_read_as_their_markup() -> None:
    """Sphinx's HTML builds keep each page's source as `_sources/page.rst.txt`: read as reStructuredText
    (or Markdown for `.md.txt`), not shown with its markup; any other `.txt` is text."""
    source = b"Title\n=====\n\nCall :func:`~os.path.join` (see :pep:`8`).\n"
    rst = read_bytes(source, "page.rst.txt")
    assert (rst.format, rst.title, rst.text) == ("rst", "Title", "Title\n\nCall join (see PEP 8).")
    assert readable("_sources/page.rst.txt") and readable("page.md.txt.gz")
    assert read_bytes(gzip.compress(source), "page.RST.txt.gz").text == rst.text
    assert read_bytes(b"# Title\n\nSome *words*.\n", "notes.md.txt").text == "Title\n\nSome words."
    assert read_bytes(source, "page.txt").text == source.decode()


def test_one_rst_document_does_not_change_how_the_next_reads() -> None:
    """docutils keeps roles in a process-wide registry: a document's own `.. role::` or `.. default-role::`
    is undone once it is read."""
    read_bytes(b".. role:: func(raw)\n   :format: html\n\nTitle\n=====\n\nUse :func:`open`.\n", "a.rst")
    read_bytes(b".. default-role:: pep\n\nTitle\n=====\n\nSee `8`.\n", "b.rst")
    text = read_bytes(b"Title\n=====\n\nUse :func:`open` for `The Book`.\n", "c.rst").text
    assert text == "Title\n\nUse open for The Book."


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


BLOG = b"""<html><head><title>The Soviets in 1917 - A Blog</title></head><body>
<header><a href="/">Home</a> | <a href="/about">About</a></header>
<div id="site-header">Blog of history</div>
<div class="breadcrumbs">Home &gt; Posts</div>
<div class="content">
  <div class="entry-header"><h1>The Soviets in 1917</h1></div>
  <p>The soviets were councils of workers.</p>
  <div class="share-buttons">Share on X</div>
</div>
<div class="sidebar">Popular posts</div>
<div id="cookie-banner">We use cookies</div>
<div class="footer">Copyright 2026</div>
</body></html>"""

ARTICLE = b"""<html><body><header>Site name</header><main><article>
<header><h1>Councils</h1><p>By A. Writer</p></header><p>They met in Petrograd.</p>
<div class="social-share">Share</div><footer>Filed under history.</footer>
</article></main><footer>Copyright</footer></body></html>"""


def test_html_without_semantic_tags_drops_blocks_named_as_site_furniture() -> None:
    extracted = read_bytes(BLOG, "post.html")
    assert extracted.text == "The Soviets in 1917\n\nThe soviets were councils of workers."
    assert extracted.headings == (0,)
    assert extracted.title == "The Soviets in 1917"  # the <title> less the blog's name


SPHINX = """<html><head><title>Logging HOWTO — Python 3.11.2 documentation</title></head><body>
<div class="sphinxsidebar" role="navigation"><h3>Table of Contents</h3><ul><li>Basic</li></ul></div>
<aside class="site-promo">Try our cloud</aside>
<div class="body" role="main"><section id="logging-howto">
<h1>Logging HOWTO<a class="headerlink" href="#logging-howto" title="Permalink">¶</a></h1>
<aside class="topic"><p class="topic-title">Abstract</p><p>Logging tracks events.</p></aside>
<p>Call basicConfig first<a class="footnote-reference" href="#f1">[1]</a>.</p>
<aside class="footnote brackets" id="f1"><span class="label">1</span><p>Or not at all.</p></aside>
<aside class="sidebar">Related: <a href="a">a</a> <a href="b">b</a></aside>
</section></div></body></html>""".encode()


def test_sphinx_footnotes_and_note_boxes_stay_and_permalink_marks_and_the_sites_name_go() -> None:
    extracted = read_bytes(SPHINX, "logging.html")
    assert extracted.text == (
        "Logging HOWTO\n\nAbstract\n\nLogging tracks events.\n\nCall basicConfig first[1].\n\n1\n\n"
        "Or not at all."
    )
    assert extracted.title == "Logging HOWTO"
    boxes = [extracted.text[s:e] for s, e, kind in extracted.marks if kind == "box"]
    assert "Abstract\n\nLogging tracks events." in boxes  # the topic box heads only itself


def test_a_title_keeps_what_is_not_a_site_name_after_the_h1() -> None:
    from indexer.readers.html import page_title

    assert page_title("Quotas - the basics", "Quotas") == "Quotas"
    assert page_title("Quotas-the basics", "Quotas") == "Quotas-the basics"  # one hyphenated title
    assert page_title("Quotas and limits", "Quotas") == "Quotas and limits"
    assert page_title(None, "Quotas") == "Quotas"
    assert page_title(None, "") is None


def test_an_articles_own_header_and_footer_stay_and_the_pages_go() -> None:
    extracted = read_bytes(ARTICLE, "post.html")
    assert extracted.text == "Councils\n\nBy A. Writer\n\nThey met in Petrograd.\n\nFiled under history."


def test_a_book_pages_navigation_and_contents_are_left_out_and_its_tip_boxes_kept() -> None:
    page = b"""<html><head><title>6.2. apt-get</title></head><body>
    <ul class="docnav top"><li class="previous"><a accesskey="p" href="a.html">Prev</a></li>
      <li class="home">The Handbook</li><li class="next"><a accesskey="n" href="c.html">Next</a></li></ul>
    <div class="toc"><ul><li><a href="#s1">6.2.1. Initialization</a></li>
      <li><a href="#s2">6.2.2. Remove</a></li></ul></div>
    <h2 class="title">6.2.1. Initialization</h2>
    <div class="para">For any work with APT, the list of available packages needs to be updated.</div>
    <div class="sidebar"><div class="titlepage">
      <p class="title"><strong>TIP Incremental updates</strong></p></div>
      <div class="para">The aim of the apt update command is to download for each package source the
      corresponding Packages file. Even after compression these files can remain rather large, so APT
      downloads only the differences with the previous version when it can.</div></div>
    <ul class="docnav">
      <li class="previous"><a accesskey="p" href="a.html"><strong>Prev</strong>Chapter 6</a></li>
      <li class="up"><a accesskey="u" href="#"><strong>Up</strong></a></li>
      <li class="next"><a accesskey="n" href="c.html"><strong>Next</strong>6.3. apt-cache</a></li></ul>
    </body></html>"""
    extracted = read_bytes(page, "sect.apt-get.html")
    text = extracted.text
    assert "Prev" not in text and "Next" not in text and "The Handbook" not in text
    assert "6.2.2. Remove" not in text, "the table of contents is navigation"
    assert "APT downloads only the differences" in text, "a book's sidebar of tips is content"
    headings = [text[h:].split("\n\n")[0] for h in extracted.headings or ()]
    assert headings == ["6.2.1. Initialization", "TIP Incremental updates"]


def marked(extracted: object, kind: str) -> list[str]:
    """The text of each mark of one kind, as the document page will show it apart."""
    text = extracted.text  # type: ignore[attr-defined]
    return [text[s:e] for s, e, k in extracted.marks if k == kind]  # type: ignore[attr-defined]


CODE_PAGE = b"""<html><head><title>Apt</title></head><body><main><h1>Updating</h1>
<p>Run <code class="command">apt-get
  update</code> first, then <kbd>apt upgrade</kbd>.</p>
<pre class="screen">
<code>$ apt-get install foo
    Reading package lists</code>

Done
</pre>
<table><caption>Options</caption><thead><tr><th>Option</th><th>Meaning</th></tr></thead>
<tbody><tr><td><code>-y</code></td><td><p>assume yes | answer all</p></td></tr></tbody></table>
<div class="calloutlist"><table><tr><td><p>1</p></td>
<td><div class="para">A callout.</div></td></tr></table></div>
</main></body></html>"""


def test_html_code_keeps_its_lines_and_is_marked_apart_from_prose() -> None:
    extracted = read_bytes(CODE_PAGE, "apt.html")
    assert marked(extracted, "code") == ["apt-get update", "apt upgrade", "-y"]  # "-y": in a table cell
    # A code block keeps its line breaks and indentation; its blank line would end the paragraph.
    assert marked(extracted, "pre") == ["$ apt-get install foo\n    Reading package lists\nDone"]
    assert "Run apt-get update first, then apt upgrade." in extracted.text
    assert not re.search("[\x00\ue000\ue001]", extracted.text)


def test_an_html_table_of_data_keeps_its_rows_and_cells_and_a_layout_table_is_prose() -> None:
    extracted = read_bytes(CODE_PAGE, "apt.html")
    assert marked(extracted, "table") == ["Option | Meaning\n\n-y | assume yes | answer all"]
    assert marked(extracted, "row") == ["Option | Meaning", "-y | assume yes | answer all"]
    assert marked(extracted, "th") == ["Option", "Meaning"]
    assert marked(extracted, "td") == ["-y", "assume yes | answer all"]  # a cell's own "|" stays in it
    assert "Options\n\nOption | Meaning" in extracted.text  # the caption before its table
    assert extracted.text.endswith("1\n\nA callout.")  # DocBook's callout table: paragraphs, no cells


def test_markdown_code_and_tables_are_marked() -> None:
    source = (
        b"# Install `foo`\n\nRun `make test` now.\n\n```\nx = 1\n\n    y = 2\n```\n\n"
        b"| A | B |\n|---|---|\n| 1 | two |\n"
    )
    extracted = read_bytes(source, "readme.md")
    assert extracted.title == "Install foo"
    assert marked(extracted, "code") == ["foo", "make test"]
    assert marked(extracted, "pre") == ["x = 1\n    y = 2"]
    assert marked(extracted, "th") == ["A", "B"] and marked(extracted, "td") == ["1", "two"]


def test_docx_tables_keep_cells_and_code_styled_paragraphs_keep_their_lines() -> None:
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    document.add_paragraph("Options follow.")
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([("Option", "Meaning"), ("-y", "assume yes")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.styles.add_style("Source Code", WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("if x:\n    run()", style="Source Code")
    buffer = io.BytesIO()
    document.save(buffer)
    extracted = read_bytes(buffer.getvalue(), "notes.docx")
    assert marked(extracted, "row") == ["Option | Meaning", "-y | assume yes"]
    assert marked(extracted, "td") == ["Option", "Meaning", "-y", "assume yes"]
    assert marked(extracted, "pre") == ["if x:\n    run()"]


def test_every_mark_of_a_real_manual_lies_on_its_text() -> None:
    """libtasn1's gtk-doc reference (Debian's libtasn1-doc): prototypes as code blocks, parameters as
    tables; every cell inside its row, every row inside its table."""
    page = Path("/usr/share/gtk-doc/html/libtasn1/libtasn1-libtasn1.html")
    if not page.is_file():
        pytest.skip("needs Debian's libtasn1-doc (`make test` installs it)")
    extracted = read_bytes(page.read_bytes(), page.name)
    kinds = {k for _, _, k in extracted.marks}
    assert {"pre", "code", "table", "row", "td"} <= kinds
    spans = {k: [(s, e) for s, e, kk in extracted.marks if kk == k] for k in kinds}
    for s, e, kind in extracted.marks:
        text = extracted.text[s:e]
        assert text == text.strip() and (text or kind in ("th", "td")), (kind, text)  # cells may be empty
        parent = {"row": "table", "td": "row", "th": "row"}.get(kind)
        if parent:
            assert any(a <= s and e <= b for a, b in spans[parent]), (kind, text)
    assert any(x.startswith("int\nasn1_parser2tree (") for x in marked(extracted, "pre"))


ADMONITION = b"""<html><head><title>Enum HOWTO</title></head><body><div class="body" role="main">
<section><h1>Enum HOWTO</h1><p>An Enum is a set of names.</p>
<section><h2>Functional API</h2><p>The Enum class is callable.</p>
<div class="admonition note"><p class="admonition-title">Note</p><p>Names must be unique.</p></div>
<p>The second argument is the source of names.</p></section></section></div></body></html>"""

TIP_BOX = b"""<html><body><div class="section"><div class="titlepage"><div><div>
<h2 class="title">12.1. RAID</h2></div></div></div><div class="para">RAID has levels.</div>
<div class="sidebar"><div class="titlepage"><div><div><p class="title"><strong>CAUTION RAID is not Backup
</strong></p></div></div></div><div class="para">Keep backups. A RAID array protects against a disk
failure, not against a mistaken rm, a corrupted file system or a stolen machine: every one of those is
copied to every disk at once, so a backup elsewhere is still needed.</div></div>
<div class="para">RAID-5 uses parity.</div></div></body></html>"""


# DocBook XSL's stock HTML titles a note or tip box with an h3 (the FHS in Debian's debian-policy).
DOCBOOK_TIP = b"""<html><body><div class="section"><div class="titlepage"><div><div><h3 class="title">3.1.
Purpose</h3></div></div></div><p>Files are grouped by use.</p><div class="tip" style="margin-left: 0.5in">
<h3 class="title">Rationale</h3><p>Shareable files can be stored on one host and used on several others,
which keeps the copies in step and saves disk space on every machine that mounts them.</p></div>
<p>The /usr hierarchy is shareable.</p></div></body></html>"""


@pytest.mark.parametrize(
    ("page", "box_text", "after", "section"),
    [
        (ADMONITION, "Note\n\nNames must be unique.", "The second argument", "Functional API"),
        (TIP_BOX, "CAUTION RAID is not Backup\n\nKeep backups. A RAID", "RAID-5 uses parity.", "12.1. RAID"),
        (DOCBOOK_TIP, "Rationale\n\nShareable files can be", "The /usr hierarchy", "3.1. Purpose"),
    ],
)
@pytest.mark.parametrize("target", [8, 200])  # a passage a paragraph, or as many as fit
def test_a_titled_box_is_marked_and_the_text_after_it_is_the_sections_again(
    tokenizer: Tokenizer, page: bytes, box_text: str, after: str, section: str, target: int
) -> None:
    extracted = read_bytes(page, "page.html")
    boxes = [extracted.text[s:e] for s, e, kind in extracted.marks if kind == "box"]
    assert any(box.startswith(box_text) for box in boxes)
    doc = Document(
        "page.html", extracted.text, "sha", "t", headings=extracted.headings, marks=extracted.marks
    )
    passages = document_passages(doc, tokenizer, ChunkParams(target_tokens=target, max_tokens=254))
    assert [p.heading for p in passages if p.text.startswith(after)] == [section]
    title, body = box_text.split("\n\n")
    first_words = body.split(". ")[0]
    assert [p.heading for p in passages if first_words in p.text] == [title]


FIGURE = b"""<html><body><div class="section"><div class="titlepage"><div><div>
<h2 class="title">9.1. System Boot</h2></div></div></div><p>The BIOS starts first.</p>
<div class="figure"><div class="figure-contents"><div class="mediaobject"><img src="boot.png" alt="Boot"/>
</div></div><p class="title"><strong>Figure 9.1. Boot sequence of a computer</strong></p></div>
<p>Then systemd starts the services.</p></div></body></html>"""


def test_a_figures_caption_is_a_label_and_heads_nothing(tokenizer: Tokenizer) -> None:
    """A DocBook figure's title names its image: the text after the figure is still the section's, and
    the caption is never the highlighted sentence."""
    extracted = read_bytes(FIGURE, "boot.html")
    labels = [extracted.text[s:e] for s, e, kind in extracted.marks if kind == "label"]
    assert labels == ["Figure 9.1. Boot sequence of a computer"]
    assert [extracted.text[h:].split("\n")[0] for h in extracted.headings] == ["9.1. System Boot"]
    doc = Document(
        "boot.html", extracted.text, "sha", "t", headings=extracted.headings, marks=extracted.marks
    )
    (passage,) = document_passages(doc, tokenizer, ChunkParams(target_tokens=200, max_tokens=254))
    assert passage.heading == "9.1. System Boot"
    said = [passage.text[s:e] for i, (s, e) in enumerate(passage.sentences) if i not in passage.labels]
    assert said == ["The BIOS starts first.", "Then systemd starts the services."]


def test_a_table_of_contents_is_not_content() -> None:
    """A list of links to the book's sections (Sphinx's toctree, DocBook's list of tables) is left out; a
    list with a link or two in its prose stays."""
    toc = "".join(f'<li><a href="ch{i}.html">{i}. Chapter {i}</a></li>' for i in range(1, 8))
    page = f"""<html><body><main><h1>The Book</h1><p>Welcome.</p>
    <div class="toctree-wrapper"><ul>{toc}</ul></div>
    <ul><li>Read <a href="ch1.html">the first chapter</a> before you install anything.</li>
    <li>Then configure the network.</li></ul></main></body></html>""".encode()
    text = read_bytes(page, "index.html").text
    assert "Chapter 3" not in text
    assert "Read the first chapter before you install anything." in text
    # Sphinx links every API name: a list of classes is content, and so is a page that is only a list.
    api = "".join(f'<li><a href="#m{i}"><code>Mode{i}</code></a></li>' for i in range(6))
    flags = f"<html><body><main><p>The modes are:</p><ul>{api}</ul></main></body></html>".encode()
    assert "Mode5" in read_bytes(flags, "os.html").text
    only = f"<html><body><ul>{toc}</ul></body></html>".encode()
    assert "Chapter 3" in read_bytes(only, "contents.html").text


def test_a_heading_is_no_box_and_a_block_of_several_titles_is_none() -> None:
    """An h2 with a subtitle beside it still heads its section; a list of posts, each with a styled
    title, is not one box."""
    subtitle = b"""<html><body><h1>Guide</h1><p>Intro.</p><div class="titlepage">
    <h2 class="title">2. Installing</h2><p class="subtitle">The basics</p></div>
    <p>Body text.</p></body></html>"""
    posts = b"""<html><body><ul><li><p class="post-title">First post</p></li><li><p class="post-title">Second
    post</p></li></ul><p>Older posts.</p></body></html>"""
    for page in (subtitle, posts):
        assert not [m for m in read_bytes(page, "p.html").marks if m[2] == "box"]
