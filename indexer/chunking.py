"""Owns splitting one document into passages: paragraphs, headings, sentences, footnotes (pure logic).

Every passage satisfies ``document.text[start:end] == text`` and fits the model's token limit: paragraphs
are packed up to a token target, long paragraphs are split at sentence boundaries (with a small overlap),
and a sentence that alone exceeds the limit is cut at word boundaries. Nothing is truncated or dropped:
the passages of a document cover every non-blank character of it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from typing import Protocol

from generation.paragraphs import split_paragraphs, trimmed
from indexer.readers.text import RULE

Span = tuple[int, int]


class TokenCounter(Protocol):
    """The model's own tokenizer, counting word pieces without special tokens."""

    def count_many(self, texts: Sequence[str]) -> list[int]: ...


@dataclass(frozen=True, slots=True)
class ChunkParams:
    target_tokens: int = 200  # pack paragraphs up to this many tokens
    max_tokens: int = 254  # the model's max_seq_length minus [CLS] and [SEP]: a hard limit
    overlap_sentences: int = 1  # sentences repeated at a split inside a paragraph
    max_chars: int = 1400  # a sentence longer than this is cut too, so answers stay readable

    def __post_init__(self) -> None:
        if not 0 < self.target_tokens <= self.max_tokens:
            raise ValueError("target_tokens must be between 1 and max_tokens")


@dataclass(frozen=True, slots=True)
class Passage:
    passage_id: str  # "<doc_id>#<n>", stable while the document is unchanged
    doc_id: str
    start: int  # document.text[start:end] == text
    end: int
    text: str
    heading: str | None
    paragraph: int  # index of the paragraph the passage starts in
    sentences: tuple[Span, ...]  # sentence spans relative to `text`, in order
    footnotes: tuple[tuple[str, str], ...] = ()  # (label, passage_id) of notes whose markers are here
    footnote: str | None = None  # the note's label when this passage is (part of) a footnote
    labels: tuple[int, ...] = ()  # sentences that are headings or labels ("Figure 4.5.", a bare link)


@dataclass(slots=True)
class _Atom:
    start: int
    end: int
    tokens: int
    para: int
    sentences: list[Span] = field(default_factory=list)
    is_sentence: bool = False  # a piece of a split paragraph (eligible for overlap)


_MD_HEADING = re.compile(r"#{1,6}[ \t]+(.+?)[ \t#]*")
# "Figure 4.5.", "Example 7.1", "Tableau 2": one or two words, then a number.
_CAPTION_LABEL = re.compile(r"[^\W\d_]+(?: [^\W\d_]+)? [\dIVX]+(?:[.-]\d+)*\.?:?")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+|\bwww\.\S+", re.IGNORECASE)
# A section number opening a line: "1.", "1.1.1.", "A.2.", "IV." (a number of several parts needs no dot).
_SECTION_NUMBER = re.compile(
    r"(?:(?:\d{1,3}|[A-Z]|[IVXLC]{1,6})(?:\.\d{1,3})*\.|\d{1,3}(?:\.\d{1,3})+)(?=\s|$)"
)
# A note's number glued to its first word or a quote mark ("1The Paris Commune", "2”Throughout"), not
# to a dash or a bar ("1-9 | reserved", a table's row).
_NOTE_START = re.compile(r"(\d{1,3})(?=[^\W\d_]|[\"'“”‘’«»„‚(\[])")
# A marker: digits glued to sentence punctuation or a closing quote/bracket ("1871.1 Marx",
# "(par. 5.2)3"), optionally after one space ("Revolution. 2"), followed by whitespace or the end.
_MARKER = re.compile(r"(?<=[.!?,;:\"'”’)\]])( ?)(\d{1,3})(?=\s|$)")
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?: ?\d{1,3}(?=\s))?(?=\s+\S)")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "cf",
        "par",
        "pars",
        "p",
        "pp",
        "vol",
        "no",
        "nos",
        "fig",
        "ch",
        "ed",
        "eds",
        "jr",
        "sr",
        "inc",
        "ltd",
        "co",
        "op",
        "cit",
        "ibid",
        "approx",
        "dept",
        "est",
        "gen",
        "gov",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    ]
)
_MAX_WORD_CHARS = 100  # WordPiece maps longer words to one [UNK]; we cut them so no text hides in one token


