"""`python -m indexer build` prints our phases, the progress bar on a terminal and the summary, and nothing
else: third-party warnings and logs are captured and counted, and shown with --verbose."""

from __future__ import annotations

import logging
import shutil
import warnings
from pathlib import Path

import pytest

from indexer import console
from service.settings import Settings
from tests.corpus import run_indexer


def test_the_first_build_prints_only_phases_and_a_summary_naming_the_exported_encoder(
    cli_index: tuple[Settings, str],
) -> None:
    _, output = cli_index
    lines = [line for line in output.splitlines() if line.strip()]
    phases = [line for line in lines if line.startswith("phase ")]
    assert {p.split()[1].rstrip(":") for p in phases} >= {"loading", "chunking", "embedding", "exporting"}
    summary = [line for line in lines if not line.startswith("phase ")]
    assert summary[0].startswith("generation") and summary[-2].startswith("seconds"), summary
    assert len(summary) == 10, summary  # the summary's lines and nothing else
    assert "languages   en 1" in summary
    assert any(line.startswith("query encoder: exported in ") for line in summary)
    for noise in ("Warning", "Quantization", "MatMul", "Building index", "INFO", "onnx"):
        assert noise not in "\n".join(phases), noise


def test_a_second_build_reuses_the_encoder_and_embeds_nothing(
    cli_index: tuple[Settings, str], tmp_path: Path
) -> None:
    settings, _ = cli_index
    shutil.copytree(settings.index_dir, tmp_path / "index")
    again = run_indexer(["build", "--no-progress"], settings.replace(index_dir=tmp_path / "index"))
    assert again.returncode == 0, again.stderr
    assert "query encoder: reused" in again.stdout and "embedded    0" in again.stdout
    assert all(line.startswith("phase ") for line in again.stderr.splitlines() if line.strip())


def test_third_party_output_is_captured_and_shown_only_when_verbose(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for verbose in (False, True):
        captured = console.configure(verbose=verbose)
        logging.getLogger("indexer.build").info("phase ours")
        logging.getLogger("onnxruntime.quantization").info("Ignore MatMul due to non constant B")
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.warn("TracerWarning: converting a tensor to a Python boolean", stacklevel=1)
        err = capsys.readouterr().err
        assert "phase ours" in err
        assert ("Ignore MatMul" in err) is verbose and ("TracerWarning" in err) is verbose
        assert len(captured.records) == 2 and "2 third-party messages" in captured.describe()
    logging.captureWarnings(False)
