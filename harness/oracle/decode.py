"""What the recipient of a raw message can read, as text segments with human locations.

`visible_segments(raw)` never raises: whatever a pipeline sends, the oracle must still judge it.
It parses with `mime.parse_message` (the stdlib's `policy.compat32` tree, built faster) and
decodes headers itself, leniently, the way mail clients do.

Locations:

- ``header:Subject``: a header of the message (every one, Bcc and X-* included);
- ``part 1.2 text/plain``, ``part 2 text/html``: a MIME part, numbered as IMAP does;
- ``part 3 attachment class-list.csv``: a part with a file name;
- ``part 3 Content-Disposition filename``, ``part 3 Content-Type name``: the file name itself;
- ``part 2 header:Content-Type``: a MIME header of a part;
- ``part 2 message/rfc822 header:Subject``: a header of an attached message;
- ``part 2 text/html attribute href``, ``part 2 text/html comments``: HTML beyond its text;
- any of the above + `` (url-decoded)``: the same text after percent/plus decoding.

Binary formats are looked up in `EXTRACTORS` by content type; PDF and spreadsheets are
registered as skipped until they get an extractor of their own.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import io
import quopri
import re
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from email.utils import collapse_rfc2231_value
from html import unescape
from urllib.parse import unquote_plus, unquote_to_bytes

from harness.oracle import formats
from harness.oracle.formats import Budget
from harness.oracle.mime import parse_message

__all__ = [
    "EXTRACTORS",
    "URL_DECODED",
    "Extractor",
    "Segment",
    "decode_bytes",
    "decode_header_value",
    "html_segments",
    "url_decoded",
    "visible_segments",
]


@dataclass(frozen=True)
class Segment:
    location: str
    text: str


# An extractor turns a part's decoded payload (bytes) and declared charset into
# (location suffix, text) pairs; the suffix is appended to the part's location ("" for none).
# The budget bounds what one message may cost (zip bombs, huge PDFs); may raise.
Extractor = Callable[[bytes, str | None, Budget], list[tuple[str, str]]]

URL_DECODED = " (url-decoded)"


# --------------------------------------------------------------------------- bytes -> text


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode in the declared charset, else UTF-8, else (for a charset Python does not know,
    or a single-byte one that failed) Latin-1, which never fails. Never raises."""
    charset = _clean_charset(charset)
    known = True
    if charset:
        try:
            return data.decode(charset)
        except LookupError:
            known = False
        except (UnicodeDecodeError, ValueError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if charset and known and charset not in _SINGLE_BYTE_OR_UTF8:
        # A multi-byte charset (Shift_JIS, GB2312...) with a few bad bytes: keep the rest.
        try:
            return data.decode(charset, errors="replace")
        except (LookupError, ValueError):  # a codec without "replace" (idna)
            pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_SINGLE_BYTE_OR_UTF8 = frozenset({"us-ascii", "ascii", "utf-8", "utf8", "cp1252"})


def _clean_charset(charset: str | None) -> str | None:
    if not charset:
        return None
    # RFC 2231 language suffix ("utf-8*en"), quotes, stray white space.
    cleaned = charset.split("*", 1)[0].strip().strip("\"'").lower()
    if cleaned in ("", "unknown-8bit", "x-unknown", "x-user-defined", "default"):
        return None
    return _CHARSET_ALIASES.get(cleaned, cleaned)


# Labels mail clients read as a superset, or that Python does not know by that name. Latin-1
# labels are read as windows-1252 (as browsers and mail clients do): "O\x92Brien" is O'Brien.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "gb2312": "gbk",
    "x-gbk": "gbk",
    "x-sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "iso-8859-8-i": "iso-8859-8",
    "x-mac-roman": "mac-roman",
    "ks_c_5601-1987": "cp949",
    "x-euc-jp": "euc_jp",
}


