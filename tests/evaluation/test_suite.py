"""`make eval` runs from the repository alone: without SciFact it says so in one line and still reports
the essay's questions and the low-confidence counts."""

from __future__ import annotations

from pathlib import Path

from evaluation.suite import run_suite
from service.settings import Settings
from tests.corpus import DEV_QUESTIONS, OFF_TOPIC
from tests.fakes import FakeEmbedder


def test_the_suite_reports_the_essay_without_scifact(fresh_settings: Settings, tmp_path: Path) -> None:
    said: list[str] = []
    out = tmp_path / "evaluation.md"
    fake = FakeEmbedder()
    report = run_suite(
        fresh_settings,
        lambda: fake,
        DEV_QUESTIONS,
        OFF_TOPIC,
        tmp_path / "nowhere",
        tmp_path / "work",
        out,
        say=said.append,
    )
    assert len(said) == 1 and "SciFact: no collection at" in said[0] and "nowhere" in said[0]
    assert out.read_text() == report
    assert "## Dev questions (`seed-dev.jsonl`, 20 questions)" in report
    assert "| hybrid score a=0.75 (default) |" in report
    assert "off-topic questions flagged:" in report and "of 25" in report
    assert "## SciFact" not in report
