"""With several worker processes every worker logs (our INFO lines), each line with its process id."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generation.onnx_model import INT8_NAME
from service.harness import served_process, wait_until
from service.settings import Settings

pytestmark = pytest.mark.slow


def test_every_worker_logs_with_its_process_id(cli_index: tuple[Settings, str], tmp_path: Path) -> None:
    settings, _ = cli_index
    log = tmp_path / "service.log"
    env = {**settings.as_env(), "SEMSEARCH_WORKERS": "2", "SEMSEARCH_LOG_LEVEL": "info"}
    with log.open("wb") as sink, served_process(env, stderr=sink) as served:

        def serving_pids() -> set[str]:
            text = log.read_text(errors="replace")
            return set(re.findall(r"\[(\d+)\] service\.reload: serving generation", text))

        pids = wait_until(lambda: len(serving_pids()) == 2 and serving_pids(), timeout=120)
        assert str(served.process.pid) not in pids  # the workers, not the supervising parent
        encoder = re.escape(f"query encoder: onnxruntime {INT8_NAME}")
        assert re.search(rf"\[\d+\] service\.reload: {encoder}", log.read_text())