def heading_of(block: str, markdown: bool) -> str | None:
    """The heading text if a paragraph is a heading line (or a title with its rule), else None."""
    if "\n" in block:
        return None if markdown else _ruled_title(block)
    if markdown:
        m = _MD_HEADING.fullmatch(block)
        return m.group(1) if m else None
    stripped = block.strip("\"'“”‘’ ")
    if not stripped or len(block) > 120:
        return None
    numbered = _SECTION_NUMBER.match(stripped)
    if numbered:
        # "1.1.1. The shell prompt", "3.18. /tmp : Temporary files", "A.2.": a numbered heading, titled or
        # not (a title after the number must read as one: a capital, a digit, a letter of a script without
        # case or a path first, not a list item's lower-case sentence or a command ("2. ./configure"), and
        # no sentence punctuation at the end).
        title = stripped[numbered.end() :].strip()
        first = title[:1]
        titled = (
            first.isupper() or first.isdigit() or first == "/" or (first.isalpha() and not first.islower())
        )
        if not title or (titled and title[-1] not in ".!?,;:"):
            return block
        return None
    if stripped[-1] in ".!?,;:" or not stripped[0].isupper():
        return None
    return block if len(block.split()) >= 2 else None


def _ruled_title(block: str) -> str | None:
    """The title of a paragraph that is a line underlined (or over- and underlined) by a rule at least as
    long as it, else None: not a sentence (ending in "." "," ";"), a table's head (columns apart), a row
    of a drawn table ("| a |") or code over a docstring's quotes."""
    lines = [line.strip() for line in block.split("\n")]
    if len(lines) == 3 and lines[0] == lines[2] and RULE.fullmatch(lines[0]):
        lines = lines[1:]
    if len(lines) != 2 or not RULE.fullmatch(lines[1]):
        return None
    title, rule = lines
    if not title or len(title) > 120 or len(rule) < len(title) or title[-1] in ".,;":
        return None
    if "   " in title or title[0] in "|+":  # columns, or a drawn table's row
        return None
    return None if rule[0] in "\"'" and title.endswith(")") else title


def is_label(block: str) -> bool:
    """A paragraph that names or points rather than says: a caption label ("Figure 4.5.", "Example 7.1",
    "Tableau 2"), a bare link ("→ https://..."), a line of symbols. Never the sentence to highlight while
    its passage has another."""
    words = block.split()
    if not words or len(words) > 3:
        return False
    if _CAPTION_LABEL.fullmatch(" ".join(words)):
        return True
    return not any(ch.isalpha() for ch in _URL.sub("", block))


def find_notes(text: str, paras: Sequence[Span]) -> tuple[int, dict[int, str], list[tuple[int, str]]]:
    """Locate a trailing footnote section and the body markers pointing into it.

    Returns (index of the first note paragraph or len(paras), {paragraph index: label}, [(marker offset,
    label)]). Notes are paragraphs starting with a number glued to text ("1The Paris Commune..."), numbered
    1, 2, 3... up to the end of the document; paragraphs between them continue the previous note. The
    section is accepted only if the body has markers 1..N in order, so numbered lists are left alone.
    """
    starts = [i for i, (s, _) in enumerate(paras) if text.startswith("1", s) and _NOTE_START.match(text, s)]
    for first in reversed(starts):
        labels: dict[int, str] = {}
        expected = 1
        for i in range(first, len(paras)):
            m = _NOTE_START.match(text, paras[i][0])
            if m and int(m.group(1)) == expected:
                expected += 1
            labels[i] = str(expected - 1)
        markers: list[tuple[int, str]] = []
        want = 1
        for m in _MARKER.finditer(text, 0, paras[first][0]):
            if int(m.group(2)) == want:
                markers.append((m.start(2), m.group(2)))
                want += 1
        if markers and want == expected:
            return first, labels, markers
    return len(paras), {}, []


