"""What the links in a text carry, decoded as the browser or web app they open decodes it.

A click-tracking or portal link often carries its data encoded rather than in clear:
`/r/eyJzdHVkZW50IjoiSm9zw6kgTsO6w7FleiJ9` (base64url JSON), `?token=HEADER.PAYLOAD.SIG` (a
JWT, whose payload is base64url JSON anybody can read), `?q=%7B%22name%22...` (URL-encoded
JSON with \\u escapes). The web app on the other end reads it; so may anyone who looks at the
link. Each path segment, query value and fragment of every http(s) link is decoded when it is
base64 or base64url of text, a JWT, or JSON, and the text found is one more thing the
recipient can read. Random ids (tracking codes, message ids) decode to no text and add nothing.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["LINK_TOKENS", "link_token_text"]

LINK_TOKENS = " (link tokens)"

_URL = re.compile(r"https?://[^\s\"'<>()\[\]{}]+", re.IGNORECASE)
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
_MIN_LETTERS = re.compile(r"[^\W\d_]{2}")
_SEPARATOR = "\n"
_MAX_DEPTH = 3  # base64 of JSON holding base64...


def link_token_text(text: str) -> str | None:
    """The decoded tokens of every link in `text`, one per line; None when there are none."""
    if "://" not in text:
        return None
    found: list[str] = []
    for match in _URL.finditer(text):
        for piece in _pieces(match.group()):
            found.extend(_decoded(piece, _MAX_DEPTH))
    return _SEPARATOR.join(dict.fromkeys(found)) if found else None


def _pieces(url: str) -> Iterator[str]:
    """The path segments, query values (and names) and fragment of a URL, percent-decoded."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return
    for segment in parts.path.split("/"):
        if segment:
            yield unquote(segment)
    for name, value in parse_qsl(parts.query, keep_blank_values=False):
        yield name
        yield value
    if parts.fragment:
        yield unquote(parts.fragment)
        for _, value in parse_qsl(parts.fragment):
            yield value


def _decoded(piece: str, depth: int) -> list[str]:
    """What a piece of a link decodes to: JSON's strings, a JWT's header and payload, or
    base64 text (and what that text decodes to in turn)."""
    if depth <= 0:
        return []
    piece = piece.strip()
    if piece[:1] in "{[":
        strings = _json_strings(piece)
        if strings is not None:
            return strings
    if piece.count(".") == 2:
        jwt = [_base64_text(part) for part in piece.split(".")[:2]]
        texts = [text for text in jwt if text]
        if texts:
            return [s for text in texts for s in _decoded(text, depth - 1) or [text]]
    piece = piece.replace(" ", "+")  # a query's "+" reads as a space: base64 meant "+"
    if _BASE64.fullmatch(piece):
        text = _base64_text(piece)
        if text:
            return _decoded(text, depth - 1) or [text]
    return []


def _json_strings(text: str) -> list[str] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    strings: list[str] = []
    _collect(value, strings)
    return [" ".join(strings)] if strings else None


def _collect(value: Any, into: list[str]) -> None:
    if isinstance(value, str):
        into.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            into.append(str(key))
            _collect(item, into)
    elif isinstance(value, list):
        for item in value:
            _collect(item, into)
    elif value is not None:
        into.append(str(value))


def _base64_text(piece: str) -> str | None:
    """The text a base64 or base64url string encodes, or None when it encodes no text."""
    encoded = piece.rstrip("=")
    altchars = b"-_" if "-" in encoded or "_" in encoded else None
    try:
        data = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=altchars)
    except (binascii.Error, ValueError):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(1 for char in text if char.isprintable() or char in "\t\r\n")
    if printable < len(text) * 0.95 or not _MIN_LETTERS.search(text):
        return None
    return text
