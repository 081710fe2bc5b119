"""Owns reading reStructuredText (docutils, public domain and BSD): rendered to HTML by docutils, then read
as the HTML reader reads a page, so headings, code, tables, notes and footnotes come out as they do there.
Sphinx's roles (:func:`x`, :ref:`text <target>`, :pep:`8`) show their text, its directives
(`.. function::`) their arguments and content, a version change (`.. versionadded:: 3.2`) Sphinx's label;
nothing is read from other files (include, literalinclude, toctree, images) and raw markup is left out.
docutils' registry of roles and directives is global: each document's additions are undone after it is
read."""

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
# A document's `.. sidebar::` is content (docutils writes no site around it), where the HTML reader takes a
# short block named "sidebar" for a site's furniture: written as the topic box it is.
_SIDEBAR = re.compile(r'class="sidebar(-title|-subtitle)?"')
_ROLE = re.compile(r":([A-Za-z][\w:+.-]*):`")
_DIRECTIVE = re.compile(r"^[ \t]*\.\.[ \t]+([A-Za-z][\w:+.-]*)::", re.MULTILINE)
# Directives shown as nothing: those that list or pull in other files (their arguments are file names),
# an index entry, raw markup.
_LEFT_OUT = frozenset(
    {"toctree", "literalinclude", "include", "index", "raw"}
    # Settings for the page's rendering, not text: "python3", "spam.eggs" would be paragraphs.
    | {"highlight", "currentmodule", "default-domain", "tabularcolumns", "sectionauthor", "moduleauthor"}
)
_CODE = frozenset({"code", "code-block", "sourcecode"})  # Sphinx's options too; never line numbers
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
LONGEST_LINE = 10_000  # docutils refuses a document with a longer line (its regular expressions' safety)


def _version() -> str:
    import docutils

    return f"docutils {docutils.__version__}"


def _title(text: str) -> str | None:
    """A role's explicit title, as Sphinx finds it ("title <target>" -> "title": the text before the first
    "<" that is not its first character nor escaped, when the text ends with ">"; docutils marks an
    escaped character with a NUL before it), else None. Found by a scan: Sphinx's regular expression is
    quadratic in a long run of spaces."""
    if not text.endswith(">"):
        return None
    at = text.find("<", 1)
    while at != -1 and text[at - 1] == "\x00":
        at = text.find("<", at + 1)
    return (text[:at].rstrip() or None) if at != -1 else None


def _shown(text: str) -> str:
    """What Sphinx shows for a role's text: "title <target>" -> "title", "~a.b.c" -> "c", "!x" -> "x"."""
    title = _title(text)
    if title is not None:
        return title
    text = text.lstrip("!")
    return text.rsplit(".", 1)[-1] if text.startswith("~") else text


def _role(
    name: str, rawtext: str, text: str, lineno: int, inliner: Any, options: Any = None, content: Any = None
) -> tuple[list[Any], list[Any]]:
    """A role docutils does not know, as Sphinx shows it: its text, set as code."""
    from docutils import nodes, utils

    return [nodes.literal(rawtext, utils.unescape(_shown(text)))], []


def _standard(kind: str) -> Any:
    """:pep:`8` and :rfc:`2822#section-3` as Sphinx shows them ("PEP 8", "RFC 2822#section-3"; with a
    title, the title). docutils' own roles take a bare number only: `PEP 517 <517#build>` came out as
    markup."""

    def role(
        name: str,
        rawtext: str,
        text: str,
        lineno: int,
        inliner: Any,
        options: Any = None,
        content: Any = None,
    ) -> tuple[list[Any], list[Any]]:
        from docutils import nodes, utils

        return [nodes.Text(utils.unescape(_title(text) or f"{kind} {text}"))], []

    return role


_STANDARDS = {"pep": _standard("PEP"), "rfc": _standard("RFC")}
# Sphinx's labels of a version change (sphinx.domains.changeset), then the change's own text.
_VERSION_LABELS = {
    "versionadded": "Added in version",
    "versionchanged": "Changed in version",
    "deprecated": "Deprecated since version",
    "versionremoved": "Removed in version",
}


class _AnyOptions(dict[str, Any]):
    """Whatever options a directive this reader does not know has: each kept as written (docutils reads
    options only when the spec is true, and an empty dict is false)."""

    def __bool__(self) -> bool:
        return True

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

    class Code(Unknown):
        def run(self) -> list[Any]:
            code = "\n".join(self.content)
            return [nodes.literal_block(code, code)]

    class VersionChange(Directive):
        """ "Changed in version 3.2: what changed." (the text on the directive's line, or its content)."""

        has_content = True
        optional_arguments = 2  # Sphinx requires the version: without one, the content alone is shown
        final_argument_whitespace = True

        def run(self) -> list[Any]:
            box = nodes.container()
            self.state.nested_parse(self.content, self.content_offset, box)
            if not self.arguments:
                return [box]
            said = len(self.arguments) > 1 or any(not isinstance(n, nodes.comment) for n in box)
            line = nodes.paragraph("", f"{_VERSION_LABELS[self.name.lower()]} {self.arguments[0]}")
            line += nodes.Text(":" if said else ".")
            if len(self.arguments) > 1:
                shown, _ = self.state.inline_text(self.arguments[1], self.lineno)
                line += [nodes.Text(" "), *shown]
            elif len(box) and isinstance(box[0], nodes.paragraph):
                # The change's first paragraph, on the label's line.
                line += [nodes.Text(" "), *box[0].children]
                box.remove(box[0])
            box.insert(0, line)
            return [box]

    return {"described": Unknown, "content": Content, "none": LeftOut, "code": Code, "version": VersionChange}