def sentence_spans(text: str, start: int, end: int, code_starts: Set[int] = frozenset()) -> list[Span]:
    """Sentences of text[start:end] as absolute spans; abbreviations and initials ("K. Venu") go on, and
    so does a lower-case word, unless the reader marked it as code (`code_starts`: "... a summary.
    apropos returns ...": a command's name keeps its case at a sentence's start)."""
    spans: list[Span] = []
    s = start
    for m in _BOUNDARY.finditer(text, start, end):
        nxt = m.end()
        while nxt < end and text[nxt].isspace():
            nxt += 1
        if nxt >= end or (text[nxt].islower() and nxt not in code_starts):
            continue
        if text[m.start()] == "." and m.group(0) == ".":
            word = _WORD_BEFORE.search(text, s, m.start())
            if word and (word.group(1).lower() in _ABBREVIATIONS or len(word.group(1)) == 1):
                continue
        spans.extend(trimmed(text, s, m.end()))
        s = nxt
    spans.extend(trimmed(text, s, end))
    return spans


def _words(text: str, start: int, end: int) -> list[Span]:
    """Whitespace-separated words, with words longer than WordPiece's limit cut into pieces."""
    words: list[Span] = []
    for m in re.finditer(r"\S+", text[start:end]):
        ws, we = start + m.start(), start + m.end()
        words.extend((p, min(p + _MAX_WORD_CHARS, we)) for p in range(ws, we, _MAX_WORD_CHARS))
    return words


def _hard_split(text: str, span: Span, budget: int, max_chars: int, tok: TokenCounter) -> list[_Atom]:
    """Cut an over-long sentence at word boundaries into pieces of at most `budget` tokens."""
    words = _words(text, *span)
    counts = tok.count_many([text[s:e] for s, e in words])
    pieces: list[_Atom] = []
    first, total = 0, 0
    for i, n in enumerate(counts):
        if i > first and (total + n > budget or words[i][1] - words[first][0] > max_chars):
            pieces.append(_Atom(words[first][0], words[i - 1][1], total, -1, is_sentence=True))
            first, total = i, 0
        total += n
    pieces.append(_Atom(words[first][0], words[-1][1], total, -1, is_sentence=True))
    return pieces


def _atoms(
    text: str, paras: Sequence[Span], params: ChunkParams, tok: TokenCounter, code_starts: Set[int]
) -> list[_Atom]:
    """Whole paragraphs when they fit the target, else their sentences (cut further if too long)."""
    para_tokens = tok.count_many([text[s:e] for s, e in paras])
    atoms: list[_Atom] = []
    for i, ((s, e), n) in enumerate(zip(paras, para_tokens, strict=True)):
        sentences = sentence_spans(text, s, e, code_starts)
        if n <= params.target_tokens and e - s <= params.max_chars:
            atoms.append(_Atom(s, e, n, i, sentences))
            continue
        counts = tok.count_many([text[a:b] for a, b in sentences])
        for span, m in zip(sentences, counts, strict=True):
            if m <= params.target_tokens and span[1] - span[0] <= params.max_chars:
                atoms.append(_Atom(*span, m, i, [span], is_sentence=True))
                continue
            budget = min(params.target_tokens, params.max_tokens - 8)
            for piece in _hard_split(text, span, budget, params.max_chars, tok):
                piece.para, piece.sentences = i, [(piece.start, piece.end)]
                atoms.append(piece)
    return atoms


