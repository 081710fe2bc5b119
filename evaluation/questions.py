"""Owns the question files: questions with evidence spans, and relevance by span match."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from generation.records import StoredPassage

_QUOTES = str.maketrans({c: '"' for c in "\"'`´‘’‚‛“”„‟″′«»"})


def normalise(text: str) -> str:
    """Lower case, one quote character for every quote style, single spaces: how evidence is matched."""
    return re.sub(r"\s+", " ", text.translate(_QUOTES).lower()).strip()


@dataclass(frozen=True, slots=True)
class Question:
    qid: str
    question: str
    evidence: tuple[str, ...]


class EvalFileError(ValueError):
    """The question file is malformed."""


def load_questions(path: Path) -> list[Question]:
    questions: list[Question] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(Question(str(row["id"]), str(row["question"]), tuple(row["evidence"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalFileError(f"{path}:{n}: expected {{id, question, evidence: [..]}} ({exc})") from None
    return questions


def relevant_passages(question: Question, passages: Sequence[StoredPassage]) -> set[str]:
    """Passages containing one of the question's evidence spans (case, whitespace and quotes ignored)."""
    spans = [normalise(e) for e in question.evidence]
    return {p.passage_id for p in passages if any(s in normalise(p.text) for s in spans)}


def load_lines(path: Path) -> list[str]:
    """A plain question file: one question a line (blank lines and # comments skipped)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


_QUOTE_CLASS = "[" + re.escape("\"'`´‘’‚‛“”„‟″′«»") + "]"


def evidence_spans(text: str, evidence: Sequence[str]) -> list[tuple[int, int]]:
    """Where the evidence spans occur in `text` (character offsets), matched as `relevant_passages` does:
    ignoring case, runs of whitespace and quote style."""
    spans: list[tuple[int, int]] = []
    for span in evidence:
        words = normalise(span).split(" ")
        parts = ["".join(_QUOTE_CLASS if ch == '"' else re.escape(ch) for ch in w) for w in words if w]
        if not parts:
            continue
        spans += [m.span() for m in re.finditer(r"\s+".join(parts), text, flags=re.IGNORECASE)]
    return spans


def highlight_holds_evidence(text: str, highlight: tuple[int, int], evidence: Sequence[str]) -> bool:
    """The highlighted part of a passage overlaps one of the question's evidence spans."""
    start, end = highlight
    return any(s < end and start < e for s, e in evidence_spans(text, evidence))