def _kind(name: str) -> str:
    """How a directive docutils does not know is shown."""
    name = name.lower()
    if name in _LEFT_OUT or name.startswith("auto"):  # autodoc's content is in the code, not here
        return "none"
    if name in _CODE:
        return "code"
    if name in _VERSION_LABELS:
        return "version"
    return "content" if name in _CONDITIONS else "described"


def _known(name: str, registered: dict[str, Any], english: dict[str, str], registry: dict[str, Any]) -> bool:
    """Whether docutils has a role or directive of this name (English names and aliases: "code-block")."""
    name = name.lower()
    return name in registered or english.get(name, name) in registry


def _register(source: str) -> None:
    """Roles and directives of the source that docutils does not know (Sphinx's and its extensions'),
    registered by name while it is read: a role shows its text, a directive its arguments and content."""
    from docutils.parsers.rst import directives, roles
    from docutils.parsers.rst.languages import en

    kinds = _directive_kinds()
    for name, role in _STANDARDS.items():  # also the document's default role, when it names one
        roles.register_local_role(name, role)
    for name in {n.lower() for n in _ROLE.findall(source)}:
        if not _known(name, roles._roles, en.roles, roles._role_registry):
            roles.register_local_role(name, _role)
    for name in {n.lower() for n in _DIRECTIVE.findall(source)}:
        kind = _kind(name)
        if kind in ("none", "code", "version") or not _known(
            name, directives._directives, en.directives, directives._directive_registry
        ):
            directives.register_directive(name, kinds[kind])


@cache
def _reader() -> Any:
    """docutils' standalone reader, with a substitution's own substitutions shown by name: expanded, each
    level of nesting doubles the text (472 bytes took 41 s)."""
    from docutils import nodes
    from docutils.readers.standalone import Reader
    from docutils.transforms import Transform

    class FlatSubstitutions(Transform):
        default_priority = 219  # just before docutils expands substitutions (220)

        def apply(self) -> None:
            for definition in self.document.findall(nodes.substitution_definition):
                for ref in list(definition.findall(nodes.substitution_reference)):
                    ref.replace_self(nodes.Text(ref.astext()))

    class FlatReader(Reader):
        def get_transforms(self) -> list[Any]:
            return [*super().get_transforms(), FlatSubstitutions]

    return FlatReader


def _html(source: str) -> str:
    """The document's body as HTML5, rendered without images: their writer reads the image file when the
    document asks (`:loading: embed`), and an image carries no text."""
    from docutils import nodes
    from docutils.core import publish_doctree, publish_from_doctree
    from docutils.parsers.rst import directives, roles
    from docutils.writers.html5_polyglot import Writer

    saved = dict(roles._roles), dict(directives._directives)
    try:
        _register(source)
        doctree = publish_doctree(source, reader=_reader()(), settings_overrides=_SETTINGS)
        for image in list(doctree.findall(nodes.image)):
            image.parent.remove(image)
        writer = Writer()
        publish_from_doctree(doctree, writer=writer, settings_overrides=_SETTINGS)
        body: str = writer.parts["body"]
        return body
    finally:  # a `.. role::` or `.. default-role::` of this document must not change how the next reads
        for registry, before in zip((roles._roles, directives._directives), saved, strict=True):
            registry.clear()
            registry.update(before)


def read(raw: bytes, name: str) -> Extracted:
    source, encoding = decode(raw)
    if not source.strip():
        raise ReaderError("is empty")
    # A line docutils would refuse the whole document for is data (an inline image, a minified blob).
    source = "\n".join("" if len(line) > LONGEST_LINE else line for line in source.split("\n"))
    try:
        body = _SIDEBAR.sub(r'class="topic\1"', _LITERAL.sub(r"<code>\1</code>", _html(source)))
    except Exception as exc:  # docutils raises its own kinds on input it cannot parse at all
        raise ReaderError(f"is not readable reStructuredText ({type(exc).__name__}: {exc})") from None
    try:
        extracted = html.read(f"<html><body><main>{body}</main></body></html>".encode(), name)
    except ReaderError:
        raise ReaderError(
            "renders to no text (an `.. include::` is not followed; titles docutils cannot parse are lost)"
        ) from None
    return dataclasses.replace(extracted, format="rst", reader=_version(), encoding=encoding)