def _unsurrogate(value: str) -> str:
    """compat32 keeps raw 8-bit header bytes as surrogate escapes: decode them properly."""
    if value.isascii():
        return value
    try:
        data = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value  # real non-ASCII text, already decoded
    return decode_bytes(data, None)


# ------------------------------------------------------------------------------- headers

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
    value = _unsurrogate(value).replace("\r", "").replace("\n", "")
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
            charset = _clean_charset(match.group(1))
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


def _header_segments(msg: Message, prefix: str) -> list[Segment]:
    return [
        Segment(f"{prefix}header:{name}", decode_header_value(str(value)))
        for name, value in msg.raw_items()
    ]


# ---------------------------------------------------------------------------------- HTML

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


_SEPARATOR = formats.SEPARATOR


def _attributes(source: str, into: dict[str, list[str]]) -> None:
    for match in _HTML_ATTRIBUTE.finditer(source):
        value = match.group(2) or match.group(3) or match.group(4)
        if value and not value.isspace():
            into.setdefault(match.group(1).lower(), []).append(unescape(value))


def html_segments(markup: str) -> list[tuple[str, str]]:
    """(suffix, text) pairs: the text as rendered (inline tags join words, block tags separate
    them; script and style kept, since a recipient can view the source), every attribute
    value grouped by attribute name, and comments/declarations."""
    text: list[str] = []
    attributes: dict[str, list[str]] = {}
    comments: list[str] = []
    position = 0
    for match in _HTML_TOKEN.finditer(markup):
        text.append(markup[position : match.start()])
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
    found = [("", unescape("".join(text)))]
    found += [(f" attribute {name}", _SEPARATOR.join(vals)) for name, vals in attributes.items()]
    comments = [unescape(c) for c in comments if c and not c.isspace()]
    if comments:
        found.append((" comments", _SEPARATOR.join(comments)))
    return found


# ---------------------------------------------------------------------------- extractors


def _text(payload: bytes, charset: str | None, budget: Budget) -> list[tuple[str, str]]:
    return [("", decode_bytes(payload, charset))]


def _html(payload: bytes, charset: str | None, budget: Budget) -> list[tuple[str, str]]:
    return html_segments(decode_bytes(payload, charset))


def _csv(payload: bytes, charset: str | None, budget: Budget) -> list[tuple[str, str]]:
    text = decode_bytes(payload, charset)
    return [("", text), (" rows", formats.csv_rows(text))]


def _calendar(payload: bytes, charset: str | None, budget: Budget) -> list[tuple[str, str]]:
    """ICS and vCard: the file as text, and its fields decoded."""
    text = decode_bytes(payload, charset)
    return [("", text), (" fields", formats.calendar_fields(text))]


def _pdf(payload: bytes, charset: str | None, budget: Budget) -> list[tuple[str, str]]:
    return formats.pdf_text(payload, budget)


def _zip(payload: bytes, charset: str | None, budget: Budget) -> list[tuple[str, str]]:
    """A ZIP file: an office document (told by its members, whatever its declared type), or
    an archive whose members are extracted in turn."""
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        names = archive.namelist()
    kind = formats.office_kind(names)
    if kind == "xlsx":
        try:
            return formats.xlsx_text(payload, budget)
        except Exception:  # openpyxl refused it: its XML still shows the strings
            return formats.office_text(payload, budget)
    if kind is not None:
        return formats.office_text(payload, budget)
    if budget.depth >= budget.MAX_DEPTH:
        budget.cut = True
        return []
    found = [(" member names", _SEPARATOR.join(map(_as_words, names)))]
    budget.depth += 1
    try:
        for name, content in formats.archive_members(payload, budget):
            content_type = _BY_EXTENSION.get(name.rsplit(".", 1)[-1].lower(), "")
            found.extend(
                (f" > {name}{suffix}", text)
                for suffix, text in _extract(content_type, name, content, None, budget)
            )
    finally:
        budget.depth -= 1
    return found


