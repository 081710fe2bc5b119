"""The layout is the pipeline: imports run one way (service -> query -> generation <- indexer; evaluation
and bench may import any, nothing imports them back), and no function of the product grows past what a
reader takes in at once."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.corpus import REPO

# What each package may import of ours (besides itself).
ALLOWED = {
    "generation": set(),
    "indexer": {"generation"},
    "query": {"generation"},
    "service": {"query", "generation"},
    "evaluation": {"indexer", "query", "generation", "service"},
    "bench": {"indexer", "query", "generation", "service", "evaluation"},
    "semsearch": {"indexer", "query", "service"},  # the console command: one entry point for all
}
PRODUCT = ("generation", "indexer", "query", "service", "evaluation", "semsearch")
MAX_FUNCTION_LINES = 60


def _modules(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


def _imported_packages(path: Path) -> set[str]:
    """Our top-level packages a module imports (anywhere in it: lazy imports count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_run_one_way(package: str) -> None:
    wrong = {}
    for path in _modules(package):
        # An entry point (`python -m indexer`) is run, never imported: it may join two sides.
        if path.name == "__main__.py":
            continue
        bad = _imported_packages(path) - ALLOWED[package] - {package}
        if bad:
            wrong[path.relative_to(REPO).as_posix()] = sorted(bad)
    assert wrong == {}


def test_the_entry_points_only_join_what_their_package_runs() -> None:
    assert _imported_packages(REPO / "indexer" / "__main__.py") == {"indexer", "query"}


def test_no_product_function_is_longer_than_a_screen() -> None:
    long = {}
    for package in PRODUCT:
        for path in _modules(package):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = (node.end_lineno or node.lineno) - node.lineno + 1
                    if lines > MAX_FUNCTION_LINES:
                        long[f"{path.relative_to(REPO).as_posix()}:{node.name}"] = lines
    assert long == {}
