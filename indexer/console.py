"""Owns what the command line prints on stderr: our own loggers' lines, and third-party chatter (library
warnings and INFO logs) captured and counted, shown only with --verbose."""

from __future__ import annotations

import logging
import sys

OUR_LOGGERS = ("indexer", "generation", "query", "service", "evaluation")


class Captured(logging.Handler):
    """Keeps the third-party records that reached the root logger (not printed unless --verbose)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def describe(self) -> str:
        warnings = sum(1 for r in self.records if r.levelno >= logging.WARNING)
        return (
            f"{len(self.records)} third-party messages captured ({warnings} warnings, "
            f"{len(self.records) - warnings} info); --verbose shows them"
        )


def configure(verbose: bool = False) -> Captured:
    """Our loggers print their INFO lines (DEBUG with verbose) as bare messages on stderr; everything else
    (torch, onnxruntime, transformers, bm25s, Python warnings) goes to the root logger, where it is
    captured, and printed too with verbose."""
    ours = logging.StreamHandler(sys.stderr)
    ours.setFormatter(logging.Formatter("%(message)s"))
    for name in OUR_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [ours]
        logger.setLevel(logging.DEBUG if verbose else logging.INFO)
        logger.propagate = False
    logging.captureWarnings(True)  # warnings.warn -> the "py.warnings" logger -> root
    captured = Captured()
    root = logging.getLogger()
    root.handlers[:] = [captured]
    if verbose:
        theirs = logging.StreamHandler(sys.stderr)
        theirs.setFormatter(logging.Formatter("[%(name)s] %(levelname)s %(message)s"))
        theirs.setLevel(logging.INFO)
        root.addHandler(theirs)
    root.setLevel(logging.INFO)
    return captured
