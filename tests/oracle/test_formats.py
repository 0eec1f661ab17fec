"""Each attachment format gives the recipient's view of its content: the right student is
found at a location naming the format's part, and the same document without the data names
nobody. Hostile archives are bounded."""

from __future__ import annotations

import base64
import io
import time
import zipfile
from email.message import EmailMessage

import pytest

from harness.oracle import formats
from harness.oracle.decode import decode_header_value, visible_segments
from harness.oracle.tokens import TokenIndex
from harness.roster.model import Contact, Link, Roster, Student

from . import documents

JOSE = "S-7Q3K9X2M"  # José Núñez
ANN = "S-ANNLEE01"  # Ann Lee


def _roster() -> Roster:
    def student(sid: str, first: str, last: str) -> Student:
        return Student(sid, first, last, 5, "Maple Grove Elementary", "2015-04-01", {})

    return Roster(
        students=(student(JOSE, "José", "Núñez"), student(ANN, "Ann", "Lee")),
        contacts=(Contact("C-JO", "Jo", "Núñez", "jo@example.com"),),
        links=(Link(JOSE, "C-JO", "mother", receives_mail=True, contact_restricted=False),),
    )


INDEX = TokenIndex.build(_roster())


def with_attachment(data: bytes, maintype: str, subtype: str, filename: str | None) -> bytes:
    message = EmailMessage()
    message["From"] = "nurse@district.example.org"
    message["To"] = "rosa@example.org"
    message["Subject"] = "Forms"
    message.set_content("The form is attached.\n")
    message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def found(raw: bytes) -> set[tuple[str, str]]:
    """(student id, location) of every student hit."""
    return {
        (sid, hit.location)
        for hit in INDEX.scan(visible_segments(raw))
        if hit.kind == "student"
        for sid in hit.subject_ids
    }


def named(raw: bytes) -> set[str]:
    return {sid for sid, _ in found(raw)}


PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize("kerned", [False, True])
def test_pdf_page_text(kerned: bool) -> None:
    data = documents.pdf(["Class list, room 4", "José Núñez"], kerned=kerned)
    raw = with_attachment(data, "application", "pdf", "list.pdf")
    assert (JOSE, f"part 2 attachment list.pdf ({PDF}) page 1") in found(raw)
    clean = documents.pdf(["Class list, room 4", "Pat Doe"], kerned=kerned)
    assert named(with_attachment(clean, "application", "pdf", "list.pdf")) == set()


def test_pdf_title_and_link_annotation() -> None:
    data = documents.pdf(["Notice"], title="Núñez, José", link=f"https://x.example/?s={JOSE}")
    where = f"part 2 attachment n.pdf ({PDF}) properties, fields and annotations"
    hits = INDEX.scan(visible_segments(with_attachment(data, "application", "pdf", "n.pdf")))
    assert {(h.location, h.token) for h in hits} >= {(where, "nunez, jose"), (where, "s-7q3k9x2m")}


def test_pdf_sent_as_octet_stream_without_a_name_is_read_by_its_magic() -> None:
    data = documents.pdf(["José Núñez"])
    raw = with_attachment(data, "application", "octet-stream", None)
    assert (JOSE, "part 2 application/octet-stream page 1") in found(raw)


def test_a_pdf_pypdf_cannot_read_shows_its_printable_runs() -> None:
    data = b"%PDF-1.4\n1 0 obj (Jose Nunez) Tj endobj\n\x00\x01trailer garbage"
    assert (JOSE, f"part 2 attachment x.pdf ({PDF}) strings") in found(
        with_attachment(data, "application", "pdf", "x.pdf")
    )


def test_xlsx_name_split_over_two_columns_reads_as_a_name() -> None:
    rows = [["first_name", "last_name", "grade"], ["José", "Núñez", 5]]
    data = documents.xlsx({"Grade 5": rows})
    raw = with_attachment(data, "application", XLSX.split("/")[1], "roster.xlsx")
    assert (JOSE, f"part 2 attachment roster.xlsx ({XLSX}) sheet Grade 5") in found(raw)
    clean = documents.xlsx({"Grade 5": [["first_name", "last_name"], ["Pat", "Doe"]]})
    assert named(with_attachment(clean, "application", XLSX.split("/")[1], "r.xlsx")) == set()


def test_xlsx_hidden_sheet_and_sheet_name() -> None:
    data = documents.xlsx({"Visible": [["nothing"]], "Lee, Ann": [[JOSE]]}, hidden=["Lee, Ann"])
    locations = found(with_attachment(data, "application", "octet-stream", "export.bin"))
    assert (JOSE, "part 2 attachment export.bin (application/octet-stream) sheet Lee, Ann") in (
        locations
    )
    assert (ANN, "part 2 attachment export.bin (application/octet-stream) sheet names") in (
        locations
    )


