"""Owns cutting text into what the page shows apart (pure functions): a passage's snippet and whole text
around the answer sentence with its code, and a document as blocks (paragraphs, headings, code blocks,
tables) carrying the passage anchors, the page markers and the marked passage."""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from generation.paragraphs import split_paragraphs
from generation.records import Mark, Span, StoredPassage, mark_spans

SNIPPET_BEFORE = 120  # characters of context shown before the answer sentence in a result's snippet
SNIPPET_AFTER = 160  # ... and after it; the whole passage is one click away (<details>)


def passage_anchor(passage_id: str) -> str:
    return "p" + passage_id.rsplit("#", 1)[1]


def _inside(spans: Sequence[Span], at: int) -> bool:
    """Whether `at` is inside one of these spans (sorted by start, not overlapping)."""
    return _span_of(spans, at) is not None


def _runs(
    text: str, start: int, end: int, answer: Span, code: Sequence[Span], flat: bool
) -> list[dict[str, Any]]:
    """text[start:end] as runs in or out of the answer, each a list of pieces in or out of code; `flat`:
    white space collapsed (a snippet), else kept (the whole passage)."""
    cuts = {start, end, *(x for span in (answer, *code) for x in span if start < x < end)}
    runs: list[dict[str, Any]] = []
    for a, b in itertools.pairwise(sorted(cuts)):
        piece = text[a:b]
        if flat:
            piece = re.sub(r"\s+", " ", piece)
        marked = answer[0] <= a < answer[1]
        if not runs or runs[-1]["mark"] != marked:
            runs.append({"mark": marked, "pieces": []})
        runs[-1]["pieces"].append({"text": piece, "code": _inside(code, a)})
    return runs


def _window(text: str, answer: Span) -> Span:
    """The snippet's stretch: the answer sentence and a little around it, cut at spaces."""
    start = max(0, answer[0] - SNIPPET_BEFORE)
    if start > 0:
        space = text.find(" ", start, answer[0])
        start = space + 1 if space >= 0 else start
    end = min(len(text), answer[1] + SNIPPET_AFTER)
    if end < len(text):
        space = text.rfind(" ", answer[1], end)
        end = space if space >= 0 else end
    return start, end


def passage_view(text: str, answer: Span, code: Sequence[Span]) -> dict[str, Any]:
    """A result's snippet (runs, and whether text was left out before or after) and its whole text."""
    code = sorted(code)
    start, end = _window(text, answer)
    return {
        "snippet": _runs(text, start, end, answer, code, flat=True),
        "lead": bool(text[:start].strip()),
        "trail": bool(text[end:].strip()),
        "whole": _runs(text, 0, len(text), answer, code, flat=False),
    }


def _segments(
    text: str,
    cuts: set[int],
    anchors: dict[int, list[str]],
    pages: dict[int, int],
    spans: dict[str, Span | None],
    code: Sequence[Span],
) -> list[dict[str, Any]]:
    """The text cut at every point where something starts or ends, each piece with what it carries."""
    selected, answer = spans["selected"], spans["answer"]
    return [
        {
            "start": a,
            "text": text[a:b],
            "anchors": anchors.get(a, []),
            "page": pages.get(a),
            "mark": bool(selected and selected[0] <= a < selected[1]),
            "answer": bool(answer and answer[0] <= a < answer[1]),
            "code": _inside(code, a),
        }
        for a, b in itertools.pairwise(sorted(cuts))
    ]


def _carried(segments: list[dict[str, Any]], keep: Sequence[Span]) -> list[dict[str, Any]]:
    """The segments inside `keep`; the anchors and page markers of those left out (the white space
    between paragraphs, the " | " between cells) go to the next one kept, or after the last."""
    out: list[dict[str, Any]] = []
    anchors: list[str] = []
    page: int | None = None
    for s in segments:
        if not _inside(keep, s["start"]):
            anchors += s["anchors"]
            page = s["page"] or page
            continue
        out.append({**s, "anchors": anchors + s["anchors"], "page": page or s["page"]})
        anchors, page = [], None
    if (anchors or page) and out:  # nothing shown after them: an empty piece at the very end holds them
        out.append({**out[-1], "text": "", "anchors": anchors, "page": page, "mark": False, "answer": False})
    return out


def _selection(chosen: StoredPassage | None, answer: Span | None) -> dict[str, Span | None]:
    """The selected passage's span and the answer sentence's (given inside the passage) in the document."""
    if chosen is None:
        return {"selected": None, "answer": None}
    inner = None
    if answer and 0 <= answer[0] < answer[1] <= chosen.end - chosen.start:
        inner = (chosen.start + answer[0], chosen.start + answer[1])
    return {"selected": (chosen.start, chosen.end), "answer": inner}


