"""Second views of a text a recipient can open: its URL-decoded form, and the content of the
data: URLs in it (decoded and extracted like an attachment of their type)."""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote_plus, unquote_to_bytes

from harness.oracle.budget import Budget
from harness.oracle.extractors import OPAQUE_MAINTYPES, extract
from harness.oracle.segments import Segment

__all__ = ["URL_DECODED", "data_url_segments", "url_decoded"]

URL_DECODED = " (url-decoded)"

_URL_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}|\w\+\w")


def url_decoded(text: str) -> str | None:
    """The percent/plus-decoded view of the text, repeated for double encoding (at most three
    rounds), or None when there is nothing to decode."""
    if ("%" not in text and "+" not in text) or not _URL_ESCAPE.search(text):
        return None
    decoded = text
    for _ in range(3):
        decoded = unquote_plus(decoded)
        if "%" not in decoded:
            break
    return decoded if decoded != text else None


# data:[<media type>][;charset=...][;base64],<data> (RFC 2397), anywhere in a text: an href,
# an img src, a CSS url(), a line of a text body.
_DATA_URL = re.compile(
    r"data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(?:;[\w.+-]+=[^;,\s\"'<>()]*)*)"
    r"(?P<base64>;base64)?,(?P<data>[^\s\"'<>()]*)",
    re.IGNORECASE,
)


def data_url_segments(segment: Segment, budget: Budget) -> list[Segment]:
    """What the data: URLs in a segment hold, extracted like an attachment of their type."""
    found: list[Segment] = []
    for match in _DATA_URL.finditer(segment.text):
        content_type = (match.group("type") or "text/plain").lower()
        if content_type.split("/", 1)[0] in OPAQUE_MAINTYPES:
            continue
        if match.group("base64"):
            encoded = re.sub(r"[^A-Za-z0-9+/_-]", "", unquote_plus(match.group("data")))
            try:
                data = base64.b64decode(
                    encoded + "=" * (-len(encoded) % 4),
                    altchars=b"-_" if "-" in encoded or "_" in encoded else None,
                )
            except (binascii.Error, ValueError):
                continue
        else:
            data = unquote_to_bytes(match.group("data"))
        charset = re.search(r";charset=([^;,]+)", match.group("params") or "", re.IGNORECASE)
        location = f"{segment.location} data: URL ({content_type})"
        budget.where = location
        for suffix, text in extract(
            content_type, None, data, charset.group(1) if charset else None, budget
        ):
            if text.strip():
                found.append(Segment(location + suffix, text))
    return found