def test_xlsx_that_openpyxl_refuses_still_shows_its_strings() -> None:
    data = documents.xlsx({"S": [["José Núñez"]]})
    archive = zipfile.ZipFile(io.BytesIO(data))
    files = {n: archive.read(n) for n in archive.namelist()}
    files["xl/workbook.xml"] = b"<not xml"
    raw = with_attachment(documents.zip_of(files), "application", XLSX.split("/")[1], "r.xlsx")
    assert (JOSE, f"part 2 attachment r.xlsx ({XLSX}) xl/worksheets/sheet1.xml") in found(raw)


@pytest.mark.parametrize(
    ("document", "part"),
    [
        (documents.docx(["Dear family of José Núñez,"]), "word/document.xml"),
        (documents.docx(["Notice"], header=[f"Ref {JOSE}"]), "word/header1.xml"),
        (documents.docx(["Notice"], comment="check Núñez, José"), "word/comments.xml"),
        (documents.docx(["Notice"], author="José Núñez"), "docProps/core.xml"),
    ],
    ids=["body", "header", "comment", "author"],
)
def test_docx_parts(document: bytes, part: str) -> None:
    raw = with_attachment(document, "application", DOCX.split("/")[1], "n.docx")
    assert (JOSE, f"part 2 attachment n.docx ({DOCX}) {part}") in found(raw)


def test_docx_clean_twin_and_properties_never_join_into_a_name() -> None:
    assert named(with_attachment(documents.docx(["Dear Pat Doe"]), "application", "zip", "a")) == (
        set()
    )
    # Two property fields "Ann" and "Lee" are distinct values, not the name Ann Lee.
    properties = (
        "<cp:coreProperties><dc:creator>Ann</dc:creator><cp:lastModifiedBy>Lee</cp:lastModifiedBy>"
        "</cp:coreProperties>"
    )
    assert formats.xml_text(properties, fields=True).split() == ["Ann", "Lee"]
    assert "Ann\nLee" not in formats.xml_text(properties, fields=True)


def test_opendocument_text_and_spreadsheet() -> None:
    odt = with_attachment(documents.odt(["José Núñez"]), "application", "octet-stream", "a.odt")
    assert (JOSE, "part 2 attachment a.odt (application/octet-stream) content.xml") in found(odt)
    ods = with_attachment(documents.ods([["Ann", "Lee"]]), "application", "octet-stream", "b.ods")
    assert named(ods) == {ANN}


def test_zip_of_csv_and_nested_zip() -> None:
    csv = b"first_name,last_name\r\nJose,Nunez\r\n"
    data = documents.zip_of({"lists/class.csv": csv})
    raw = with_attachment(data, "application", "zip", "lists.zip")
    assert (JOSE, "part 2 attachment lists.zip (application/zip) > lists/class.csv rows") in (
        found(raw)
    )
    nested = documents.zip_of({"inner.zip": data, "readme.txt": b"nothing"})
    raw = with_attachment(nested, "application", "zip", "outer.zip")
    assert named(raw) == {JOSE}
    names = documents.zip_of({f"{JOSE}.txt": b"nothing"})
    assert named(with_attachment(names, "application", "zip", "n.zip")) == {JOSE}


def test_archives_nested_past_the_depth_limit_are_not_opened() -> None:
    data = documents.zip_of({"x.txt": JOSE.encode()})
    for _ in range(formats.Budget.MAX_DEPTH - 1):
        data = documents.zip_of({"x.zip": data})
    assert named(with_attachment(data, "application", "zip", "a.zip")) == {JOSE}
    deeper = documents.zip_of({"x.zip": data})
    assert named(with_attachment(deeper, "application", "zip", "a.zip")) == set()


def test_a_zip_bomb_is_neither_inflated_nor_slow() -> None:
    bomb_member = b"\x00" * (formats.Budget.MAX_BYTES + 1)  # compresses to about 32 KB
    data = documents.zip_of({"bomb.bin": bomb_member, "list.txt": JOSE.encode()})
    started = time.perf_counter()
    raw = with_attachment(data, "application", "zip", "a.zip")
    assert named(raw) == {JOSE}  # the member after the bomb is still read
    assert time.perf_counter() - started < 5  # a sanity bound, far above the real figure


