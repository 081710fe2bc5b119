"""Real documents made by other people's tools read without error and can be searched: the GNU Libtasn1
manual as Debian ships it (libtasn1-doc: a texinfo PDF and a gtk-doc HTML manual; `make test` installs
the package)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generation import store
from indexer.settings import BuildSettings
from query.searcher import Searcher
from tests.corpus import index
from tests.fakes import FakeEmbedder

PDF = Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf")
HTML = Path("/usr/share/gtk-doc/html/libtasn1")

pytestmark = pytest.mark.skipif(
    not PDF.is_file() or not HTML.is_dir(), reason="needs Debian's libtasn1-doc (`make test` installs it)"
)


def test_a_debian_pdf_and_html_manual_are_indexed_and_searchable(tmp_path: Path, fake: FakeEmbedder) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(HTML, corpus / "html")
    shutil.copy(PDF, corpus / "libtasn1.pdf")
    settings = BuildSettings(corpus_dir=corpus, index_dir=tmp_path / "index", export_query_encoder=False)
    summary = index(settings, fake)
    assert not summary.skipped
    html_pages = len(list(HTML.glob("*.html")))
    assert summary.documents == html_pages + 1
    gen = store.open_current(settings.index_dir)
    formats = {d["doc_id"]: d for d in gen.manifest["documents"]}
    assert formats["libtasn1.pdf"]["format"] == "pdf" and formats["libtasn1.pdf"]["pages"] > 20
    searcher = Searcher(gen, fake)
    for doc in ("libtasn1.pdf", None):
        hits = searcher.search("asn1_der_coding DER encoding", 5, doc=doc, mode="lexical").hits
        assert hits and "asn1_der_coding" in hits[0].passage.text
    pdf_hit = searcher.search("asn1_der_coding", 1, doc="libtasn1.pdf", mode="lexical").hits[0]
    assert pdf_hit.passage.pages is not None and pdf_hit.passage.pages[0] > 1


def test_the_texinfo_pdf_loses_its_running_chapter_headers_and_keeps_its_pages() -> None:
    import re

    import pypdfium2 as pdfium

    from indexer.readers import read_bytes

    def words(text: str) -> str:
        return " ".join(re.findall(r"[a-z0-9]+", text.lower()))

    extracted = read_bytes(PDF.read_bytes(), PDF.name)
    assert "Chapter 4: Function reference" not in extracted.text  # the header of every page of chapter 4
    assert "4 Function reference" in extracted.text  # the chapter's own heading stays
    # Chapters of two or three pages: their headers carry the page's number ("Chapter 3: Utilities 6").
    for header in ("Chapter 2: ASN.1 structure handling", "Chapter 3: Utilities", "Appendix A: Copying"):
        assert header not in extracted.text
    # A chapter's heading whose number is its page's ("1 Introduction" on page 1) is set large: it stays.
    for heading in ("1 Introduction", "2 ASN.1 structure handling", "3 Utilities"):
        assert extracted.text.count(heading) == 1
    pdf = pdfium.PdfDocument(PDF)
    starts = extracted.page_starts
    assert len(starts) == len(pdf)
    for n, start in enumerate(starts):
        ours = words(extracted.text[start : starts[n + 1] if n + 1 < len(starts) else None]).split()
        raw = words(pdf[n].get_textpage().get_text_range())
        if ours:  # oracle: PDFium's own text of that page holds our page's first and last words
            assert " ".join(ours[:6]) in raw and " ".join(ours[-6:]) in raw, n + 1


def test_the_pdf_text_has_no_unshowable_characters_and_no_contents_or_index_pages() -> None:
    import re

    from indexer.readers import read_bytes

    text = read_bytes(PDF.read_bytes(), PDF.name).text
    for char in "\ufffe\uffff\ufffd\u00ad":
        assert char not in text, f"U+{ord(char):04X}"
    assert "(DER) manipulation." in text  # PDFium gives "manip\ufffeulation": a hyphenation point
    assert not re.search(r"(?:\. ?){5,}\d", text), "a dot leader: a table of contents or index line"
    for heading in ("Table of Contents", "Concept Index", "Function and Data Index"):
        assert heading not in text
