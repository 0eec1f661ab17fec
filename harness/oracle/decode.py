"""What the recipient of a raw message can read, as text segments with human locations.

`visible_segments(raw)` never raises: whatever a pipeline sends, the oracle must still judge it.
It parses with `mime.parse_message` (the stdlib's `policy.compat32` tree, built faster), walks
the MIME tree, decodes headers itself (`headers`), leniently, the way mail clients do, and
hands each part's payload to the extractor registry (`extractors`): text, HTML, CSV,
calendars, PDF, ZIP archives, office documents and spreadsheets, within a `formats.Budget`.

Locations:

- ``header:Subject``: a header of the message (every one, Bcc and X-* included);
- ``part 1.2 text/plain``, ``part 2 text/html``: a MIME part, numbered as IMAP does;
- ``part 3 attachment class-list.csv``: a part with a file name;
- ``part 3 Content-Disposition filename``, ``part 3 Content-Type name``: the file name itself;
- ``part 2 header:Content-Type``: a MIME header of a part;
- ``part 2 message/rfc822 header:Subject``: a header of an attached message;
- ``part 2 text/html attribute href``, ``part 2 text/html comments``: HTML beyond its text;
- any of the above + `` (url-decoded)``, or + `` data: URL (text/csv)``: the `views`.
"""

from __future__ import annotations

import binascii
import functools
import quopri
from dataclasses import dataclass
from email.message import Message
from email.utils import collapse_rfc2231_value

from harness.oracle.budget import Budget, Unread
from harness.oracle.charsets import decode_bytes, unsurrogate
from harness.oracle.extractors import EXTRACTORS, OPAQUE_MAINTYPES, Extractor, as_words, extract
from harness.oracle.headers import decode_header_value, header_segments
from harness.oracle.html_text import html_segments
from harness.oracle.link_tokens import LINK_TOKENS, link_token_text
from harness.oracle.mime import parse_message
from harness.oracle.segments import Segment
from harness.oracle.views import URL_DECODED, data_url_segments, url_decoded

# Re-exported: the oracle's other modules and the tests import them from here.
__all__ = [
    "EXTRACTORS",
    "URL_DECODED",
    "Extractor",
    "Reading",
    "Segment",
    "Unread",
    "decode_bytes",
    "decode_header_value",
    "html_segments",
    "read_message",
    "url_decoded",
    "visible_segments",
]


def _as_written(part: Message) -> str:
    """The payload as it stands in the message (8-bit bytes as surrogate escapes). Not
    get_payload(), which decodes 8-bit text with the declared charset and can raise."""
    payload = part.__dict__.get("_payload")
    return payload if isinstance(payload, str) else ""


def _payload_bytes(part: Message) -> bytes:
    encoded = _as_written(part).encode("ascii", "surrogateescape")
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    if encoding == "base64":
        # What get_payload(decode=True) does, without its copy of every line: a2b_base64
        # skips the line breaks (and anything else outside the alphabet) itself.
        try:
            return binascii.a2b_base64(encoded)
        except binascii.Error:  # bad padding: the stdlib's lenient decoder repairs it
            pass
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    if encoding == "quoted-printable":
        return quopri.decodestring(encoded)
    return encoded


def _params(part: Message, header: str) -> list[tuple[str, str]]:
    """A structured header's main value and parameters, keys lower-cased, RFC 2231 values
    (continuations, charsets) collapsed; [] when the header is absent or unparsable."""
    value = part.get(header)
    if value is None:
        return []
    if isinstance(value, str):  # bulk mail repeats its Content-Type and -Disposition values
        return list(_params_of_value(header, value))
    return _parse_params(part, header)


@functools.lru_cache(maxsize=4096)
def _params_of_value(header: str, value: str) -> tuple[tuple[str, str], ...]:
    holder = Message()
    holder[header] = value
    return tuple(_parse_params(holder, header))


def _parse_params(part: Message, header: str) -> list[tuple[str, str]]:
    try:
        params = part.get_params(header=header) or []
        return [
            (
                key.strip().lower(),
                collapse_rfc2231_value(value) if isinstance(value, tuple) else value,
            )
            for key, value in params
        ]
    except Exception:
        return []


def _param(params: list[tuple[str, str]], name: str) -> str | None:
    for key, value in params[1:]:
        if key == name and value:
            return decode_header_value(unsurrogate(str(value))).strip() or None
    return None


def _is_message(part: Message) -> bool:
    return str(part.get("content-type", "")).lstrip().lower().startswith("message/")


def _body(msg: Message, number: str) -> tuple[Message, str]:
    """The body of a top-level or enclosed message, numbered: a multipart body's parts are
    number.1, number.2...; a single-part body is part number.1 (IMAP), or part 1 at the top."""
    if msg.is_multipart() and not _is_message(msg):
        return (msg, number)
    return (msg, f"{number}.1" if number else "1")