def test_a_zip_of_many_members_stops_at_the_member_limit() -> None:
    files = {f"f{i}.txt": b"x" for i in range(formats.Budget.MAX_MEMBERS + 10)}
    files["last.txt"] = JOSE.encode()
    budget = formats.Budget()
    names = [name for name, _ in formats.archive_members(documents.zip_of(files), budget)]
    assert len(names) == formats.Budget.MAX_MEMBERS and "last.txt" not in names


def test_budget_is_shared_by_the_whole_message() -> None:
    budget = formats.Budget()
    assert budget.take_member(formats.Budget.MAX_BYTES)
    assert not budget.take_member(1)


ICS = (
    "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Vaccination clinic\r\n"
    'ATTENDEE;ROLE=REQ-PARTICIPANT;CN="Núñez, Jo\r\n sé":mailto:guardian@example.net\r\n'
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_ics_attendee_folded_across_lines() -> None:
    raw = with_attachment(ICS.encode(), "text", "calendar", "clinic.ics")
    assert (JOSE, "part 2 attachment clinic.ics (text/calendar) fields") in found(raw)
    clean = ICS.replace("Núñez, Jo\r\n sé", "Doe, P\r\n at")
    assert named(with_attachment(clean.encode(), "text", "calendar", "clinic.ics")) == set()


@pytest.mark.parametrize(
    "card",
    [
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Núñez;José;;;\r\nFN:Guardian\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Jos=C3=A9 N=\r\n"
        "=C3=BA=C3=B1ez\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:Child: Núñez\\, José\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE;ENCODING=b:"
        + base64.b64encode("José Núñez".encode()).decode()
        + "\r\nEND:VCARD\r\n",
    ],
    ids=["structured-n", "quoted-printable-2.1", "escaped-comma", "base64-value"],
)
def test_vcard_values(card: str) -> None:
    raw = with_attachment(card.encode(), "text", "vcard", "guardian.vcf")
    assert (JOSE, "part 2 attachment guardian.vcf (text/vcard) fields") in found(raw)


def test_csv_rows_join_first_and_last_name_columns() -> None:
    assert (
        formats.csv_rows('id,first,last\r\nS-1,"Ann",Lee\r\n,,\r\n')
        == "id first last\nS-1 Ann Lee\n"
    )
    assert formats.csv_rows("a;b\nAnn;Lee\n") == "a b\nAnn Lee"
    assert formats.csv_rows("a\tb\nLee\tAnn\n") == "a b\nLee Ann"
    raw = with_attachment(b"first_name,last_name\nAnn,Lee\n", "text", "csv", "c.csv")
    assert (ANN, "part 2 attachment c.csv (text/csv) rows") in found(raw)
    assert named(with_attachment(b"first_name,last_name\nAnn,Leeds\n", "text", "csv", "c")) == set()


def test_legacy_binary_office_formats_show_their_strings() -> None:
    xls = b"\xd0\xcf\x11\xe0" + b"\x00" * 40 + "José Núñez".encode("utf-16-le") + b"\x00\x07"
    raw = with_attachment(xls, "application", "vnd.ms-excel", "old.xls")
    assert (JOSE, "part 2 attachment old.xls (application/vnd.ms-excel) strings") in found(raw)


@pytest.mark.parametrize(
    "data",
    [
        "\ufeffJosé Núñez".encode("utf-16-le"),
        "José Núñez".encode("utf-16"),
        "Dear family of José Núñez".encode("cp1252"),
    ],
    ids=["utf-16-le-bom", "utf-16", "cp1252"],
)
def test_text_of_unknown_type_is_read(data: bytes) -> None:
    assert named(with_attachment(data, "application", "octet-stream", None)) == {JOSE}


def test_binary_of_unknown_type_is_not_read_as_text() -> None:
    data = bytes(range(256)) * 8 + "José Núñez".encode()
    assert named(with_attachment(data, "application", "octet-stream", None)) == set()


def _html(markup: str) -> bytes:
    message = EmailMessage()
    message["Subject"] = "Notice"
    message.set_content(markup, subtype="html")
    return message.as_bytes()


@pytest.mark.parametrize(
    "markup",
    [
        '<div style="display:none">José Núñez</div><p>Notice</p>',
        "<p hidden>José Núñez</p><p>Notice</p>",
        "<template><p>José Núñez</p></template><p>Notice</p>",
        "<noscript>José Núñez</noscript><p>Notice</p>",
        '<span style="font-size:0;color:#fff">José Núñez</span>',
        "<table><tr><td>José</td><td>Núñez</td></tr></table>",
    ],
    ids=["display-none", "hidden-attribute", "template", "noscript", "zero-size", "table-row"],
)
def test_hidden_html_is_visible_to_the_oracle(markup: str) -> None:
    assert (JOSE, "part 1 text/html") in found(_html(markup))


@pytest.mark.parametrize(
    ("markup", "location"),
    [
        (
            '<a href="data:text/plain;base64,'
            + base64.b64encode("José Núñez".encode()).decode()
            + '">list</a>',
            "part 1 text/html attribute href data: URL (text/plain)",
        ),
        (
            '<iframe src="data:text/html;charset=utf-8,%3Cp%3EJos%C3%A9%20N%C3%BA%C3%B1ez">',
            "part 1 text/html attribute src data: URL (text/html)",
        ),
    ],
    ids=["base64-text", "percent-html"],
)
def test_data_urls_are_decoded(markup: str, location: str) -> None:
    assert (JOSE, location) in found(_html(markup))


def test_data_url_image_is_not_decoded() -> None:
    markup = '<img src="data:image/png;base64,' + base64.b64encode(b"Jose Nunez").decode() + '">'
    assert named(_html(markup)) == set()


def test_alternative_parts_that_disagree_are_both_scanned() -> None:
    message = EmailMessage()
    message["Subject"] = "Notice"
    message.set_content("Your child's record is complete.\n")
    message.add_alternative(f"<p>Record of José Núñez ({JOSE})</p>", subtype="html")
    assert (JOSE, "part 2 text/html") in found(message.as_bytes())
    message = EmailMessage()
    message["Subject"] = "Notice"
    message.set_content("Record of Ann Lee.\n")
    message.add_alternative("<p>Your child's record is complete.</p>", subtype="html")
    assert (ANN, "part 1 text/plain") in found(message.as_bytes())


@pytest.mark.parametrize(
    ("header", "decoded"),
    [
        ("=?windows-1252?q?O=92Brien?=", "O\u2019Brien"),
        ("=?iso-8859-1?q?O=92Brien?=", "O\u2019Brien"),  # Latin-1 labels read as windows-1252
        ("=?gb2312?b?" + base64.b64encode("王小明".encode("gb2312")).decode() + "?=", "王小明"),
        ("=?gb2312?b?" + base64.b64encode("镕".encode("gbk")).decode() + "?=", "镕"),  # GBK only
        (
            "=?shift_jis?b?" + base64.b64encode("山田太郎".encode("shift_jis")).decode() + "?=",
            "山田太郎",
        ),
        ("=?x-sjis?b?" + base64.b64encode("山田".encode("shift_jis")).decode() + "?=", "山田"),
        (
            "=?koi8-r?b?" + base64.b64encode("Иван Петров".encode("koi8-r")).decode() + "?=",
            "Иван Петров",
        ),
        (
            "=?ks_c_5601-1987?b?" + base64.b64encode("김민준".encode("cp949")).decode() + "?=",
            "김민준",
        ),
        ("=?utf-8?q?Jos=C3=A9?==?utf-8?q?_N=C3=BA=C3=B1ez?=", "José Núñez"),  # no space between
    ],
)
def test_header_charsets(header: str, decoded: str) -> None:
    assert decode_header_value(header) == decoded


def test_a_file_attached_to_many_copies_is_read_once() -> None:
    data = documents.pdf(["José Núñez"])
    first = found(with_attachment(data, "application", "pdf", "a.pdf"))
    calls: list[bytes] = []
    original = formats.pdf_text

    def counting(payload: bytes, budget: formats.Budget) -> list[tuple[str, str]]:
        calls.append(payload)
        return original(payload, budget)

    formats.pdf_text = counting  # type: ignore[assignment]
    try:
        again = found(with_attachment(data, "application", "pdf", "a.pdf"))
        other = found(with_attachment(documents.pdf(["Ann Lee"]), "application", "pdf", "b.pdf"))
    finally:
        formats.pdf_text = original  # type: ignore[assignment]
    assert again == first and len(calls) == 1  # only the other file was read
    assert {sid for sid, _ in other} == {ANN}


def test_a_result_cut_short_by_the_budget_is_not_kept() -> None:
    data = documents.zip_of({"list.txt": JOSE.encode()})
    budget = formats.Budget()
    budget.take_member(formats.Budget.MAX_BYTES)  # an earlier attachment used it all
    from harness.oracle import extractors

    assert extractors.extract("application/zip", "a.zip", data, None, budget) == [
        (" member names", "list.txt")
    ]
    assert named(with_attachment(data, "application", "zip", "a.zip")) == {JOSE}
