"""Passages follow the document, keep exact offsets, fit the model, lose nothing, and link footnotes."""

from __future__ import annotations

import itertools
import re

import pytest

from indexer.chunking import (
    ChunkParams,
    Passage,
    chunk_document,
    find_notes,
    headings_in_force,
    sentence_spans,
    split_paragraphs,
)
from indexer.documents import Document
from indexer.embedding import Tokenizer
from indexer.executors import document_passages
from indexer.readers import markdown, read_bytes
from tests.corpus import ESSAY, SEEDS

ESSAY_TEXT = (SEEDS / ESSAY).read_text(encoding="utf-8")


def chunk(text: str, tokenizer: Tokenizer, doc_id: str = "doc.txt", **params: int) -> list[Passage]:
    return chunk_document(doc_id, text, tokenizer, ChunkParams(**params))


def assert_invariants(text: str, passages: list[Passage], tokenizer: Tokenizer, params: ChunkParams) -> None:
    covered = bytearray(len(text))
    for p in passages:
        assert text[p.start : p.end] == p.text, p.passage_id
        assert p.text == p.text.strip() and p.text
        for s, e in p.sentences:
            assert 0 <= s < e <= len(p.text)
        for i in range(p.start, p.end):
            covered[i] = 1
    lost = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]
    assert not lost, f"text not in any passage: {text[lost[0] : lost[0] + 40]!r}"
    counts = tokenizer.count_many([p.text for p in passages])
    assert max(counts) <= params.max_tokens
    assert max(len(p.text) for p in passages) <= params.max_chars


@pytest.mark.parametrize("target", [64, 128, 200, 254])
def test_essay_passages_are_exact_complete_and_fit_the_model(tokenizer: Tokenizer, target: int) -> None:
    params = ChunkParams(target_tokens=target, max_tokens=254)
    passages = chunk_document(ESSAY, ESSAY_TEXT, tokenizer, params)
    assert_invariants(ESSAY_TEXT, passages, tokenizer, params)
    assert [p.passage_id for p in passages] == [f"{ESSAY}#{i}" for i in range(len(passages))]


def test_essay_footnote_markers_link_to_their_notes(tokenizer: Tokenizer) -> None:
    passages = chunk(ESSAY_TEXT, tokenizer, ESSAY)
    by_id = {p.passage_id: p for p in passages}
    links = {label: pid for p in passages for label, pid in p.footnotes}
    assert sorted(links) == ["1", "2", "3", "4"]
    for label, pid in links.items():
        note = by_id[pid]
        assert note.footnote == label and note.text.startswith(label)
    # The markers glued to text ("of 1871.1 Marx", "Revolution. 2") are inside the linking passages.
    first = next(p for p in passages if ("1", links["1"]) in p.footnotes)
    assert "Paris Commune of 1871.1 Marx" in first.text
    second = next(p for p in passages if ("2", links["2"]) in p.footnotes)
    assert "October 1917 Soviet Revolution. 2" in second.text
    # Each note keeps to its own passages: no passage mixes two notes or a note with the body.
    notes = [p for p in passages if p.footnote]
    assert {p.footnote for p in notes} == {"1", "2", "3", "4"}
    assert all(p.heading and p.heading.startswith(f"Note {p.footnote}: ") for p in notes)
    assert "For 76 days" in by_id[links["1"]].text


def test_essay_headings_are_carried(tokenizer: Tokenizer) -> None:
    passages = chunk(ESSAY_TEXT, tokenizer, ESSAY)
    body = [p for p in passages if not p.footnote]
    assert all(
        p.heading == "The Leading Role of the Party and the Dictatorship of the Proletariat" for p in body
    )


