"""Owns the `semsearch` console command (installed by `pip install -e .`): `semsearch index`,
`semsearch search "question"`, `semsearch serve`, `semsearch verify`; each runs the package that owns it,
importing only that side (a search never loads PyTorch)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = """usage: semsearch COMMAND [options]

  index    build the index of SEMSEARCH_CORPUS_DIR and publish it   (python -m indexer build)
  search   answer a question from the published index, --json too   (python -m indexer search)
  serve    serve the API and the page on SEMSEARCH_HOST:PORT        (python -m service)
  verify   check the published generation's checksums and model    (python -m indexer verify)
  pull     copy a published generation from another index folder   (python -m indexer pull)

Settings come from SEMSEARCH_* variables (see the README); `semsearch COMMAND -h` for its options."""

INDEXER = {"index": "build", "search": "search", "verify": "verify", "pull": "pull"}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command in INDEXER:
        from indexer.cli import main as indexer_main
        from query.cli import add_parser as add_search

        return indexer_main([INDEXER[command], *rest], more=[add_search])
    if command == "serve":
        from service.__main__ import main as serve

        return serve()
    print(f"semsearch: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
