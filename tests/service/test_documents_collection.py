"""A folder of mixed formats indexed and served (real build and HTTP, fake embedder): bad files named
with their reason, PDF pages in the API and the document view, the start page listing the collection,
and a search limited to one document without JavaScript."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from generation import store
from indexer.build import BuildError
from service.app import create_app
from service.harness import live_server
from service.settings import Settings
from service.web import MAX_CHOICES, MAX_LISTED
from tests.corpus import ESSAY, SEEDS, index
from tests.fakes import CountingEmbedder, FakeEmbedder

DOCS = Path(__file__).resolve().parent.parent / "documents"
RENDERINGS = ("essay.pdf", "essay.html", "essay.epub", "essay.docx")


def mixed_corpus(root: Path) -> Path:
    root.mkdir(parents=True)
    shutil.copy(SEEDS / ESSAY, root / ESSAY)
    shutil.copy(SEEDS / ".examples.txt", root / ".examples.txt")
    for name in RENDERINGS:
        shutil.copy(DOCS / name, root / name)
    return root


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory, fake: FakeEmbedder) -> Settings:
    root = tmp_path_factory.mktemp("mixed")
    corpus = mixed_corpus(root / "corpus")
    (corpus / "locked.pdf").write_bytes((DOCS / "encrypted.pdf").read_bytes())
    (corpus / "menu.html").write_text("<html><body><nav>Home | About</nav></body></html>")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", query_encoder="torch")
    summary = index(settings, fake, skip_bad_files=True)
    assert {s.doc_id: s.reason for s in summary.skipped} == {
        "locked.pdf": "is an encrypted PDF (password-protected): cannot be read",
        "menu.html": "has no main content (no text outside navigation, headers and footers)",
    }
    return settings


@pytest.fixture(scope="module")
def base(mixed: Settings, fake: FakeEmbedder) -> Iterator[str]:
    with live_server(create_app(mixed, fake)) as url:
        yield url


def test_without_skipping_a_bad_file_fails_the_build_naming_it(tmp_path: Path, fake: FakeEmbedder) -> None:
    corpus = mixed_corpus(tmp_path / "corpus")
    (corpus / "locked.pdf").write_bytes((DOCS / "encrypted.pdf").read_bytes())
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", query_encoder="torch")
    with pytest.raises(BuildError, match=r"locked\.pdf is an encrypted PDF"):
        index(settings, fake)
    assert store.read_current(settings.index_dir) is None


def test_the_manifest_records_each_documents_format_and_reader(mixed: Settings) -> None:
    manifest = store.open_current(mixed.index_dir).manifest
    formats = {d["doc_id"]: (d["format"], d["reader"]) for d in manifest["documents"]}
    assert formats[ESSAY] == ("txt", "builtin")
    assert formats["essay.pdf"][0] == "pdf" and formats["essay.pdf"][1].startswith("pypdfium2")
    assert formats["essay.docx"][1].startswith("python-docx")
    assert {f for f, _ in formats.values()} == {"txt", "pdf", "html", "epub", "docx"}
    assert manifest["examples"][0] == "How long did the Paris Commune last?"


def test_pdf_passages_know_their_pages_and_others_have_none(mixed: Settings) -> None:
    import pypdfium2 as pdfium

    gen = store.open_current(mixed.index_dir)
    pdf = pdfium.PdfDocument(DOCS / "essay.pdf")
    page_text = [" ".join(pdf[i].get_textpage().get_text_range().split()) for i in range(len(pdf))]
    first, end = gen.documents.row_range("essay.pdf")  # type: ignore[misc]
    for passage in gen.passages[first:end]:
        assert passage.pages is not None
        start_page, last_page = passage.pages
        # Oracle: PDFium's own text of the page the passage starts on holds its first words.
        opening = " ".join(passage.text.split()[:6])
        assert opening in page_text[start_page - 1], (passage.passage_id, start_page)
        closing = " ".join(passage.text.split()[-6:])
        assert closing in page_text[last_page - 1], (passage.passage_id, last_page)
    first, end = gen.documents.row_range("essay.html")  # type: ignore[misc]
    assert all(p.pages is None for p in gen.passages[first:end])


def test_the_same_text_in_another_format_reuses_its_vectors(tmp_path: Path, fake: FakeEmbedder) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The soviets were councils.\n\nThey met in Petrograd in 1917.\n")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", query_encoder="torch")
    index(settings, fake)
    (corpus / "b.html").write_text(
        "<html><body><p>The soviets were councils.</p><p>They met in Petrograd in 1917.</p></body></html>"
    )
    counting = CountingEmbedder(fake)
    summary = index(settings, counting)
    assert summary.documents == 2 and counting.texts == 0


def test_api_results_carry_the_pdf_page(base: str) -> None:
    body = httpx.get(f"{base}/api/search", params={"q": "soviets", "doc": "essay.pdf", "k": 5}).json()
    assert body["results"] and all(r["document"] == "essay.pdf" for r in body["results"])
    for r in body["results"]:
        assert isinstance(r["page"], int) and r["pages"][0] == r["page"] <= r["pages"][1] <= 6
    other = httpx.get(f"{base}/api/search", params={"q": "soviets", "doc": "essay.docx"}).json()
    assert all(r["page"] is None and r["pages"] is None for r in other["results"])


def test_the_start_page_lists_the_collection_with_examples(base: str) -> None:
    html = httpx.get(f"{base}/").text
    for title, fmt in (("The Paris Commune in Perspective", "PDF, 6 pages"), ("", "EPUB"), ("", "DOCX")):
        assert fmt in html and title in html
    assert html.count('<tr><td><a href="/documents/') == 5
    assert "How long did the Paris Commune last?" in html
    assert 'href="/?q=How%20long%20did%20the%20Paris%20Commune%20last%3F"' in html
    assert re.search(r"\d+ passages, indexed \d{4}-\d\d-\d\d", html)


def test_a_search_can_be_limited_to_one_document_without_javascript(base: str) -> None:
    html = httpx.get(f"{base}/").text
    assert '<select id="doc" name="doc">' in html and '<option value="essay.epub">' in html
    page = httpx.get(f"{base}/", params={"q": "the Paris Commune", "doc": "essay.epub"}).text
    where = re.findall(
        r'<div class="where"><span class="doc">[^<]*</span> <span class="docid">([^<]*)<', page
    )
    assert where and set(where) == {"essay.epub"} and len(where) == len(re.findall(r'class="result"', page))
    assert '<option value="essay.epub" selected>' in page
    everything = httpx.get(f"{base}/", params={"q": "the Paris Commune", "doc": ""})
    assert everything.status_code == 200 and "essay.epub" in everything.text
    unknown = httpx.get(f"{base}/", params={"q": "the Paris Commune", "doc": "nope.pdf"})
    assert unknown.status_code == 422 and "is not a document in the index" in unknown.text


def test_a_large_collection_is_filtered_by_file_name_and_its_pages_stay_small(
    tmp_path: Path, fake: FakeEmbedder
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    n = MAX_CHOICES + 1
    for i in range(n):
        (corpus / f"note-{i:03}.txt").write_text(f"Note {i}: the council of district {i} met on Monday.\n")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", query_encoder="torch")
    index(settings, fake)
    with live_server(create_app(settings, fake)) as base:
        home = httpx.get(f"{base}/").text
        # No <select> of every title on every page: a text field for the file name instead.
        assert "<select" not in home and '<input id="doc" name="doc" type="text" value=""' in home
        assert f"{n} documents" in home and f"and {n - MAX_LISTED} more" in home
        assert home.count('<tr><td><a href="/documents/') == MAX_LISTED
        assert "note-199.txt" not in home
        page = httpx.get(f"{base}/", params={"q": "council of district", "doc": "note-150.txt"})
        assert page.status_code == 200 and 'name="doc" type="text" value="note-150.txt"' in page.text
        found = re.findall(r'class="docid">([^<]+)<', page.text)
        assert found and set(found) == {"note-150.txt"}
        assert "note-199.txt" not in page.text
        unknown = httpx.get(f"{base}/", params={"q": "council", "doc": 'x"><b>bold</b>'})
        assert unknown.status_code == 422 and "is not a document in the index" in unknown.text
        assert "<b>bold" not in unknown.text and 'value="x&#34;&gt;&lt;b&gt;bold' in unknown.text


def test_the_document_view_shows_pdf_pages_and_where_the_passage_is(base: str) -> None:
    body = httpx.get(f"{base}/api/search", params={"q": "soviets", "doc": "essay.pdf", "k": 1}).json()
    hit = body["results"][0]
    anchor = hit["passage_id"].rsplit("#", 1)[1]
    page = httpx.get(f"{base}/documents/essay.pdf", params={"p": anchor}).text
    assert "PDF, 6 pages" in page
    assert all(f'id="page-{n}"' in page for n in range(1, 7))
    assert f"on page {hit['page']} of the PDF" in page or f"pages {hit['page']}–" in page


def test_every_document_is_reachable_in_natural_order_and_found_by_part_of_its_title(
    tmp_path: Path, fake: FakeEmbedder
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    n = MAX_CHOICES + 20
    for i in range(1, n + 1):
        (corpus / f"1-1-{i}.txt").write_text(f"Section 1.1.{i} notes\n\nThe council of district {i} met.\n")
    (corpus / "sudo.txt").write_text("Sudo configuration\n\nThe sudoers file names who may run what.\n")
    (corpus / "sudo-ldap.txt").write_text("Sudo with LDAP\n\nRules can live in a directory instead.\n")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", query_encoder="torch")
    index(settings, fake)
    with live_server(create_app(settings, fake)) as base:
        home = httpx.get(f"{base}/").text
        assert f'<a href="/documents">all {n + 2} documents</a>' in home
        first = httpx.get(f"{base}/documents").text
        titles = re.findall(r'<td><a href="/documents/[^"]*">([^<]*)</a>', first)
        assert titles[:3] == ["Section 1.1.1 notes", "Section 1.1.2 notes", "Section 1.1.3 notes"]
        assert len(titles) == 50 and "page 1 of 5" in first and 'rel="next"' in first
        last = httpx.get(f"{base}/documents", params={"page": "5"}).text
        assert "Sudo with LDAP" in last and 'rel="prev"' in last and 'rel="next"' not in last
        found = httpx.get(f"{base}/documents", params={"title": "1.1.20 NOTES"}).text
        assert re.findall(r'<td><a href="/documents/[^"]*">([^<]*)</a>', found) == ["Section 1.1.20 notes"]
        assert httpx.get(f"{base}/documents", params={"page": "x"}).status_code == 422
        # The document filter takes part of a title: one match searches it, several are offered.
        one = httpx.get(f"{base}/", params={"q": "who may run what", "doc": "sudo configuration"}).text
        assert re.findall(r'class="docid">([^<]*)<', one.split('<ol class="results"')[1])[0] == "sudo.txt"
        several = httpx.get(f"{base}/", params={"q": "rules", "doc": "sudo"}).text
        assert "Several documents match" in several and '<ol class="results"' not in several
        assert "doc=sudo.txt" in several and "doc=sudo-ldap.txt" in several
        assert len(home.encode()) < 300_000