def test_long_paragraph_is_split_at_sentences_with_overlap(tokenizer: Tokenizer) -> None:
    sentences = [
        f"Sentence number {i} talks about the soviets and the party at some length." for i in range(40)
    ]
    text = " ".join(sentences)
    params = ChunkParams(target_tokens=60, max_tokens=254, overlap_sentences=1)
    passages = chunk_document("d.txt", text, tokenizer, params)
    assert len(passages) > 3
    assert_invariants(text, passages, tokenizer, params)
    for a, b in itertools.pairwise(passages):
        assert b.start < a.end, "consecutive pieces of one paragraph overlap by a sentence"
        assert re.match(r"Sentence number \d+", b.text)
        assert a.text.endswith(".")


def test_giant_line_without_punctuation_is_cut_to_fit(tokenizer: Tokenizer) -> None:
    text = " ".join(f"word{i % 97}" for i in range(40_000))  # ~200,000 characters, no sentence end
    params = ChunkParams(target_tokens=128, max_tokens=254)
    passages = chunk_document("big.txt", text, tokenizer, params)
    assert_invariants(text, passages, tokenizer, params)


def test_a_word_longer_than_wordpiece_limit_is_not_hidden_in_one_token(tokenizer: Tokenizer) -> None:
    text = "x" * 5000 + " tail."
    params = ChunkParams(target_tokens=128, max_tokens=254)
    passages = chunk_document("w.txt", text, tokenizer, params)
    assert_invariants(text, passages, tokenizer, params)
    assert len(passages) > 1


def test_markdown_headings_and_numbered_lists(tokenizer: Tokenizer) -> None:
    source = (
        "# Title\n\nIntro *text* here.\n\n## Part two\n\n1. first item\n\n2. second item\n\nThe end of it.\n"
    )
    doc = markdown.read(source.encode(), "notes.md")
    text = doc.text
    assert (
        text == "Title\n\nIntro text here.\n\nPart two\n\n1. first item\n\n2. second item\n\nThe end of it."
    )
    passages = chunk_document("notes.md", text, tokenizer, ChunkParams(target_tokens=8), doc.headings)
    assert_invariants(text, passages, tokenizer, ChunkParams(target_tokens=8))
    assert passages[0].heading == "Title"
    assert passages[-1].heading == "Part two"
    assert not any(p.footnote or p.footnotes for p in passages), "a numbered list is not a footnote section"


def test_sentence_splitter_keeps_initials_and_abbreviations() -> None:
    text = 'His leader, K. Venu, spoke (par. 5.2) at length. Then "they left." After that, e.g. nothing.'
    spans = sentence_spans(text, 0, len(text))
    assert [text[s:e] for s, e in spans] == [
        "His leader, K. Venu, spoke (par. 5.2) at length.",
        'Then "they left."',
        "After that, e.g. nothing.",
    ]


def test_a_sentence_that_starts_with_a_command_marked_as_code_stands_alone() -> None:
    """Manuals start sentences with a command's name, in lower case ("apropos returns ..."): where the
    reader marked it as code, it starts a sentence (so the highlight can mark that sentence alone); an
    unmarked lower-case word, or one after an abbreviation, goes on."""
    text = "It shows a summary of each page. apropos returns the pages, e.g. ls and cat. see below."
    apropos, ls = text.index("apropos"), text.index("ls and")
    code = {apropos, ls}
    assert [text[s:e] for s, e in sentence_spans(text, 0, len(text), code)] == [
        "It shows a summary of each page.",
        "apropos returns the pages, e.g. ls and cat. see below.",
    ]
    assert len(sentence_spans(text, 0, len(text))) == 1


def test_a_page_that_starts_a_sentence_with_a_code_word_gives_it_its_own_sentence(
    tokenizer: Tokenizer,
) -> None:
    """The reader's code marks reach the splitter: an HTML page's `<code>apropos</code>`."""
    raw = b"<p>It shows a summary of each page. <code>apropos</code> returns the pages.</p>"
    got = read_bytes(raw, "man.html")
    doc = Document("man.html", got.text, "0", got.title, headings=got.headings, marks=got.marks)
    (passage,) = document_passages(doc, tokenizer, ChunkParams())
    assert [passage.text[s:e] for s, e in passage.sentences] == [
        "It shows a summary of each page.",
        "apropos returns the pages.",
    ]


