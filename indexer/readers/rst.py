"""Owns reading reStructuredText (docutils, public domain and BSD): rendered to HTML by docutils, then read
as the HTML reader reads a page, so headings, code, tables, notes and footnotes come out as they do there.
Sphinx's roles (:func:`x`, :ref:`text <target>`) show their text, and its directives (`.. function::`,
`.. versionadded::`) their arguments and content; nothing is read from other files (include,
literalinclude, toctree) and raw markup is left out."""

from __future__ import annotations

import dataclasses
import re
from functools import cache
from typing import Any

from indexer.readers import html
from indexer.readers.model import Extracted, ReaderError
from indexer.readers.text import decode

# docutils sets inline literals (``x``, and the roles below) as spans: as code, they are marked as code.
_LITERAL = re.compile(r'<span class="docutils literal">([^<]*)</span>')
_ROLE = re.compile(r":([A-Za-z][\w:+.-]*):`")
_DIRECTIVE = re.compile(r"^[ \t]*\.\.[ \t]+([A-Za-z][\w:+.-]*)::", re.MULTILINE)
# Directives that list or pull in other files: their arguments are file names, not text.
_LEFT_OUT = frozenset({"toctree", "literalinclude", "include", "index", "raw"})
_CONDITIONS = frozenset({"only", "ifconfig"})  # a condition, then content shown when it holds
_SETTINGS = {
    "report_level": 5,  # no error text in the output: an unknown construct is read as well as it can be
    "halt_level": 5,
    "warning_stream": False,
    "file_insertion_enabled": False,  # `.. include:: /etc/passwd` reads nothing
    "raw_enabled": False,
    "input_encoding": "unicode",
    "_disable_config": True,  # no docutils.conf from the machine or the corpus
    "embed_stylesheet": False,
    "stylesheet_path": "",
    "syntax_highlight": "none",
    # Sections stay sections: no lone section promoted to a subtitle (it would head nothing); the first
    # is the h1, the document's title.
    "doctitle_xform": False,
    "initial_header_level": 1,
}


def _version() -> str:
    import docutils

    return f"docutils {docutils.__version__}"


def _shown(text: str) -> str:
    """What Sphinx shows for a role's text: "title <target>" -> "title", "~a.b.c" -> "c", "!x" -> "x"."""
    m = re.fullmatch(r"(.*?)\s*<[^<>]*>", text, re.DOTALL)
    if m and m.group(1):
        return m.group(1)
    text = text.lstrip("!")
    return text.rsplit(".", 1)[-1] if text.startswith("~") else text


def _role(
    name: str, rawtext: str, text: str, lineno: int, inliner: Any, options: Any = None, content: Any = None
) -> tuple[list[Any], list[Any]]:
    """A role docutils does not know, as Sphinx shows it: its text, set as code."""
    from docutils import nodes, utils

    return [nodes.literal(rawtext, utils.unescape(_shown(text)))], []


class _AnyOptions(dict[str, Any]):
    """Whatever options a directive this reader does not know has: each kept as written."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> Any:
        from docutils.parsers.rst import directives

        return directives.unchanged


@cache
def _directive_kinds() -> dict[str, type]:
    """Directive classes by what is shown: "described" (the arguments as a line, then the content: `..
    function:: name(args)`, `.. versionadded:: 3.2`), "content" (`.. only:: html`), "none"."""
    from docutils import nodes
    from docutils.parsers.rst import Directive

    class Unknown(Directive):
        has_content = True
        optional_arguments = 1
        final_argument_whitespace = True
        option_spec = _AnyOptions()
        shows_arguments = True

        def run(self) -> list[Any]:
            box = nodes.container()
            if self.arguments and self.shows_arguments:
                shown, _ = self.state.inline_text(self.arguments[0], self.lineno)
                box += nodes.paragraph("", "", *shown)
            self.state.nested_parse(self.content, self.content_offset, box)
            return [box]

    class Content(Unknown):
        shows_arguments = False

    class LeftOut(Unknown):
        def run(self) -> list[Any]:
            return []

    return {"described": Unknown, "content": Content, "none": LeftOut}


def _kind(name: str) -> str:
    """How a directive docutils does not know is shown."""
    name = name.lower()
    if name in _LEFT_OUT or name.startswith("auto"):  # autodoc's content is in the code, not here
        return "none"
    return "content" if name in _CONDITIONS else "described"


def _known(name: str, registered: dict[str, Any], english: dict[str, str], registry: dict[str, Any]) -> bool:
    """Whether docutils has a role or directive of this name (English names and aliases: "code-block")."""
    name = name.lower()
    return name in registered or english.get(name, name) in registry


def _register(source: str) -> None:
    """Roles and directives of the source that docutils does not know (Sphinx's and its extensions'),
    registered once by name: a role shows its text, a directive its arguments and content."""
    from docutils.parsers.rst import directives, roles
    from docutils.parsers.rst.languages import en

    kinds = _directive_kinds()
    for name in set(_ROLE.findall(source)):
        if not _known(name, roles._roles, en.roles, roles._role_registry):
            roles.register_local_role(name, _role)
    for name in set(_DIRECTIVE.findall(source)):
        if _kind(name) == "none" or not _known(
            name, directives._directives, en.directives, directives._directive_registry
        ):
            directives.register_directive(name, kinds[_kind(name)])


def read(raw: bytes, name: str) -> Extracted:
    from docutils.core import publish_parts

    source, encoding = decode(raw)
    if not source.strip():
        raise ReaderError("is empty")
    _register(source)
    try:
        parts = publish_parts(source, writer="html5", settings_overrides=_SETTINGS)
    except Exception as exc:  # docutils raises its own kinds on input it cannot parse at all
        raise ReaderError(f"is not readable reStructuredText ({type(exc).__name__}: {exc})") from None
    body = _LITERAL.sub(r"<code>\1</code>", parts["body"])
    try:
        extracted = html.read(f"<html><body><main>{body}</main></body></html>".encode(), name)
    except ReaderError:
        raise ReaderError(
            "renders to no text (an `.. include::` is not followed; docutils leaves out lines over 10,000 "
            "characters and titles it cannot parse)"
        ) from None
    return dataclasses.replace(extracted, format="rst", reader=_version(), encoding=encoding)
