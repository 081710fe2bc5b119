"""Owns the indexer's command line: build and verify (and, through the entry point, search), with one
error report for all of them."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from generation import store
from generation.model import Embedder, ModelError, model_info
from generation.settings import SettingsError
from indexer import console
from indexer.build import BuildError, build
from indexer.settings import BuildSettings

log = logging.getLogger("indexer.cli")
AddCommand = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def cmd_build(args: argparse.Namespace) -> int:
    settings = BuildSettings.from_env(os.environ)
    if args.skip_bad_files:
        settings = settings.replace(skip_bad_files=True)
    if args.executor:
        settings = settings.replace(executor=args.executor)
    loaded: list[Embedder] = []

    def get_embedder() -> Embedder:  # loaded only when something must be embedded
        if not loaded:
            from generation.torch_model import SentenceTransformerEmbedder

            loaded.append(SentenceTransformerEmbedder(model_info(settings.model), settings.threads))
        return loaded[0]

    summary = build(settings, get_embedder, progress=None if not args.no_progress else False)
    print(json.dumps(summary.as_dict()) if args.json else summary.render())
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    settings = BuildSettings.from_env(os.environ)
    root = settings.index_dir
    name = args.generation or store.read_current(root)
    if name is None:
        raise store.GenerationError(f"no published generation in {root}")
    info = model_info(settings.model)
    manifest = store.verify(store.generations_dir(root) / name, info.fingerprint, info.dim)
    print(f"{name}: OK ({manifest['passages']} passages, {len(manifest['files'])} files checked)")
    return 0


def _pull_once(settings: BuildSettings, args: argparse.Namespace) -> str:
    from generation.pull import pull

    info = model_info(settings.model)
    done = pull(Path(args.source), settings.index_dir, info, args.generation, settings.keep_generations)
    if not done.copied and not done.published:
        return f"{done.generation}: already here and published; nothing copied"
    what = "copied, verified and published" if done.copied else "already here; published"
    pruned = f"; pruned {', '.join(done.pruned)}" if done.pruned else ""
    return f"{done.generation}: {what} from {args.source}{pruned}"


def cmd_pull(args: argparse.Namespace) -> int:
    settings = BuildSettings.from_env(os.environ)
    if not args.watch:
        print(_pull_once(settings, args))
        return 0
    last = None
    while True:  # until stopped: each newly published generation, as soon as it is seen
        current = store.read_current(Path(args.source))
        if current is not None and current != last:
            try:
                print(_pull_once(settings, args), flush=True)
                last = current
            except (store.GenerationError, ModelError, OSError) as exc:
                print(f"error: {exc}", file=sys.stderr, flush=True)  # keep what is published; try again
        time.sleep(args.interval)


def parser(*more: AddCommand) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m indexer", description="Build and query the search index.")
    ap.add_argument(
        "-v", "--verbose", action="store_true", help="also print third-party warnings and logs (captured)"
    )
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="index the corpus into a new generation and publish it")
    b.add_argument("--skip-bad-files", action="store_true", help="skip unreadable/empty/binary files")
    b.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")
    b.add_argument("--json", action="store_true", help="print the summary as JSON")
    b.add_argument(
        "--executor",
        choices=["local", "ray"],
        help="where the build runs (default: SEMSEARCH_EXECUTOR, else local); ray: RAY_ADDRESS or local",
    )
    b.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    b.set_defaults(run=cmd_build)
    for add in more:
        add(sub)
    pl = sub.add_parser("pull", help="copy a published generation from another index folder, verify, publish")
    pl.add_argument("source", help="the index folder to pull from (the build's SEMSEARCH_INDEX_DIR)")
    pl.add_argument("generation", nargs="?", help="generation name (default: the source's CURRENT)")
    pl.add_argument("--watch", action="store_true", help="keep pulling each newly published generation")
    pl.add_argument("--interval", type=float, default=2.0, help="seconds between checks with --watch")
    pl.set_defaults(run=cmd_pull)
    v = sub.add_parser("verify", help="check a generation's checksums, row counts and model")
    v.add_argument("generation", nargs="?", help="generation name (default: CURRENT)")
    v.set_defaults(run=cmd_verify)
    return ap


def main(argv: Sequence[str] | None = None, more: Sequence[AddCommand] = ()) -> int:
    """Run a command; `more` adds commands of other packages (the entry point adds `search`)."""
    args = parser(*more).parse_args(argv)
    captured = console.configure(verbose=args.verbose)
    try:
        return int(args.run(args))
    except (
        BuildError,
        store.GenerationError,
        ModelError,
        SettingsError,
        OSError,
        ValueError,
        LookupError,
        RuntimeError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        log.debug(captured.describe())