def test_a_passage_that_cites_a_note_keeps_its_labels(tokenizer: Tokenizer) -> None:
    """Linking a note to the passage that holds its marker keeps everything else the chunker found there:
    a heading at the passage's start stays a label, never the highlighted sentence."""
    text = "1. Chapter One\n\nThe workers held Paris.1 Then the army came back.\n\n1A note on Paris."
    passages = chunk(text, tokenizer, target_tokens=64)
    cites = next(p for p in passages if p.footnotes)
    assert [cites.text[slice(*cites.sentences[i])] for i in cites.labels] == ["1.", "Chapter One"]


def test_footnote_marker_after_period_ends_the_sentence() -> None:
    text = "It began in 1871.1 Marx hailed it. The end.\n\n1A note."
    paras = split_paragraphs(text)
    first, labels, markers = find_notes(text, paras)
    assert first == 1 and labels == {1: "1"} and markers == [(text.index(".1 ") + 1, "1")]
    spans = sentence_spans(text, *paras[0])
    assert text[spans[0][0] : spans[0][1]] == "It began in 1871.1"


def test_a_table_row_that_starts_with_a_number_is_no_footnote() -> None:
    """A status-code table ("1-9 | reserved") after a sentence ending in a number is the document's text,
    not a notes section running to its end."""
    text = (
        "Codes are listed below.1 See the table.\n\n0 | success\n\n1-9 | reserved\n\nHere are the commands."
    )
    assert find_notes(text, split_paragraphs(text)) == (4, {}, [])
    quoted = "It began in 1871.1 Marx hailed it.\n\n1”Throughout this critique,” he wrote."
    assert find_notes(quoted, split_paragraphs(quoted))[1] == {1: "1"}


def test_numbered_heading_lines_of_plain_text_are_headings(tokenizer: Tokenizer) -> None:
    from indexer.documents import title_for

    text = (
        "1.1.1. The shell prompt\n\nThe prompt shows the user name and the current folder.\n\n"
        "A.2.\n\nThe appendix lists the options.\n\n1.2 Pipes and redirection\n\n"
        "A pipe sends one command's output to another.\n\n12.5 percent of users never change it.\n\n"
        "3.18. /tmp : Temporary files\n\nPrograms keep temporary files there.\n\n"
        "2. the list goes on in lower case\n\nAnd ends.\n\n3. ./configure --prefix=/usr\n\nThen build."
    )
    params = ChunkParams(target_tokens=16)
    passages = chunk_document("1-1-1.txt", text, tokenizer, params)
    assert_invariants(text, passages, tokenizer, params)
    headings = {p.text.split("\n")[-1]: p.heading for p in passages}
    assert headings["The prompt shows the user name and the current folder."] == "1.1.1. The shell prompt"
    assert headings["The appendix lists the options."] == "A.2."
    assert headings["A pipe sends one command's output to another."] == "1.2 Pipes and redirection"
    assert headings["12.5 percent of users never change it."] == "1.2 Pipes and redirection"
    assert headings["Programs keep temporary files there."] == "3.18. /tmp : Temporary files", "a path first"
    assert headings["And ends."] == "3.18. /tmp : Temporary files", "a list item is no heading"
    assert headings["Then build."] == "3.18. /tmp : Temporary files", "nor a command"
    assert title_for("1-1-1.txt", text) == "1.1.1. The shell prompt"
    assert title_for("appendix.txt", "A.2.\n\nThe Options\n\nText of it.") == "The Options", (
        "a number names nothing"
    )


