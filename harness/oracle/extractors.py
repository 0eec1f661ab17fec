"""The attachment extractor registry: which reader turns a payload of a given type into text.

An extractor turns a part's decoded payload (bytes) and declared charset into (location
suffix, text) pairs; the suffix is appended to the part's location ("" for none). The readers
of the binary formats (PDF, ZIP, office documents) are in `formats`. Types are looked up by
content type, then by the payload's magic bytes, then by file name; see `extract`.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections import OrderedDict
from collections.abc import Callable

from harness.oracle import formats
from harness.oracle.budget import Budget, Unread, size_text
from harness.oracle.charsets import decode_bytes, sniff_text
from harness.oracle.compressed import COMPRESSED_MAGIC, decompressed, is_tar, tar_members
from harness.oracle.formats import SEPARATOR
from harness.oracle.html_text import html_segments

__all__ = ["BY_EXTENSION", "EXTRACTORS", "OPAQUE_MAINTYPES", "Extractor", "as_words", "extract"]

# The budget bounds what one message may cost (zip bombs, huge PDFs); may raise.
Extractor = Callable[[bytes, str | None, Budget], list[tuple[str, str]]]


def as_words(filename: str) -> str:
    """A file name, and when it has underscores for spaces (Jose_Nunez.pdf) also as words."""
    if "_" not in filename:
        return filename
    return filename + SEPARATOR + filename.replace("_", " ")


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
        budget.skip("", f"an archive inside {budget.MAX_DEPTH} others: not opened")
        return []
    found = [(" member names", SEPARATOR.join(map(as_words, names)))]
    budget.depth += 1
    around = budget.where
    try:
        for name, content in formats.archive_members(payload, budget):
            content_type = BY_EXTENSION.get(name.rsplit(".", 1)[-1].lower(), "")
            budget.where = f"{around} > {name}"
            found.extend(
                (f" > {name}{suffix}", text)
                for suffix, text in extract(content_type, name, content, None, budget)
            )
            budget.where = around
    finally:
        budget.depth -= 1
        budget.where = around
    return found


def _nested(budget: Budget) -> bool:
    """May one more archive level be opened? Noted when not."""
    if budget.depth < budget.MAX_DEPTH:
        return True
    budget.cut = True
    budget.skip("", f"an archive inside {budget.MAX_DEPTH} others: not opened")
    return False


def _compressed(payload: bytes, charset: str | None, budget: Budget) -> list[tuple[str, str]]:
    """A gzip, bzip2 or xz file (a tar archive in it included): its content, read by what it
    is."""
    if not _nested(budget):
        return []
    content = decompressed(payload, budget)
    if content is None:
        return []
    budget.depth += 1
    around = budget.where
    try:
        if is_tar(content):
            return [
                (f" (decompressed){suffix}", text) for suffix, text in _tar_files(content, budget)
            ]
        budget.where = f"{around} (decompressed)"
        found = extract("application/octet-stream", None, content, charset, budget)
        return [(f" (decompressed){suffix}", text) for suffix, text in found]
    finally:
        budget.depth -= 1
        budget.where = around


def _tar(payload: bytes, charset: str | None, budget: Budget) -> list[tuple[str, str]]:
    if not _nested(budget):
        return []
    budget.depth += 1
    try:
        return _tar_files(payload, budget)
    finally:
        budget.depth -= 1


def _tar_files(payload: bytes, budget: Budget) -> list[tuple[str, str]]:
    """Each file of a tar archive, read by its name's type (the archive's depth counted)."""
    around = budget.where
    members = tar_members(payload, budget)
    found = [(" member names", SEPARATOR.join(as_words(name) for name, _ in members))]
    try:
        for name, content in members:
            content_type = BY_EXTENSION.get(name.rsplit(".", 1)[-1].lower(), "")
            budget.where = f"{around} > {name}"
            found.extend(
                (f" > {name}{suffix}", text)
                for suffix, text in extract(content_type, name, content, None, budget)
            )
    finally:
        budget.where = around
    return found


def _strings(payload: bytes, charset: str | None, budget: Budget) -> list[tuple[str, str]]:
    """Runs of printable text in a binary format we do not parse (Excel 97 .xls, Word 97
    .doc), single-byte and UTF-16LE, as the `strings` tool shows them."""
    runs = [m.decode("cp1252", errors="replace") for m in _PRINTABLE_RUN.findall(payload)]
    runs += [m.decode("utf-16-le") for m in _UTF16_RUN.findall(payload)]
    return [(" strings", budget.take_text(SEPARATOR.join(runs), " strings"))] if runs else []


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
    "text/x-amp-html": _html,  # the AMP version of an HTML body, shown by AMP clients (Gmail)
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
    "application/gzip": _compressed,
    "application/x-gzip": _compressed,
    "application/x-bzip2": _compressed,
    "application/x-bzip": _compressed,
    "application/x-xz": _compressed,
    "application/x-compressed-tar": _compressed,
    "application/x-tar": _tar,
    "application/x-gtar": _tar,
    "application/vnd.ms-excel": _strings,
    "application/msword": _strings,
    "application/vnd.ms-powerpoint": _strings,
}

# By file name, when the declared type says nothing useful (application/octet-stream).
BY_EXTENSION: dict[str, str] = {
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
    "gz": "application/gzip",
    "tgz": "application/gzip",
    "bz2": "application/x-bzip2",
    "tbz2": "application/x-bzip2",
    "xz": "application/x-xz",
    "tar": "application/x-tar",
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

# Never decoded: images are most of the bytes of real mail, and show no text to match.
OPAQUE_MAINTYPES = frozenset({"image", "audio", "video", "font", "model"})
_CACHED = frozenset({_pdf, _zip})
_MAGIC: tuple[tuple[bytes, Extractor], ...] = (
    (b"%PDF-", _pdf),
    (formats.ZIP_MAGIC, _zip),
    *((magic, _compressed) for magic, _ in COMPRESSED_MAGIC),
)


def _extractor_for(content_type: str, filename: str | None, data: bytes) -> Extractor | None:
    maintype = content_type.split("/", 1)[0]
    if maintype in OPAQUE_MAINTYPES:
        return _skip
    if maintype != "text":
        # The bytes say what a binary really is, whatever the sender declared.
        head = data[:1024].lstrip()
        for magic, extractor in _MAGIC:
            if head.startswith(magic):
                return extractor
        if is_tar(data):
            return _tar
    elif data.startswith(tuple(magic for magic, _ in COMPRESSED_MAGIC)):
        return _compressed  # a .csv.gz sent as text/csv: no text starts with these bytes
    if content_type in EXTRACTORS:
        return EXTRACTORS[content_type]
    if filename and "." in filename:
        by_name = BY_EXTENSION.get(filename.rsplit(".", 1)[1].strip().lower())
        if by_name is not None:
            return EXTRACTORS[by_name]
    if maintype == "text":
        return _text
    return None  # text if it looks like text


def extract(
    content_type: str, filename: str | None, data: bytes, charset: str | None, budget: Budget
) -> list[tuple[str, str]]:
    """(suffix, text) pairs of a payload. A format its reader cannot parse (a truncated PDF,
    a corrupt ZIP) shows its printable runs instead: never raises."""
    extractor = _extractor_for(content_type, filename, data)
    if extractor is None:
        text = sniff_text(data)
        if text:
            return [("", text)]
        if content_type not in _UNSHOWN:
            budget.skip("", f"{size_text(len(data))} of binary data in a format not read")
        return []
    if extractor in _CACHED:
        return _cached_extract(extractor, data, charset, budget)
    try:
        return extractor(data, charset, budget)
    except Exception as error:
        budget.skip("", f"could not be parsed ({_described(error)}): read as plain text")
        return _text(data, charset, budget)


# Binary parts a mail client does not show as content: signatures, checked, not displayed.
_UNSHOWN = frozenset(
    {
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "application/pgp-signature",
    }
)


def _described(error: Exception) -> str:
    text = str(error).strip()
    name = type(error).__name__
    return f"{name}: {text[:200]}" if text else name


# Bulk mail attaches the same file (a form, a flyer, or the wrong class list) to thousands of
# copies, and PDF and spreadsheet readers are slow: their results are kept by content hash.
# With each result, what its reading left unread (locations relative to the file).
_Result = tuple[list[tuple[str, str]], list[Unread]]
_CACHE: OrderedDict[tuple[Extractor, int, bytes], _Result] = OrderedDict()
_CACHE_SIZE = 64


def _cached_extract(
    extractor: Extractor, data: bytes, charset: str | None, budget: Budget
) -> list[tuple[str, str]]:
    # Within an archive less depth is left: the same file may be read less deep there.
    key = (extractor, budget.depth, hashlib.blake2b(data, digest_size=16).digest())
    cached = _CACHE.get(key)
    if cached is not None:
        _CACHE.move_to_end(key)
        found, unread = cached
        budget.unread.extend(Unread(budget.where + u.location, u.reason) for u in unread)
        return found
    noted = len(budget.unread)
    try:
        found = extractor(data, charset, budget)
    except Exception as error:  # a file its reader refuses: what is printable in it
        kind = "PDF" if extractor is _pdf else "ZIP file"
        budget.skip("", f"broken {kind} ({_described(error)}): only its printable runs read")
        found = _strings(data, charset, budget)
    if not budget.exhausted():  # a result cut short by this message's budget is not kept
        here = len(budget.where)
        unread = [Unread(u.location[here:], u.reason) for u in budget.unread[noted:]]
        _CACHE[key] = (found, unread)
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return found
