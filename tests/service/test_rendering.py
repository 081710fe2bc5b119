"""What the page shows apart (pure logic): a document's headings, code blocks and tables from the reader's
marks, with every passage anchor, page marker and the marked answer kept; a result's snippet and code."""

from __future__ import annotations

import itertools
from typing import Any

from generation.records import StoredPassage
from indexer.readers import read_bytes
from service.rendering import document_blocks, passage_view
from tests.indexer.test_readers import CODE_PAGE


def passage(doc: str, n: int, start: int, end: int, text: str) -> StoredPassage:
    return StoredPassage(f"{doc}#{n}", doc, start, end, text[start:end], None, 0, (), 0, None, ())


def texts(segments: list[dict[str, Any]]) -> str:
    return "".join(s["text"] for s in segments)


def every_segment(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for b in blocks:
        if b["kind"] == "table":
            out += [s for row in b["rows"] for cell in row for s in cell["segments"]]
        else:
            out += b["segments"]
    return out


def test_a_document_shows_its_headings_code_and_table_and_loses_no_word_or_anchor() -> None:
    extracted = read_bytes(CODE_PAGE, "apt.html")
    text = extracted.text
    marks = sorted([*extracted.marks, (0, len("Updating"), "heading")])
    # Passages that start inside a paragraph, a code block and a table cell.
    starts = [0, text.index("first, then"), text.index("    Reading"), text.index("assume yes")]
    passages = [
        passage("apt.html", n, s, e, text)
        for n, (s, e) in enumerate(itertools.pairwise([*starts, len(text)]))
    ]
    answer = text.index("apt upgrade") - starts[1]
    blocks = document_blocks(text, marks, passages, passages[1], (), (answer, answer + len("apt upgrade")))
    assert [b["kind"] for b in blocks] == ["heading", "p", "pre", "p", "table", "p", "p"]
    table = blocks[4]["rows"]
    assert [[(c["header"], texts(c["segments"])) for c in row] for row in table] == [
        [(True, "Option"), (True, "Meaning")],
        [(False, "-y"), (False, "assume yes | answer all")],
    ]
    assert texts(blocks[2]["segments"]) == "$ apt-get install foo\n    Reading package lists\nDone"
    segments = every_segment(blocks)
    # The oracle: the document's text less the blank lines and the separators between cells.
    shown = "".join(s["text"] for s in segments)
    assert shown == text.replace("\n\n", "").replace("Option | Meaning", "OptionMeaning").replace(
        "-y | ", "-y"
    )
    assert sorted(a for s in segments for a in s["anchors"]) == ["p0", "p1", "p2", "p3"]
    assert "".join(s["text"] for s in segments if s["mark"]) == passages[1].text.replace("\n\n", "")
    assert [s["text"] for s in segments if s["answer"]] == ["apt upgrade"]
    assert [s["text"] for s in segments if s["code"]] == ["apt-get update", "apt upgrade", "-y"]


def test_page_markers_between_paragraphs_go_to_the_next_paragraph() -> None:
    text = "First page.\n\nSecond page starts here.\n\nStill the second."
    second = text.index("Second")
    blocks = document_blocks(text, (), [passage("a.pdf", 0, 0, len(text), text)], page_starts=(0, second - 1))
    assert [(s["page"], s["text"]) for b in blocks for s in b["segments"] if s["page"]] == [
        (1, "First page."),
        (2, "Second page starts here."),
    ]


def test_an_empty_cell_keeps_the_columns_in_line() -> None:
    text = "| b |\n\n1 |  | 3"
    marks = [(0, 15, "table"), (0, 5, "row"), (0, 0, "th"), (2, 3, "th"), (5, 5, "th"), (7, 15, "row")]
    marks += [(7, 8, "td"), (11, 11, "td"), (14, 15, "td")]
    blocks = document_blocks(text, sorted(marks), [passage("t.html", 0, 0, len(text), text)])
    rows = blocks[0]["rows"]
    assert [[texts(c["segments"]) for c in row] for row in rows] == [["", "b", ""], ["1", "", "3"]]
    assert [a for row in rows for c in row for s in c["segments"] for a in s["anchors"]] == ["p0"]


def test_a_snippet_is_the_answer_sentence_with_a_little_around_it_and_its_code_apart() -> None:
    text = ("Before. " * 40) + "Run apt-get update first. " + ("After that. " * 40)
    start = text.index("Run")
    answer = (start, start + len("Run apt-get update first."))
    code = [(text.index("apt-get"), text.index("apt-get") + len("apt-get update"))]
    view = passage_view(text, answer, code)
    assert view["lead"] and view["trail"]
    snippet = "".join(p["text"] for run in view["snippet"] for p in run["pieces"])
    assert "Run apt-get update first." in snippet and len(snippet) < len(text) / 2
    assert ["".join(p["text"] for p in run["pieces"]) for run in view["snippet"] if run["mark"]] == [
        "Run apt-get update first."
    ]
    assert [p["text"] for run in view["whole"] for p in run["pieces"] if p["code"]] == ["apt-get update"]
    assert "".join(p["text"] for run in view["whole"] for p in run["pieces"]) == text


def test_a_passage_starting_in_a_rows_trailing_separator_keeps_its_anchor() -> None:
    """A row whose last cell is empty ends in " |"; a passage may start there (the reviewer's case)."""
    from indexer.readers.model import TextBuilder

    builder = TextBuilder()
    builder.table([[("a cell", False), ("", False)]])
    builder.paragraph("After.")
    extracted = builder.result(None, "html", "test")
    text = extracted.text
    assert text == "a cell |\n\nAfter."
    cut = text.index("|")
    passages = [passage("t.html", 0, 0, cut, text), passage("t.html", 1, cut, len(text), text)]
    blocks = document_blocks(text, extracted.marks, passages)
    assert sorted(a for s in every_segment(blocks) for a in s["anchors"]) == ["p0", "p1"]
    assert [len(row) for row in blocks[0]["rows"]] == [2]


def test_a_cell_across_two_columns_keeps_the_next_cells_under_their_headers() -> None:
    html = (
        b"<main><table><tr><th colspan=2>A</th><th>B</th></tr>"
        b"<tr><td>1</td><td>2</td><td>3</td></tr></table></main>"
    )
    extracted = read_bytes(html, "t.html")
    blocks = document_blocks(
        extracted.text, extracted.marks, [passage("t.html", 0, 0, len(extracted.text), extracted.text)]
    )
    rows = [[texts(c["segments"]) for c in row] for row in blocks[0]["rows"]]
    assert rows == [["A", "", "B"], ["1", "2", "3"]]
