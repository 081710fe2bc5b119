"""`python -m tests.e2e.fake_build`: the real build job with the fake embedder, in a child process that a
crash test kills (SEMSEARCH_TEST_KILL_AT); settings come from SEMSEARCH_* as for `python -m indexer`."""

from __future__ import annotations

import os

from indexer.build import build
from indexer.settings import BuildSettings
from tests.fakes import FakeEmbedder


def main() -> None:
    fake = FakeEmbedder()
    build(BuildSettings.from_env(os.environ), lambda: fake, info=fake.info, progress=False)


if __name__ == "__main__":
    main()
