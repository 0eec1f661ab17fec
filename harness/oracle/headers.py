"""Message headers as a recipient reads them: RFC 2047 encoded-words decoded leniently, the
way mail clients do, and the headers a person looks at first (From, To, Subject...)."""

from __future__ import annotations

import binascii
import email
import re
from email.message import Message
from email.policy import compat32

from harness.oracle.charsets import clean_charset, decode_bytes, unsurrogate
from harness.oracle.segments import Segment

__all__ = ["SHOWN_HEADERS", "copy_headers", "decode_header_value", "header_segments"]

SHOWN_HEADERS = ("From", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date")
MAX_HEADER = 2000  # characters kept of one header value (a To: line of 2,000 parents)

_ENCODED_WORD = re.compile(r"=\?([^?\s]*)\?([QqBb])\?([^?]*?)\?=")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")
_Q_HEX = re.compile(rb"=([0-9A-Fa-f]{2})")


def _decode_word(kind: str, text: str) -> bytes | None:
    data = text.encode("ascii", "replace")
    if kind in "Bb":
        data = _NOT_BASE64.sub(b"", data)
        if len(data) % 4 == 1:
            data = data[:-1]
        data += b"=" * (-len(data) % 4)
        try:
            return binascii.a2b_base64(data)
        except binascii.Error:
            return None
    return _Q_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), data.replace(b"_", b" "))


def decode_header_value(value: str) -> str:
    """Unfold a raw header value and decode its RFC 2047 encoded-words, leniently.

    White space between adjacent encoded-words is dropped, and adjacent words in one charset
    are decoded together (a character split across two words survives). A malformed word
    stays as written. Never raises: on any surprise the unfolded raw value is returned.
    """
    value = unsurrogate(value).replace("\r", "").replace("\n", "")
    if "=?" not in value:
        return value
    try:
        out: list[str] = []
        run: list[tuple[str | None, bytes]] = []  # adjacent decoded words
        position = 0
        for match in _ENCODED_WORD.finditer(value):
            between = value[position : match.start()]
            decoded = _decode_word(match.group(2), match.group(3))
            if decoded is None:  # undecodable: keep it verbatim
                continue
            if not (run and between.strip() == ""):
                out.append(_join_run(run))
                run = []
                out.append(between)
            charset = clean_charset(match.group(1))
            if run and run[-1][0] == charset:
                run[-1] = (charset, run[-1][1] + decoded)
            else:
                run.append((charset, decoded))
            position = match.end()
        out.append(_join_run(run))
        out.append(value[position:])
        return "".join(out)
    except Exception:  # the oracle must see something, whatever the input
        return value


def _join_run(run: list[tuple[str | None, bytes]]) -> str:
    return "".join(decode_bytes(data, charset) for charset, data in run)


def header_segments(msg: Message, prefix: str) -> list[Segment]:
    """Every header of `msg` (Bcc and X-* included), decoded, at ``{prefix}header:{name}``."""
    return [
        Segment(f"{prefix}header:{name}", decode_header_value(str(value)))
        for name, value in msg.raw_items()
    ]


def copy_headers(raw: bytes) -> dict[str, str]:
    """The shown headers present in the message, decoded, in SHOWN_HEADERS order. Never
    raises: a message too broken to parse shows no headers."""
    try:
        # The header block only: a body of many megabytes is not the headers' business.
        message = email.message_from_bytes(_header_block(raw), policy=compat32)
        found = {name.lower(): str(value) for name, value in message.raw_items()}
    except Exception:
        return {}
    headers = {}
    for name in SHOWN_HEADERS:
        value = found.get(name.lower())
        if value is not None:
            text = decode_header_value(value).strip()
            if len(text) > MAX_HEADER:
                text = f"{text[:MAX_HEADER]}... ({len(text) - MAX_HEADER} more characters)"
            headers[name] = text
    return headers


def _header_block(raw: bytes) -> bytes:
    """The message up to and including the blank line that ends its headers."""
    ends = [end for end in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if end >= 0]
    return raw[: min(ends) + 1] if ends else raw