def _strings(payload: bytes, charset: str | None, budget: Budget) -> list[tuple[str, str]]:
    """Runs of printable text in a binary format we do not parse (Excel 97 .xls, Word 97
    .doc), single-byte and UTF-16LE, as the `strings` tool shows them."""
    runs = [m.decode("cp1252", errors="replace") for m in _PRINTABLE_RUN.findall(payload)]
    runs += [m.decode("utf-16-le") for m in _UTF16_RUN.findall(payload)]
    return [(" strings", budget.take_text(_SEPARATOR.join(runs)))] if runs else []


_PRINTABLE_RUN = re.compile(rb"[\t\x20-\x7e\xa0-\xff]{4,}")
_UTF16_RUN = re.compile(rb"(?:[\x20-\x7e\xa0-\xff]\x00){4,}")


def _skip(payload: bytes, charset: str | None, budget: Budget) -> list[tuple[str, str]]:
    return []


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

# Content type -> extractor. Types not listed: text/* as text; anything else by its magic
# bytes (PDF, ZIP), else as text when it looks like text (a CSV sent as
# application/octet-stream), else skipped.
EXTRACTORS: dict[str, Extractor] = {
    "text/html": _html,
    "application/xhtml+xml": _html,
    "text/plain": _text,
    "text/csv": _csv,
    "text/tab-separated-values": _csv,
    "application/csv": _csv,
    "text/calendar": _calendar,
    "application/ics": _calendar,
    "text/vcard": _calendar,
    "text/x-vcard": _calendar,
    "text/directory": _calendar,
    "text/xml": _text,
    "application/xml": _text,
    "application/json": _text,
    "application/pdf": _pdf,
    "application/zip": _zip,
    "application/x-zip-compressed": _zip,
    _XLSX: _zip,
    _DOCX: _zip,
    _PPTX: _zip,
    "application/vnd.oasis.opendocument.text": _zip,
    "application/vnd.oasis.opendocument.spreadsheet": _zip,
    "application/vnd.oasis.opendocument.presentation": _zip,
    "application/vnd.ms-excel": _strings,
    "application/msword": _strings,
    "application/vnd.ms-powerpoint": _strings,
}

# By file name, when the declared type says nothing useful (application/octet-stream).
_BY_EXTENSION: dict[str, str] = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "txt": "text/plain",
    "json": "application/json",
    "xml": "application/xml",
    "ics": "text/calendar",
    "vcf": "text/vcard",
    "vcard": "text/vcard",
    "htm": "text/html",
    "html": "text/html",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "xlsx": _XLSX,
    "xlsm": _XLSX,
    "docx": _DOCX,
    "pptx": _PPTX,
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "xls": "application/vnd.ms-excel",
    "doc": "application/msword",
    "ppt": "application/vnd.ms-powerpoint",
}

_OPAQUE_MAINTYPES = frozenset({"image", "audio", "video", "font", "model"})
_CACHED = frozenset({_pdf, _zip})
_MAGIC: tuple[tuple[bytes, Extractor], ...] = ((b"%PDF-", _pdf), (formats.ZIP_MAGIC, _zip))


def _extractor_for(content_type: str, filename: str | None, data: bytes) -> Extractor | None:
    maintype = content_type.split("/", 1)[0]
    if maintype in _OPAQUE_MAINTYPES:
        return _skip
    if maintype != "text":
        # The bytes say what a binary really is, whatever the sender declared.
        head = data[:1024].lstrip()
        for magic, extractor in _MAGIC:
            if head.startswith(magic):
                return extractor
    if content_type in EXTRACTORS:
        return EXTRACTORS[content_type]
    if filename and "." in filename:
        by_name = _BY_EXTENSION.get(filename.rsplit(".", 1)[1].strip().lower())
        if by_name is not None:
            return EXTRACTORS[by_name]
    if maintype == "text":
        return _text
    return None  # text if it looks like text


