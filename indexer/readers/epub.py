"""Owns reading EPUB books (the ZIP container, its OPF package and spine read with lxml; chapters through
the HTML reader): chapters in spine order, their headings as headings, the title from the metadata."""

from __future__ import annotations

import posixpath
from urllib.parse import unquote

from indexer.readers.archive import open_zip, read_member
from indexer.readers.model import Extracted, ReaderError, TextBuilder

NS = {
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def _xml(data: bytes, what: str) -> object:
    from lxml import etree

    try:
        # No network, no entities: a hostile file cannot make the parser fetch or expand anything.
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ReaderError(f"is not a valid EPUB ({what}: {exc})") from None


def read(raw: bytes, name: str) -> Extracted:
    from selectolax.lexbor import LexborHTMLParser

    from indexer.readers.html import _version, decode_html, main_content, write_blocks

    archive = open_zip(raw, "EPUB")
    container = _xml(read_member(archive, "META-INF/container.xml", "EPUB"), "container.xml")
    rootfile = container.find(".//c:rootfile", NS)  # type: ignore[attr-defined]
    if rootfile is None or not rootfile.get("full-path"):
        raise ReaderError("is not a valid EPUB (container.xml names no package)")
    opf_path = rootfile.get("full-path")
    package = _xml(read_member(archive, opf_path, "EPUB"), opf_path)
    title_node = package.find(".//dc:title", NS)  # type: ignore[attr-defined]
    title = " ".join((title_node.text or "").split()) if title_node is not None else ""
    manifest = {
        item.get("id"): item.get("href")
        for item in package.findall(".//opf:manifest/opf:item", NS)  # type: ignore[attr-defined]
    }
    base = posixpath.dirname(opf_path)
    builder = TextBuilder()
    for ref in package.findall(".//opf:spine/opf:itemref", NS):  # type: ignore[attr-defined]
        href = manifest.get(ref.get("idref"))
        if not href:
            continue
        path = posixpath.normpath(posixpath.join(base, unquote(href)))
        tree = LexborHTMLParser(decode_html(read_member(archive, path, "EPUB")))
        root = main_content(tree)
        if root is not None:
            write_blocks(root, builder)
    if not builder.text.strip():
        raise ReaderError("has no extractable text (an EPUB of images only?)")
    return builder.result(title or None, "epub", f"epub (lxml, {_version()})")