def _pack(
    atoms: Sequence[_Atom],
    heading_paras: set[int],
    note_of: dict[int, str],
    params: ChunkParams,
    resumes: Set[int] = frozenset(),
) -> list[list[_Atom]]:
    """Greedily group atoms up to the target; headings, notes and the text after a titled box (`resumes`)
    start new groups; overlap at splits."""
    groups: list[list[_Atom]] = []
    current: list[_Atom] = []
    for atom in atoms:
        total = sum(a.tokens for a in current)
        only_headings = all(a.para in heading_paras for a in current)
        breaks = bool(current) and (
            (atom.para in heading_paras and not only_headings)
            or (atom.para in resumes and current[-1].para != atom.para)
            or note_of.get(atom.para) != note_of.get(current[-1].para)
            or total + atom.tokens > params.target_tokens
            or atom.end - current[0].start > params.max_chars
        )
        if breaks:
            groups.append(current)
            carry: list[_Atom] = []
            if params.overlap_sentences and atom.is_sentence:
                tail = current[-params.overlap_sentences :]
                same_paragraph = all(a.is_sentence and a.para == atom.para for a in tail)
                fits = sum(a.tokens for a in tail) + atom.tokens <= params.target_tokens
                if same_paragraph and fits and atom.end - tail[0].start <= params.max_chars:
                    carry = list(tail)
            current = carry
        current.append(atom)
    if current:
        groups.append(current)
    return groups


def _headings(
    text: str, paras: Sequence[Span], notes_from: int, heading_starts: Sequence[int] | None
) -> dict[int, str]:
    """Heading paragraphs before the notes: where the reader found them, else heading-like lines."""
    if heading_starts is None:
        return {
            i: h
            for i, (s, e) in enumerate(paras[:notes_from])
            if (h := heading_of(text[s:e], markdown=False))
        }
    starts = set(heading_starts)
    return {i: text[s:e] for i, (s, e) in enumerate(paras[:notes_from]) if s in starts}


def heading_spans(text: str, heading_starts: Sequence[int] | None = None) -> list[Span]:
    """Where the headings the chunker uses are (the reader's `heading_starts`, else heading-like lines
    of plain text), as paragraph spans."""
    paras = split_paragraphs(text)
    notes_from, _, _ = find_notes(text, paras)
    return [paras[i] for i in sorted(_headings(text, paras, notes_from, heading_starts))]


def headings_in_force(
    paras: Sequence[Span], headings: dict[int, str], boxes: Sequence[Span] = ()
) -> dict[int, str | None]:
    """Each paragraph's heading: the last heading before it, unless that heading is inside a box that has
    ended, when the heading before that box is in force again (text after a tip is the section's)."""
    in_force: dict[int, str | None] = {}
    current: str | None = None
    scopes: list[tuple[int, str | None]] = []  # (end of a box whose heading is in force, heading before)
    pending = sorted(boxes, key=lambda b: (b[0], -b[1]))  # boxes nest or are apart: one sweep
    next_box = 0
    open_ends: list[int] = []  # ends of the boxes around this paragraph, innermost last

    def close_before(offset: int) -> None:
        while open_ends and open_ends[-1] <= offset:
            open_ends.pop()

    for i, (start, _) in enumerate(paras):
        while scopes and start >= scopes[-1][0]:
            current = scopes.pop()[1]
        while next_box < len(pending) and pending[next_box][0] <= start:
            close_before(pending[next_box][0])
            open_ends.append(pending[next_box][1])
            next_box += 1
        close_before(start)
        if i in headings:
            if open_ends:
                scopes.append((open_ends[-1], current))
            current = headings[i]
        in_force[i] = current
    return in_force


def _paragraphs_within(paras: Sequence[Span], spans: Sequence[Span]) -> set[int]:
    """The paragraphs that lie inside one of `spans` (sorted, not overlapping)."""
    inside: set[int] = set()
    j = 0
    for i, (s, e) in enumerate(paras):
        while j < len(spans) and spans[j][1] < e:
            j += 1
        if j < len(spans) and spans[j][0] <= s:
            inside.add(i)
    return inside


def _note_headings(
    text: str, paras: Sequence[Span], note_of: dict[int, str], code_starts: Set[int]
) -> dict[str, str]:
    """A footnote is headed by its label and first sentence, so each of its passages carries its subject."""
    note_headings: dict[str, str] = {}
    for i, label in note_of.items():
        if label not in note_headings:
            s, e = sentence_spans(text, *paras[i], code_starts)[0]
            first = text[s:e].removeprefix(label).strip()
            note_headings[label] = f"Note {label}: " + (first if len(first) <= 160 else first[:157] + "...")
    return note_headings


