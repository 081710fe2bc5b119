"""Owns the evaluation's settings: it builds indexes and asks questions, so it reads both sides' settings."""

from __future__ import annotations

from indexer.settings import BuildSettings
from query.settings import QuerySettings


class EvalSettings(BuildSettings, QuerySettings):
    """The build's and the query side's SEMSEARCH_* settings together (`threads` is the build's)."""
