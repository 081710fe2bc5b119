"""Entry point for `python -m indexer`: the build's commands, and `search` from the query package (the
entry point is the one place that sees both sides; no module imports it)."""

from indexer.cli import main
from query.cli import add_parser as add_search

raise SystemExit(main(more=[add_search]))
