"""Renders the essay into the formats people keep texts in, with real tools: pandoc (Debian) for
Markdown -> HTML/EPUB/DOCX and headless Chromium printing the HTML to PDF; reStructuredText is written
here (its markup escaped). The outputs are committed (they are small); run `python tests/documents/render.py`
to make them again."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))

from indexer.chunking import heading_of, split_paragraphs  # noqa: E402

ESSAY = REPO / "seeds" / "paris-commune-in-perspective.txt"
TITLE = "The Paris Commune in Perspective"
NAV = (
    '<header class="site"><nav><a href="/">Home</a> | <a href="/archive">Archive</a> | '
    '<a href="/subscribe">Subscribe</a> | <a href="/contact">Contact us</a></nav></header>'
)
FOOTER = (
    '<footer class="site"><p>Copyright the publisher. All rights reserved. '
    '<a href="/privacy">Privacy policy</a> | <a href="/terms">Terms of use</a></p></footer>'
)


def essay_markdown() -> str:
    """The essay as Markdown: heading-like lines as `##` headings, everything else as paragraphs."""
    text = ESSAY.read_text(encoding="utf-8")
    blocks = []
    for start, end in split_paragraphs(text):
        block = text[start:end]
        if heading_of(block, markdown=False):
            blocks.append("## " + block)
        else:
            # Escape what Markdown would read as markup in the essay's plain text.
            blocks.append(re.sub(r"^(\d+)\. ", r"\1\\. ", block.replace("*", "\\*"), flags=re.MULTILINE))
    return f'---\ntitle: "{TITLE}"\nauthor: Bob Avakian\n---\n\n' + "\n\n".join(blocks) + "\n"


def _rst_escaped(block: str) -> str:
    """A paragraph of plain text as reStructuredText shows it: inline markup characters escaped, and no
    line read as a list item, a field, a comment or an option."""
    lines = []
    for line in block.split("\n"):
        line = re.sub(r"([\\*`|_:])", r"\\\1", line.strip())
        lines.append(re.sub(r"^([-+#]|\d+\.|[A-Za-z]\.|\.\.|>>>)(\s)", r"\\\1\2", line))
    return "\n".join(lines)


def essay_rst() -> str:
    """The essay as reStructuredText: its title over and under lined, heading-like lines as sections."""
    text = ESSAY.read_text(encoding="utf-8")
    rule = "=" * len(TITLE)
    blocks = [f"{rule}\n{TITLE}\n{rule}", ":Author: Bob Avakian"]
    for start, end in split_paragraphs(text):
        block = text[start:end]
        if heading_of(block, markdown=False):
            line = _rst_escaped(" ".join(block.split()))
            blocks.append(f"{line}\n{'-' * len(line)}")
        else:
            blocks.append(_rst_escaped(block))
    return "\n\n".join(blocks) + "\n"


def main() -> None:
    (HERE / "essay.rst").write_text(essay_rst(), encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        md = Path(tmp) / "essay.md"
        md.write_text(essay_markdown(), encoding="utf-8")
        for fmt in ("epub", "docx"):
            subprocess.run(["pandoc", str(md), "-o", str(HERE / f"essay.{fmt}")], check=True)
        body = subprocess.run(
            ["pandoc", str(md), "-t", "html5"], check=True, capture_output=True, text=True
        ).stdout
        html = (
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{TITLE}</title>'
            "<style>body{font-family:serif;margin:2em} nav a{margin-right:1em}</style>"
            "<script>console.log('analytics');</script></head>\n"
            f"<body>{NAV}\n<main><article><h1>{TITLE}</h1>\n{body}</article></main>\n{FOOTER}</body></html>\n"
        )
        (HERE / "essay.html").write_text(html, encoding="utf-8")
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--print-to-pdf={HERE / 'essay.pdf'}",
                (HERE / "essay.html").as_uri(),
            ],
            check=True,
            capture_output=True,
        )


if __name__ == "__main__":
    main()
