"""The README's settings tables, made from the settings classes themselves (names, defaults, descriptions):
`make settings-table` writes them into README.md; tests/test_readme.py checks the README holds them."""

from __future__ import annotations

import sys
from pathlib import Path

from generation.settings import EnvModel, Location
from indexer.settings import BuildSettings
from service.settings import Settings

BEGIN, END = "<!-- settings: made by `make settings-table` -->", "<!-- /settings -->"


def _table(title: str, kind: type[EnvModel], without: type[EnvModel] | None = None) -> list[str]:
    skip = set() if without is None else {name for name, _, _ in without.documented()}
    lines = [f"**{title}**", "", "| variable | default | meaning |", "|---|---|---|"]
    for name, default, meaning in kind.documented():
        if name not in skip:
            lines.append(f"| `{name}` | `{default}` | {meaning} |")
    return [*lines, ""]


def render() -> str:
    """The three tables: what both sides read, the build's, and the query side's (the service)."""
    lines = [BEGIN, ""]
    lines += _table("Both (`make index` and `make serve`)", Location)
    lines += _table("Build (`make index`, `python -m indexer build`)", BuildSettings, Location)
    lines += _table(
        "Serve (`make serve`; the query rows also `python -m indexer search`)", Settings, Location
    )
    return "\n".join([*lines, END])


def replaced(readme: str) -> str:
    """The README with its settings section replaced by `render()`."""
    start, end = readme.index(BEGIN), readme.index(END) + len(END)
    return readme[:start] + render() + readme[end:]


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(replaced(path.read_text(encoding="utf-8")), encoding="utf-8")