def _extract(
    content_type: str, filename: str | None, data: bytes, charset: str | None, budget: Budget
) -> list[tuple[str, str]]:
    """(suffix, text) pairs of a payload. A format its reader cannot parse (a truncated PDF,
    a corrupt ZIP) shows its printable runs instead: never raises."""
    extractor = _extractor_for(content_type, filename, data)
    if extractor is None:
        text = _sniff_text(data)
        return [("", text)] if text else []
    if extractor in _CACHED:
        return _cached_extract(extractor, data, charset, budget)
    try:
        return extractor(data, charset, budget)
    except Exception:
        return _text(data, charset, budget)


# Bulk mail attaches the same file (a form, a flyer, or the wrong class list) to thousands of
# copies, and PDF and spreadsheet readers are slow: their results are kept by content hash.
_CACHE: OrderedDict[tuple[Extractor, int, bytes], list[tuple[str, str]]] = OrderedDict()
_CACHE_SIZE = 64


def _cached_extract(
    extractor: Extractor, data: bytes, charset: str | None, budget: Budget
) -> list[tuple[str, str]]:
    # Within an archive less depth is left: the same file may be read less deep there.
    key = (extractor, budget.depth, hashlib.blake2b(data, digest_size=16).digest())
    found = _CACHE.get(key)
    if found is not None:
        _CACHE.move_to_end(key)
        return found
    try:
        found = extractor(data, charset, budget)
    except Exception:  # a file its reader refuses: what is printable in it
        found = _strings(data, charset, budget)
    if not budget.exhausted():  # a result cut short by this message's budget is not kept
        _CACHE[key] = found
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return found


def _sniff_text(data: bytes) -> str | None:
    """The text of a payload of unknown type that is text: UTF-8 or UTF-16 with a byte order
    mark, UTF-8, or single-byte text without control characters. None for a binary."""
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                return None
    head = data[:8192]
    if b"\x00" in head:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    controls = sum(1 for byte in head if byte < 0x20 and byte not in b"\t\r\n\f")
    if controls > len(head) // 100:
        return None
    return decode_bytes(data, None)


def _as_written(part: Message) -> str:
    """The payload as it stands in the message (8-bit bytes as surrogate escapes). Not
    get_payload(), which decodes 8-bit text with the declared charset and can raise."""
    payload = part.__dict__.get("_payload")
    return payload if isinstance(payload, str) else ""


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    encoded = _as_written(part).encode("ascii", "surrogateescape")
    if str(part.get("content-transfer-encoding", "")).strip().lower() == "quoted-printable":
        return quopri.decodestring(encoded)
    return encoded


# ----------------------------------------------------------------------------- the walk


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
            return decode_header_value(_unsurrogate(str(value))).strip() or None
    return None


def _is_message(part: Message) -> bool:
    return str(part.get("content-type", "")).lstrip().lower().startswith("message/")


def _walk(part: Message, number: str, out: list[Segment], budget: Budget) -> None:
    """Segments of one MIME part and everything under it. `number` is the part's IMAP number,
    "" for a top-level multipart (whose children are 1, 2, ...)."""
    if not part.is_multipart():
        number = number or "1"
        try:
            _leaf(part, number, out, budget)
        except Exception:  # a part too broken to decode: show it as written
            out.append(Segment(f"part {number}", _as_written(part)))
        return
    payload = part.get_payload()
    assert isinstance(payload, list)
    if _is_message(part):
        # message/rfc822 (and kin): the payload is the enclosed message(s).
        for index, enclosed in enumerate(payload, start=1):
            if isinstance(enclosed, Message):
                enclosed_number = f"{number}.{index}" if len(payload) > 1 else number
                kind = part.get_content_type()
                out.extend(_header_segments(enclosed, f"part {enclosed_number} {kind} "))
                _walk_body(enclosed, enclosed_number, out, budget)
        return
    for index, child in enumerate(payload, start=1):
        if isinstance(child, Message):
            child_number = f"{number}.{index}" if number else str(index)
            out.extend(_header_segments(child, f"part {child_number} "))
            _walk(child, child_number, out, budget)
    for extra, label in ((part.preamble, "preamble"), (part.epilogue, "epilogue")):
        if extra and not extra.isspace():
            where = f"part {number} {label}" if number else label
            out.append(Segment(where, _unsurrogate(extra)))