def _walk(body: tuple[Message, str], out: list[Segment], budget: Budget) -> None:
    """Segments of a MIME part and everything under it, in order. `number` is a part's IMAP
    number, "" for a top-level multipart (whose children are 1, 2, ...). A stack rather than
    recursion: a part nested thousands of levels deep is read like any other."""
    todo: list[Segment | tuple[Message, str]] = [body]
    while todo:
        item = todo.pop()
        if isinstance(item, Segment):
            out.append(item)
            continue
        part, number = item
        if not part.is_multipart():
            number = number or "1"
            try:
                _leaf(part, number, out, budget)
            except Exception as error:  # a part too broken to decode: show it as written
                budget.unread.append(
                    Unread(f"part {number}", f"could not be decoded ({error}): read as written")
                )
                out.append(Segment(f"part {number}", _as_written(part)))
            continue
        payload = part.get_payload()
        assert isinstance(payload, list)
        then: list[Segment | tuple[Message, str]] = []
        if _is_message(part):
            # message/rfc822 (and kin): the payload is the enclosed message(s).
            kind = part.get_content_type()
            for index, enclosed in enumerate(payload, start=1):
                if isinstance(enclosed, Message):
                    enclosed_number = f"{number}.{index}" if len(payload) > 1 else number
                    then += header_segments(enclosed, f"part {enclosed_number} {kind} ")
                    then.append(_body(enclosed, enclosed_number))
        else:
            for index, child in enumerate(payload, start=1):
                if isinstance(child, Message):
                    child_number = f"{number}.{index}" if number else str(index)
                    then += header_segments(child, f"part {child_number} ")
                    then.append((child, child_number))
            for extra, label in ((part.preamble, "preamble"), (part.epilogue, "epilogue")):
                if extra and not extra.isspace():
                    where = f"part {number} {label}" if number else label
                    then.append(Segment(where, unsurrogate(extra)))
        todo.extend(reversed(then))


_LARGE = 1 << 20


def _leaf(part: Message, number: str, out: list[Segment], budget: Budget) -> None:
    """A single (non-multipart) part: its file names, then its content."""
    type_params = _params(part, "content-type")
    content_type = type_params[0][0] if type_params else part.get_default_type()
    if content_type.count("/") != 1:
        content_type = "text/plain"  # as RFC 2045 says for an invalid type
    filename = _param(_params(part, "content-disposition"), "filename")
    name = _param(type_params, "name")
    if filename:
        out.append(Segment(f"part {number} Content-Disposition filename", as_words(filename)))
    if name and name != filename:
        out.append(Segment(f"part {number} Content-Type name", as_words(name)))
    shown_name = filename or name
    if shown_name:
        location = f"part {number} attachment {shown_name} ({content_type})"
    else:
        location = f"part {number} {content_type}"

    if content_type.split("/", 1)[0] in OPAQUE_MAINTYPES:
        return  # not even decoded
    data = _payload_bytes(part)
    if not data:
        return
    if len(data) > _LARGE:
        part.set_payload("")  # the decoded bytes stand for it: not two copies of megabytes
    budget.where = location
    found = extract(content_type, shown_name, data, _param(type_params, "charset"), budget)
    out.extend(Segment(location + suffix, text) for suffix, text in found)


@dataclass(frozen=True)
class Reading:
    """What the recipient of a message can read, and the places the oracle could not."""

    segments: list[Segment]
    unread: list[Unread]


def read_message(raw: bytes) -> Reading:
    """Everything the recipient of this raw RFC 5322 message can read. Never raises."""
    segments: list[Segment] = []
    budget = Budget()
    try:
        msg = parse_message(raw)
        segments.extend(header_segments(msg, ""))
        _walk(_body(msg, ""), segments, budget)
    except Exception as error:  # an oracle that crashes judges nothing: read the raw bytes
        budget.unread.append(Unread("message", f"could not be parsed ({error}): read as raw text"))
        segments.append(Segment("raw message", raw.decode("utf-8", errors="replace")))
    result: list[Segment] = []
    for segment in segments:
        if not segment.text.strip():
            continue
        result.append(segment)
        view = url_decoded(segment.text)
        if view is not None:
            result.append(Segment(segment.location + URL_DECODED, view))
        tokens = link_token_text(segment.text)
        if tokens is not None:
            result.append(Segment(segment.location + LINK_TOKENS, tokens))
        if "data:" in segment.text:
            result.extend(data_url_segments(segment, budget))
    return Reading(result, budget.unread)


def visible_segments(raw: bytes) -> list[Segment]:
    """Everything the recipient of this raw RFC 5322 message can read. Never raises."""
    return read_message(raw).segments