def test_a_title_underlined_by_a_rule_is_a_heading_in_plain_text(tokenizer: Tokenizer) -> None:
    """Sphinx's, docutils' and pandoc's text output (Debian ships its policy manuals so): a title over a
    line of "=", "-" or "*" as wide as it, sometimes with the same line above too."""
    from indexer.documents import title_for

    text = (
        "Autopkgtest - Defining tests for Debian packages\n"
        "================================================\n\n"
        "This document describes how tests are found.\n\n"
        "Overview\n--------\n\nThe source package provides a control file.\n\n"
        "========\nControls\n========\n\nEach stanza names its tests.\n\n"
        "The totals are below.\n---------------------\n\nNot a heading: a sentence over a rule.\n\n"
        "Name    Value\n-----   -----\n\nA table's head is no heading either.\n\n"
        "String                Type\n--------------------------\n\nNor one in columns.\n\n"
        "+-----+\n| a b |\n+-----+\n\nNor a drawn table's row.\n\n"
        "Loading\n...\n\nNor a line before an ellipsis, shorter than it.\n\n"
        "``setup.cfg``\n=============\n\nA file name is a title."
    )
    params = ChunkParams(target_tokens=16)
    passages = chunk_document("autopkgtest.txt", text, tokenizer, params)
    assert_invariants(text, passages, tokenizer, params)

    def heading(sentence: str) -> str | None:
        return next(p.heading for p in passages if sentence in p.text)

    assert heading("This document describes how tests are found.") == (
        "Autopkgtest - Defining tests for Debian packages"
    )
    assert heading("The source package provides a control file.") == "Overview"
    assert heading("Each stanza names its tests.") == "Controls", "over- and underlined"
    assert heading("Not a heading: a sentence over a rule.") == "Controls"
    for after in ("A table's head is no heading either.", "Nor one in columns.", "Nor a drawn table's row."):
        assert heading(after) == "Controls", after
    assert heading("Nor a line before an ellipsis, shorter than it.") == "Controls"
    assert heading("A file name is a title.") == "``setup.cfg``"
    overview = next(p for p in passages if p.text.startswith("Overview"))
    assert overview.labels == (0,), "the title and its rule are never the highlight"
    assert title_for("autopkgtest.txt", text) == "Autopkgtest - Defining tests for Debian packages"


def test_a_heading_inside_a_titled_box_heads_only_the_box() -> None:
    """A tip inside a section: the text after the tip is the section's again (a passage there was headed
    "CAUTION RAID is not Backup" in the handbook)."""
    paras = [(0, 10), (12, 20), (22, 30), (32, 40), (42, 50), (52, 60)]
    headings = {0: "12.1. RAID", 2: "CAUTION Not backup", 4: "12.2. LVM"}
    in_force = headings_in_force(paras, headings, [(22, 40)])
    assert in_force == {
        0: "12.1. RAID",
        1: "12.1. RAID",
        2: "CAUTION Not backup",
        3: "CAUTION Not backup",
        4: "12.2. LVM",  # the next heading
        5: "12.2. LVM",
    }
    after_box = headings_in_force(paras, {0: "12.1. RAID", 2: "CAUTION Not backup"}, [(22, 40)])
    assert after_box[4] == after_box[5] == "12.1. RAID"
    apart = headings_in_force(paras, {0: "A", 1: "Tip", 3: "Caution"}, [(12, 20), (32, 40)])
    assert [apart[i] for i in range(6)] == ["A", "Tip", "A", "Caution", "A", "A"]
    nested = headings_in_force(paras, {0: "A", 1: "Box", 2: "Inner"}, [(12, 50), (22, 30)])
    assert [nested[i] for i in range(6)] == ["A", "Box", "Inner", "Box", "Box", "A"]
    assert headings_in_force(paras, headings) == {
        i: h
        for i, h in enumerate(
            ["12.1. RAID", "12.1. RAID", "CAUTION Not backup", "CAUTION Not backup", "12.2. LVM", "12.2. LVM"]
        )
    }