def _passage(
    doc_id: str,
    n: int,
    text: str,
    group: Sequence[_Atom],
    heading: str | None,
    note: str | None,
    label_paras: set[int],
) -> Passage:
    """A group of atoms as a passage: its span, text and sentence spans (relative, each once), and which
    of those are the sentences of heading or label paragraphs."""
    start, end = group[0].start, group[-1].end
    sentences: list[Span] = []
    labels: list[int] = []
    for a in group:
        for s, e in a.sentences:
            if (s - start, e - start) not in sentences:
                if a.para in label_paras:
                    labels.append(len(sentences))
                sentences.append((s - start, e - start))
    return Passage(
        f"{doc_id}#{n}",
        doc_id,
        start,
        end,
        text[start:end],
        heading,
        group[0].para,
        tuple(sentences),
        footnote=note,
        labels=tuple(labels),
    )


def _link_footnotes(passages: list[Passage], markers: list[tuple[int, str]]) -> list[Passage]:
    """Each passage with the notes whose markers it holds (label, the note's first passage)."""
    first_passage_of_note: dict[str, str] = {}
    for p in passages:
        if p.footnote:
            first_passage_of_note.setdefault(p.footnote, p.passage_id)
    return [
        _with_footnotes(
            p,
            [
                (label, first_passage_of_note[label])
                for off, label in markers
                if p.start <= off < p.end and label in first_passage_of_note
            ],
        )
        for p in passages
    ]


def chunk_document(
    doc_id: str,
    text: str,
    tok: TokenCounter,
    params: ChunkParams,
    heading_starts: Sequence[int] | None = None,
    boxes: Sequence[Span] = (),
    labels: Sequence[Span] = (),
    code: Sequence[Span] = (),
) -> list[Passage]:
    """Split one document into passages with provenance and footnote links. `heading_starts`: where the
    reader found heading paragraphs (structured formats); None: recognise heading lines in plain text.
    `boxes`: titled boxes (a tip, a note): a heading inside one heads only the rest of it. `labels`: what
    names rather than says (a definition list's term, a figure's caption): never highlighted. `code`:
    code in lines of prose (a command's name may start a sentence)."""
    paras = split_paragraphs(text)
    notes_from, note_of, markers = find_notes(text, paras)
    headings = _headings(text, paras, notes_from, heading_starts)
    heading_at_para = headings_in_force(paras, headings, boxes)
    # After a box the section's heading is in force again: its text starts a passage of its own, which
    # would otherwise carry the box's title.
    resumes = {
        i for i in range(1, len(paras)) if i not in headings and heading_at_para[i] != heading_at_para[i - 1]
    }
    code_starts = frozenset(start for start, _ in code)
    groups = _pack(_atoms(text, paras, params, tok, code_starts), set(headings), note_of, params, resumes)
    note_headings = _note_headings(text, paras, note_of, code_starts)
    label_paras = set(headings) | {i for i, (s, e) in enumerate(paras) if is_label(text[s:e])}
    label_paras |= _paragraphs_within(paras, labels)
    passages: list[Passage] = []
    for n, group in enumerate(groups):
        body = [a for a in group if a.para not in headings] or group
        note = note_of.get(group[0].para)
        heading = note_headings[note] if note else heading_at_para[body[0].para]
        passages.append(_passage(doc_id, n, text, group, heading, note, label_paras))
    if markers:
        passages = _link_footnotes(passages, markers)
    _check_limits(passages, tok, params)
    return passages


def _with_footnotes(p: Passage, links: list[tuple[str, str]]) -> Passage:
    return dataclasses.replace(p, footnotes=tuple(links)) if links else p


class ChunkingError(RuntimeError):
    """A passage would exceed the model's token limit (a bug: it would be silently truncated)."""


def _check_limits(passages: Sequence[Passage], tok: TokenCounter, params: ChunkParams) -> None:
    counts = tok.count_many([p.text for p in passages])
    for p, n in zip(passages, counts, strict=True):
        if n > params.max_tokens:
            raise ChunkingError(f"{p.passage_id} has {n} tokens, over the model limit {params.max_tokens}")
