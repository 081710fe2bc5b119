"""`make eval` runs from the repository alone: without SciFact it says so in one line and still reports
the essay's questions and the low-confidence counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.settings import EvalSettings
from evaluation.suite import QuestionSets, run_suite
from service.settings import Settings
from tests.corpus import DEV_QUESTIONS
from tests.fakes import FakeEmbedder


@pytest.mark.slow  # ranx compiles its metrics with numba: about 40 s on a fresh install
def test_the_suite_reports_the_essay_without_scifact(fresh_settings: Settings, tmp_path: Path) -> None:
    said: list[str] = []
    out = tmp_path / "evaluation.md"
    fake = FakeEmbedder()
    settings = EvalSettings.from_env(fresh_settings.as_env(), export_query_encoder=False)
    report = run_suite(
        settings,
        lambda: fake,
        QuestionSets(DEV_QUESTIONS.parent),
        tmp_path / "nowhere",
        tmp_path / "work",
        out,
        say=said.append,
        libraries=False,  # tests/evaluation/test_libraries.py
    )
    assert len(said) == 1 and "SciFact: no collection at" in said[0] and "nowhere" in said[0]
    assert out.read_text() == report
    assert "## Essay questions, dev (`seed-dev.jsonl`, 20 questions)" in report
    assert "## Essay questions, tuning (`essay-tuning.jsonl`, 69 questions)" in report
    assert "## Essay questions, test (`essay-test.jsonl`, 70 questions)" in report
    assert "| hybrid score a=0.75 (default) |" in report
    assert "off-topic questions flagged (test, `out-of-domain-test.txt`):" in report and "of 52" in report
    assert "on the test split: precision" in report
    assert report.count("the highlight overlaps an evidence span in") == 3
    assert "## SciFact" not in report
