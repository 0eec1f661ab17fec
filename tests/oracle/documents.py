"""Small, real documents of the formats a notice may carry, built without a word processor:
PDF (hand-written, as a producer lays out text), XLSX (openpyxl), DOCX, ODT and ODS (the zip
and XML their specifications describe), and ZIP archives. Used by the extractor tests and by
fixtures/evasion/make_corpus.py."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Sequence
from datetime import datetime
from xml.sax.saxutils import escape

from openpyxl import Workbook


def _pdf_string(text: str) -> bytes:
    data = text.encode("cp1252")
    return b"(" + data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def pdf(
    lines: Sequence[str],
    *,
    kerned: bool = False,
    title: str | None = None,
    link: str | None = None,
) -> bytes:
    """A one-page PDF showing `lines` in Helvetica (WinAnsiEncoding), its content stream
    Flate-compressed. `kerned` splits each line into a TJ array of small pieces with kerning
    between them, as typesetting software writes text; `link` adds a URI link annotation."""
    ops = [b"BT /F1 11 Tf 72 720 Td 14 TL"]
    for line in lines:
        if kerned:
            pieces = [line[i : i + 3] for i in range(0, len(line), 3)]
            ops.append(b"[" + b" -12 ".join(_pdf_string(p) for p in pieces) + b"] TJ T*")
        else:
            ops.append(_pdf_string(line) + b" Tj T*")
    ops.append(b"ET")
    stream = zlib.compress(b"\n".join(ops))
    annots = b" /Annots [7 0 R]" if link else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R"
        b" >> >> /Contents 5 0 R" + annots + b" >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Producer (mailharness tests)"
        + (b" /Title " + _pdf_string(title) if title else b"")
        + b" >>",
        b"<< /Type /Annot /Subtype /Link /Rect [72 700 200 714] /A << /S /URI /URI "
        + _pdf_string(link or "")
        + b" >> >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, xref)
    )
    return out.getvalue()


def xlsx(sheets: dict[str, Sequence[Sequence[object]]], *, hidden: Sequence[str] = ()) -> bytes:
    """A workbook with one sheet per entry (rows of cell values); `hidden` sheets hidden."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
        if title in hidden:
            sheet.sheet_state = "hidden"
    workbook.properties.created = workbook.properties.modified = _EPOCH
    out = io.BytesIO()
    workbook.save(out)
    return _restamped(out.getvalue())


_EPOCH = datetime(2024, 1, 1)
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def _restamped(data: bytes) -> bytes:
    """The same archive with every member dated _ZIP_TIME: regenerated files stay equal."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return zip_of({info.filename: archive.read(info) for info in archive.infolist()})


def zip_of(files: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, _ZIP_TIME), data, compress_type=compression)
    return out.getvalue()


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _w_paragraphs(paragraphs: Sequence[str]) -> str:
    # Word splits text into runs at arbitrary points (spell-check, edits): split each word.
    out = []
    for text in paragraphs:
        runs = [text[i : i + 4] for i in range(0, len(text), 4)]
        out.append(
            "<w:p>"
            + "".join(f'<w:r><w:t xml:space="preserve">{escape(r)}</w:t></w:r>' for r in runs)
            + "</w:p>"
        )
    return "".join(out)


def docx(
    paragraphs: Sequence[str],
    *,
    header: Sequence[str] = (),
    comment: str | None = None,
    author: str | None = None,
) -> bytes:
    """A Word document: body paragraphs, an optional header, comment and author."""
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    files = {
        "[Content_Types].xml": types.encode(),
        "word/document.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><w:document {_W}><w:body>'
            f"{_w_paragraphs(paragraphs)}</w:body></w:document>"
        ).encode(),
        "word/styles.xml": f"<w:styles {_W}/>".encode(),
    }
    if header:
        files["word/header1.xml"] = f"<w:hdr {_W}>{_w_paragraphs(header)}</w:hdr>".encode()
    if comment:
        files["word/comments.xml"] = (
            f'<w:comments {_W}><w:comment w:id="0" w:author="Nurse">'
            f"{_w_paragraphs([comment])}</w:comment></w:comments>"
        ).encode()
    if author:
        files["docProps/core.xml"] = (
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:creator>{escape(author)}</dc:creator></cp:coreProperties>"
        ).encode()
    return zip_of(files)


_ODF = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
)


def _odf(mimetype: str, body: str) -> bytes:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODF}>'
        f"<office:body>{body}</office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype", _ZIP_TIME), mimetype)
        archive.writestr(
            zipfile.ZipInfo("content.xml", _ZIP_TIME), content, compress_type=zipfile.ZIP_DEFLATED
        )
    return out.getvalue()


def odt(paragraphs: Sequence[str]) -> bytes:
    body = "".join(f"<text:p>{escape(p)}</text:p>" for p in paragraphs)
    return _odf("application/vnd.oasis.opendocument.text", f"<office:text>{body}</office:text>")


def ods(rows: Sequence[Sequence[str]]) -> bytes:
    body = "".join(
        "<table:table-row>"
        + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{escape(c)}</text:p>'
            "</table:table-cell>"
            for c in row
        )
        + "</table:table-row>"
        for row in rows
    )
    return _odf(
        "application/vnd.oasis.opendocument.spreadsheet",
        f'<office:spreadsheet><table:table table:name="Sheet1">{body}</table:table>'
        "</office:spreadsheet>",
    )
