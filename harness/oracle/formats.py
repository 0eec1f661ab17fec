"""Text out of the attachment formats a recipient opens: PDF, spreadsheets, word-processor
documents, ZIP archives, calendars, vCards and CSV.

Each function returns ``(location suffix, text)`` pairs, as `decode.EXTRACTORS` expects, and
raises on input it cannot read (the caller shows what it can and moves on). The third-party
readers (pypdf, openpyxl) are imported on first use: a copy without such an attachment never
pays for them.

Everything a hostile or broken file could inflate is bounded by `budget.Budget`, which also
notes what was left unread and why.
"""

from __future__ import annotations

import binascii
import csv
import io
import logging
import quopri
import re
import zipfile
from collections.abc import Callable, Iterator
from html import unescape

from harness.oracle.budget import Budget

__all__ = [
    "Budget",
    "archive_members",
    "calendar_fields",
    "csv_rows",
    "office_kind",
    "office_text",
    "pdf_text",
    "xlsx_text",
]

# Separates values that are distinct on screen so that no name matches across two of them.
SEPARATOR = "\n|\n"


# ------------------------------------------------------------------------------- archives

ZIP_MAGIC = b"PK\x03\x04"


def archive_members(
    data: bytes, budget: Budget, wanted: Callable[[str], object] = bool
) -> Iterator[tuple[str, bytes]]:
    """(name, content) of each file in a ZIP archive whose name is `wanted`, in order, within
    the budget. A member whose declared size is over the budget is skipped: zipfile never
    inflates a member past its declared size, so the declared sizes bound what is inflated."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.is_dir() or not wanted(info.filename):
                continue
            if budget.members <= 0:
                budget.cut = True
                budget.skip(
                    f" > {info.filename}",
                    f"over the budget of {budget.MAX_MEMBERS} archive members and document "
                    "parts per message: this one and the rest",
                )
                return
            if not budget.take_member(info.file_size):
                budget.skip(f" > {info.filename}", budget.over_bytes(info.file_size))
                continue
            try:
                with archive.open(info) as member:
                    content = member.read(info.file_size + 1)
            except Exception as error:  # encrypted, a bad CRC, an unsupported compression
                budget.skip(f" > {info.filename}", f"could not be read: {error}")
                continue
            yield info.filename, content


# OOXML (docx, xlsx, pptx) and OpenDocument (odt, ods, odp) parts that hold what a reader of
# the document sees: body, headers and footers, comments, notes, properties, link targets.
_OOXML_TEXT_PART = re.compile(
    r"(?:word/(?:document|header\d*|footer\d*|comments|footnotes|endnotes)\.xml"
    r"|ppt/(?:slides|notesSlides|comments)/[^/]+\.xml"
    r"|xl/(?:comments\d*|threadedComments/[^/]+|sharedStrings|worksheets/[^/]+)\.xml"
    r"|docProps/(?:core|app|custom)\.xml"
    r"|(?:content|styles|meta)\.xml"
    r"|(?:[^/]+/)*_rels/[^/]+\.rels)",
)

# Parts made of separate fields (author, title, link targets) rather than running text.
_PROPERTIES_PART = re.compile(r"docProps/.*|meta\.xml|.*\.rels")


def office_kind(names: list[str]) -> str | None:
    """ "docx", "xlsx", "pptx", "odf", or None for a plain archive, from the member names."""
    members = set(names)
    if "[Content_Types].xml" in members:
        for prefix, kind in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
            if any(name.startswith(prefix) for name in names):
                return kind
    if "mimetype" in members and "content.xml" in members:
        return "odf"
    return None


# Tags that end a line or a cell on screen (paragraphs, rows, cells, breaks, tabs): a new line,
# so that "Ann" and "Lee" in two cells of one row still read as a name, as in HTML. Every other
# tag joins its neighbours: Word splits one word into several runs ("Jos", "é").
_XML_TAG = re.compile(
    r"<(?P<brk>/(?:w:p|a:p|w:tc|text:p|text:h|table:table-cell|table:table-row|t|si|c|row)"
    r"|(?:w:br|w:cr|w:tab|a:br|text:line-break|text:tab|text:s)\b)[^>]*>"
    r"|<!\[CDATA\[(?P<cdata>.*?)\]\]>"
    r"|<!--.*?-->|<[^>]*>",
    re.DOTALL,
)
# Link targets: Target="..." in .rels files, xlink:href="..." in OpenDocument.
_XML_LINK = re.compile(r"\b(?:Target|xlink:href)=\"([^\"]*)\"")


def xml_text(markup: str, *, fields: bool = False) -> str:
    """The text of an XML part, with line breaks where the document breaks lines, and the
    targets of its links. With `fields` (document properties: author, title...) every
    element is a value of its own, never joined to the next."""

    def replace(match: re.Match[str]) -> str:
        if match.group("brk") or (fields and not match.group("cdata")):
            return "\n"
        return match.group("cdata") or ""

    text = unescape(_XML_TAG.sub(replace, markup))
    links = [unescape(target) for target in _XML_LINK.findall(markup)]
    return SEPARATOR.join([text, *links]) if links else text


def office_text(data: bytes, budget: Budget, *, cells: bool = True) -> list[tuple[str, str]]:
    """The text of each visible part of an OOXML or OpenDocument file, suffixed by the
    part's name (`` word/document.xml``). Without `cells`, a spreadsheet's cells (shared
    strings and sheets) are left to a reader that knows which string goes in which cell."""
    found: list[tuple[str, str]] = []

    def wanted(name: str) -> bool:
        if not cells and name.startswith(("xl/worksheets/", "xl/sharedStrings")):
            return False
        return _OOXML_TEXT_PART.fullmatch(name) is not None

    for name, content in archive_members(data, budget, wanted):
        markup = content.decode("utf-8", errors="replace")
        fields = _PROPERTIES_PART.fullmatch(name) is not None
        text = budget.take_text(xml_text(markup, fields=fields), f" {name}")
        if text.strip():
            found.append((f" {name}", text))
    return found


# ---------------------------------------------------------------------------- spreadsheets


def xlsx_text(data: bytes, budget: Budget) -> list[tuple[str, str]]:
    """Every sheet's cell values (openpyxl, read-only, cached values, hidden sheets too), one
    line per row with its cells joined by spaces, so that a name split over first_name and
    last_name columns reads whole; then sheet names, comments and document properties."""
    from openpyxl import load_workbook  # a second or so to import: only when needed

    total = _declared_size(data)
    if total > budget.bytes:
        budget.cut = True
        budget.skip("", f"spreadsheet of {budget.over_bytes(total)}")
        return []
    found: list[tuple[str, str]] = []
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        found.append((" sheet names", SEPARATOR.join(workbook.sheetnames)))
        for sheet in workbook.worksheets:
            # Never trust the declared dimensions: they would pad every row to them.
            sheet.reset_dimensions()
            lines: list[str] = []
            for row in sheet.iter_rows(values_only=True):
                line = " ".join(str(value) for value in row if value is not None)
                if line:
                    lines.append(line)
                    budget.chars -= len(line)
                    if budget.chars <= 0:
                        budget.cut = True
                        budget.skip(f" sheet {sheet.title}", budget.over_chars())
                        break
            if lines:
                found.append((f" sheet {sheet.title}", "\n".join(lines)))
    finally:
        workbook.close()
    # The cells are read above, row by row; comments and properties come from the XML.
    found.extend(office_text(data, budget, cells=False))
    return found


def _declared_size(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(info.file_size for info in archive.infolist())


# --------------------------------------------------------------------------------- PDF


def pdf_text(data: bytes, budget: Budget) -> list[tuple[str, str]]:
    """The text of every page (pypdf), then the document information (title, author...),
    form field values, and annotations: link targets and comments."""
    from pypdf import PdfReader  # imported on first use

    # pypdf logs every oddity of a broken file as a warning: a district's worth of copies
    # would bury the progress display. What matters is what it could read.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        reader.decrypt("")  # only an owner password: the recipient opens it without one
    found: list[tuple[str, str]] = []
    extras: list[str] = []
    for number, page in enumerate(reader.pages, start=1):
        if budget.pages <= 0 or budget.chars <= 0:
            budget.cut = True
            why = (
                budget.over_chars()
                if budget.chars <= 0
                else (f"over the budget of {budget.MAX_PAGES} PDF pages per message: the rest")
            )
            budget.skip(f" page {number}", why)
            break
        budget.pages -= 1
        text = budget.take_text(page.extract_text() or "", f" page {number}")
        if text.strip():
            found.append((f" page {number}", text))
        extras.extend(_annotations(page))
    if reader.metadata is not None:
        extras.extend(str(value) for value in reader.metadata.values())
    for field in (reader.get_fields() or {}).values():
        value = field.get("/V")
        if value is not None:
            extras.append(str(value))
    extras = [text for text in extras if text.strip()]
    if extras:
        found.append((" properties, fields and annotations", SEPARATOR.join(extras)))
    return found


def _annotations(page: object) -> Iterator[str]:
    annotations = page.get("/Annots")  # type: ignore[attr-defined]
    if annotations is None:
        return
    for reference in annotations.get_object():
        annotation = reference.get_object()
        for key in ("/Contents", "/T"):
            if key in annotation:
                yield str(annotation[key])
        action = annotation.get("/A")
        if action is not None and "/URI" in action.get_object():
            yield str(action.get_object()["/URI"])


# ------------------------------------------------------------------------ calendars, vCards

_FOLD = re.compile(r"\r?\n[ \t]")
# A content line: NAME;PARAM=VALUE;PARAM="VALUE":value (RFC 5545 and RFC 6350; vCard 2.1).
_CONTENT_LINE = re.compile(
    r"^(?P<name>[^:;]+)(?P<params>(?:;(?:[^:\";]|\"[^\"]*\")*)*):(?P<value>.*)$"
)
_PARAM = re.compile(r";([^=;:]+)(?:=((?:[^;:\"]|\"[^\"]*\")*))?")
_ESCAPE = re.compile(r"\\([\\;,nN])")


def calendar_fields(text: str) -> str:
    """An ICS or vCard file as a reader of its fields sees it: lines unfolded, every parameter
    value (an attendee's CN=) and value decoded (QUOTED-PRINTABLE, BASE64 text, backslash
    escapes), and a structured name (N:Lee;Ann) also read as "Ann Lee" and "Lee, Ann"."""
    lines: list[str] = []
    unfolded = _FOLD.sub("", text)
    # vCard 2.1 quoted-printable values continue with a soft line break: "=" at the line end.
    unfolded = re.sub(r"=\r?\n", "=\n", unfolded)
    pending = ""
    for raw_line in unfolded.splitlines():
        line = pending + raw_line
        if line.endswith("=") and "QUOTED-PRINTABLE" in line.upper():
            pending = line[:-1]
            continue
        pending = ""
        match = _CONTENT_LINE.match(line)
        if match is None:
            lines.append(line)
            continue
        params = {
            key.strip().upper(): (value or "").strip('"')
            for key, value in _PARAM.findall(match.group("params"))
        }
        value = _property_value(match.group("value"), params)
        name = match.group("name").split(".")[-1].strip().upper()  # item1.EMAIL -> EMAIL
        shown = [v for k, v in params.items() if k not in ("ENCODING", "CHARSET") and v]
        if name == "N":
            parts = [_unescape(p).strip() for p in value.split(";")]
            family, given = [*parts, "", ""][:2]
            if family and given:
                shown += [f"{given} {family}", f"{family}, {given}"]
            shown.append(" ".join(p for p in parts if p))
        else:
            shown.append(_unescape(value))
        lines.append(SEPARATOR.join(shown))
    return SEPARATOR.join(lines)


def _property_value(value: str, params: dict[str, str]) -> str:
    encoding = params.get("ENCODING", "").upper()
    charset = params.get("CHARSET") or "utf-8"
    if encoding == "QUOTED-PRINTABLE":
        return _decode(quopri.decodestring(value.encode("latin-1", "replace")), charset)
    if encoding in ("B", "BASE64"):
        try:
            data = binascii.a2b_base64(value.encode("ascii", "replace"))
        except binascii.Error:
            return value
        if b"\x00" in data[:512]:
            return ""  # a photo or key, not text
        return _decode(data, charset)
    return value


def _decode(data: bytes, charset: str) -> str:
    try:
        return data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return data.decode("latin-1")


def _unescape(value: str) -> str:
    return _ESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


# ---------------------------------------------------------------------------------- CSV


def csv_rows(text: str) -> str:
    """Each row of a CSV (or TSV, or semicolon-separated) file with its non-empty cells joined
    by spaces, one row per line: "S-1,Ann,Lee" reads as "S-1 Ann Lee", so that a name split
    over first_name and last_name columns is found. The lines are read one at a time and the
    rows joined in blocks: a class list of 40 MB costs about its size again, not ten times."""
    first_line = text[: text.find("\n")] if "\n" in text else text
    delimiter = max(",;\t|", key=first_line.count)
    rows = csv.reader(_lines(text), delimiter=delimiter)
    blocks: list[str] = []
    block: list[str] = []
    try:
        for row in rows:
            block.append(" ".join(cell.strip() for cell in row if cell.strip()))
            if len(block) >= 4096:
                blocks.append("\n".join(block))
                block.clear()
    except csv.Error:
        return ""
    if block or not blocks:
        blocks.append("\n".join(block))
    return "\n".join(blocks)


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` with their ends, as io.StringIO(text) gives them (split at "\n"),
    without its copy of the whole text at four bytes a character."""
    start = 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            if start < len(text):
                yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1