def document_blocks(
    text: str,
    marks: Sequence[Mark],
    passages: Sequence[StoredPassage],
    selected: StoredPassage | None = None,
    page_starts: Sequence[int] = (),
    answer: Span | None = None,
) -> list[dict[str, Any]]:
    """The document as blocks to show: {"kind": "p" | "heading" | "pre", "segments"} or {"kind": "table",
    "rows": [[{"header", "segments"}]]}; segments cut at passage starts (anchors), page starts, the
    selected passage (marked) and the answer sentence inside it (offsets in the passage), and code."""
    paragraphs = split_paragraphs(text)
    layout = _Layout.of(paragraphs, marks)
    spans = _selection(selected, answer)
    anchors: dict[int, list[str]] = {}
    for p in passages:
        anchors.setdefault(p.start, []).append(passage_anchor(p.passage_id))
    pages = {start: n for n, start in enumerate(page_starts, 1)}
    code = mark_spans(marks, "code")
    cuts = {0, len(text), *anchors, *pages}
    cuts.update(x for span in (*paragraphs, *layout.cells, *code) for x in span)
    cuts.update(x for span in spans.values() if span for x in span)
    segments = _carried(_segments(text, cuts, anchors, pages, spans, code), layout.shown)
    return layout.blocks(segments)


@dataclass(frozen=True, slots=True)
class _Layout:
    """What each paragraph is: a heading, a code block, a table's row (with its cells) or prose."""

    paragraphs: Sequence[Span]
    kinds: dict[int, str]  # paragraph start -> "heading", "pre" or "row" (rows of a table only)
    tables: Sequence[Span]
    cells: Sequence[Span]  # every cell of every row, sorted (an empty one too)
    cells_of: dict[Span, list[Span]]  # a row's cells, in order
    header: set[Span]
    shown: Sequence[Span]  # where the text shown is: paragraphs, and the cells of rows

    @classmethod
    def of(cls, paragraphs: Sequence[Span], marks: Sequence[Mark]) -> _Layout:
        tables = mark_spans(marks, "table")
        kinds = {s: kind for s, _, kind in marks if kind in ("heading", "pre", "row")}
        rows = [p for p in paragraphs if kinds.get(p[0]) == "row" and _span_of(tables, p[0])]
        kinds = {s: kind for s, kind in kinds.items() if kind != "row"} | {r[0]: "row" for r in rows}
        cells_of: dict[Span, list[Span]] = {r: [] for r in rows}
        for cell in mark_spans(marks, "th", "td"):  # once over the cells: each to its row
            row = _span_of(rows, cell[0]) or (_span_of(rows, cell[0] - 1) if cell[0] == cell[1] else None)
            if row is not None and cell[1] <= row[1]:
                cells_of[row].append(cell)
        cells = sorted(c for row in cells_of.values() for c in row)
        starts = {r[0] for r in rows}
        shown = sorted([p for p in paragraphs if p[0] not in starts] + [c for c in cells if c[0] < c[1]])
        header = {(s, e) for s, e, kind in marks if kind == "th"}
        return cls(paragraphs, kinds, tables, cells, cells_of, header, shown)

    def blocks(self, segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Segments grouped by paragraph; the rows of one table make one table block."""
        blocks: list[dict[str, Any]] = []
        for paragraph, group in itertools.groupby(
            segments, key=lambda s: _span_of(self.paragraphs, s["start"])
        ):
            pieces = list(group)
            kind = self.kinds.get(paragraph[0], "p") if paragraph else "p"
            if paragraph is None or kind != "row":
                blocks.append({"kind": kind, "segments": pieces})
                continue
            table = _span_of(self.tables, paragraph[0])
            if not blocks or blocks[-1].get("table") != table:
                blocks.append({"kind": "table", "table": table, "rows": []})
            blocks[-1]["rows"].append(self._row(pieces, paragraph))
        return blocks

    def _row(self, pieces: list[dict[str, Any]], row: Span) -> list[dict[str, Any]]:
        """A row's cells (an empty one too, so the columns stay in line), each with its segments."""
        spans = self.cells_of[row]
        segments: list[list[dict[str, Any]]] = [[] for _ in spans]
        i = 0
        for piece in pieces:  # both in order: one pass
            while i + 1 < len(spans) and (spans[i][1] <= piece["start"] or spans[i][0] == spans[i][1]):
                i += 1
            segments[i].append(piece)
        return [{"header": c in self.header, "segments": g} for c, g in zip(spans, segments, strict=True)]


def _span_of(spans: Sequence[Span], at: int) -> Span | None:
    """The span holding `at` (spans sorted, not overlapping), if one does."""
    i = bisect.bisect_right(spans, at, key=lambda span: span[0]) - 1
    return spans[i] if i >= 0 and spans[i][0] <= at < spans[i][1] else None