def _walk_body(msg: Message, number: str, out: list[Segment], budget: Budget) -> None:
    """The body of a top-level or enclosed message: a multipart body's parts are number.1,
    number.2...; a single-part body is part number.1 (IMAP), or part 1 at the top."""
    if msg.is_multipart() and not _is_message(msg):
        _walk(msg, number, out, budget)
    else:
        _walk(msg, f"{number}.1" if number else "1", out, budget)


def _as_words(filename: str) -> str:
    """A file name, and when it has underscores for spaces (Jose_Nunez.pdf) also as words."""
    if "_" not in filename:
        return filename
    return filename + _SEPARATOR + filename.replace("_", " ")


def _leaf(part: Message, number: str, out: list[Segment], budget: Budget) -> None:
    """A single (non-multipart) part: its file names, then its content."""
    type_params = _params(part, "content-type")
    content_type = type_params[0][0] if type_params else part.get_default_type()
    if content_type.count("/") != 1:
        content_type = "text/plain"  # as RFC 2045 says for an invalid type
    filename = _param(_params(part, "content-disposition"), "filename")
    name = _param(type_params, "name")
    if filename:
        out.append(Segment(f"part {number} Content-Disposition filename", _as_words(filename)))
    if name and name != filename:
        out.append(Segment(f"part {number} Content-Type name", _as_words(name)))
    shown_name = filename or name
    if shown_name:
        location = f"part {number} attachment {shown_name} ({content_type})"
    else:
        location = f"part {number} {content_type}"

    if content_type.split("/", 1)[0] in _OPAQUE_MAINTYPES:
        return  # not even decoded: images are most of the bytes of real mail
    data = _payload_bytes(part)
    if not data:
        return
    found = _extract(content_type, shown_name, data, _param(type_params, "charset"), budget)
    out.extend(Segment(location + suffix, text) for suffix, text in found)


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


def visible_segments(raw: bytes) -> list[Segment]:
    """Everything the recipient of this raw RFC 5322 message can read. Never raises."""
    segments: list[Segment] = []
    budget = Budget()
    try:
        msg = parse_message(raw)
        segments.extend(_header_segments(msg, ""))
        _walk_body(msg, "", segments, budget)
    except Exception:  # an oracle that crashes judges nothing: fall back to the raw bytes
        segments.append(Segment("raw message", raw.decode("utf-8", errors="replace")))
    result: list[Segment] = []
    for segment in segments:
        if not segment.text.strip():
            continue
        result.append(segment)
        view = url_decoded(segment.text)
        if view is not None:
            result.append(Segment(segment.location + URL_DECODED, view))
        if "data:" in segment.text:
            result.extend(_data_url_segments(segment, budget))
    return result


# data:[<media type>][;charset=...][;base64],<data> (RFC 2397), anywhere in a text: an href,
# an img src, a CSS url(), a line of a text body.
_DATA_URL = re.compile(
    r"data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(?:;[\w.+-]+=[^;,\s\"'<>()]*)*)"
    r"(?P<base64>;base64)?,(?P<data>[^\s\"'<>()]*)",
    re.IGNORECASE,
)


def _data_url_segments(segment: Segment, budget: Budget) -> list[Segment]:
    """What the data: URLs in a segment hold, extracted like an attachment of their type."""
    found: list[Segment] = []
    for match in _DATA_URL.finditer(segment.text):
        content_type = (match.group("type") or "text/plain").lower()
        if content_type.split("/", 1)[0] in _OPAQUE_MAINTYPES:
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
        for suffix, text in _extract(
            content_type, None, data, charset.group(1) if charset else None, budget
        ):
            if text.strip():
                found.append(Segment(location + suffix, text))
    return found
