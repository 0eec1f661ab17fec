"""What an HTML part shows: its text as rendered, its attribute values, its comments."""

from __future__ import annotations

import re
from html import unescape

from harness.oracle.formats import SEPARATOR

__all__ = ["html_segments"]

_BLOCK_TAGS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl"),
        *("dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4"),
        *("h5", "h6", "header", "hr", "li", "main", "nav", "ol", "option", "p", "pre"),
        *("section", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul"),
    }
)


# One pass of one regular expression (html.parser is five times slower, and the oracle
# must judge thousands of copies a second). Unterminated constructs run to the end.
_HTML_TOKEN = re.compile(
    r"<!--(?P<comment>.*?)(?:-->|\Z)"
    r"|<!\[CDATA\[(?P<cdata>.*?)(?:\]\]>|\Z)"
    r"|<[!?](?P<decl>[^>]*)>?"
    r"|<(?P<raw>script|style)\b(?P<raw_attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"
    r"(?P<raw_text>.*?)(?:</(?P=raw)\s*>|\Z)"
    r"|</?(?P<tag>[A-Za-z][^\s/>]*)(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>",
    re.DOTALL | re.IGNORECASE,
)
_HTML_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


def _attributes(source: str, into: dict[str, list[str]]) -> None:
    for match in _HTML_ATTRIBUTE.finditer(source):
        value = match.group(2) or match.group(3) or match.group(4)
        if value and not value.isspace():
            into.setdefault(match.group(1).lower(), []).append(unescape(value))


# Rendered text longer than this is given in blocks, each starting with the end of the one
# before (far longer than any name), so that no step holds two copies of a huge text.
BLOCK = 1 << 20
OVERLAP = 1 << 14


def html_segments(markup: str) -> list[tuple[str, str]]:
    """(suffix, text) pairs: the text as rendered (inline tags join words, block tags separate
    them; script and style kept, since a recipient can view the source), every attribute
    value grouped by attribute name, and comments/declarations."""
    text: list[str] = []
    size = 0
    blocks: list[str] = []
    attributes: dict[str, list[str]] = {}
    comments: list[str] = []
    position = 0
    for match in _HTML_TOKEN.finditer(markup):
        piece = markup[position : match.start()]
        text.append(piece)
        size += len(piece)
        if size >= BLOCK:
            block = "".join(text)
            blocks.append(unescape(block))
            text, size = [block[-OVERLAP:]], OVERLAP
        position = match.end()
        if match.group("tag") is not None:
            if match.group("tag").lower() in _BLOCK_TAGS:
                text.append("\n")
            if match.group("attrs"):
                _attributes(match.group("attrs"), attributes)
        elif match.group("raw") is not None:
            _attributes(match.group("raw_attrs"), attributes)
            text.append("\n")
            text.append(match.group("raw_text"))
            text.append("\n")
        else:
            comments.append(match.group("comment") or match.group("cdata") or match.group("decl"))
    text.append(markup[position:])
    blocks.append(unescape("".join(text)))
    del text
    found = [("", block) for block in blocks]
    found += [(f" attribute {name}", SEPARATOR.join(vals)) for name, vals in attributes.items()]
    comments = [unescape(c) for c in comments if c and not c.isspace()]
    if comments:
        found.append((" comments", SEPARATOR.join(comments)))
    return found
