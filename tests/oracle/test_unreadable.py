"""What the oracle cannot read is recorded with where and why, never dropped in silence; and
what it can read it reads, however deep it is nested."""

from __future__ import annotations

import base64
import io
import zipfile
from email.message import EmailMessage

import pytest

from harness.oracle import formats
from harness.oracle.budget import Budget, size_text
from harness.oracle.decode import read_message
from harness.oracle.tokens import TokenIndex
from harness.roster.model import Contact, Link, Roster, Student

from . import documents

JOSE = "S-7Q3K9X2M"  # José Núñez

ROSTER = Roster(
    students=(Student(JOSE, "José", "Núñez", 5, "Maple Grove Elementary", "2015-04-01", {}),),
    contacts=(Contact("C-JO", "Jo", "Núñez", "jo@example.com"),),
    links=(Link(JOSE, "C-JO", "mother", receives_mail=True, contact_restricted=False),),
)
INDEX = TokenIndex.build(ROSTER)


def with_attachment(data: bytes, content_type: str, filename: str | None) -> bytes:
    message = EmailMessage()
    message["From"] = "nurse@district.example.org"
    message["To"] = "rosa@example.org"
    message["Subject"] = "Forms"
    message.set_content("The form is attached.\n")
    maintype, subtype = content_type.split("/")
    message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def unread(raw: bytes) -> list[tuple[str, str]]:
    return [(u.location, u.reason) for u in read_message(raw).unread]


def named(raw: bytes) -> set[str]:
    hits = INDEX.scan(read_message(raw).segments)
    return {sid for hit in hits if hit.kind == "student" for sid in hit.subject_ids}


def test_ordinary_mail_and_attachments_leave_nothing_unread() -> None:
    assert unread(with_attachment(b"a,b\r\n1,2\r\n", "text/csv", "list.csv")) == []
    assert unread(with_attachment(documents.pdf(["Clinic"]), "application/pdf", "f.pdf")) == []
    zipped = documents.zip_of({"list.csv": b"a,b\r\n", "form.pdf": documents.pdf(["x"])})
    assert unread(with_attachment(zipped, "application/zip", "forms.zip")) == []
    xlsx = documents.xlsx({"Sheet": [["Clinic", "Tuesday"]]})
    assert unread(with_attachment(xlsx, "application/octet-stream", "s.xlsx")) == []
    assert unread(with_attachment(b"\x89PNG\r\n\x1a\n\x00\x00", "image/png", "logo.png")) == []
    signature = with_attachment(b"0\x82\x05\x00\x06\t*\x86H", "application/pkcs7-signature", None)
    assert unread(signature) == []


@pytest.fixture
def small_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1 MB byte budget: the same limits, with less to compress in a test."""
    monkeypatch.setattr(Budget, "MAX_BYTES", 1 << 20)


@pytest.mark.usefixtures("small_budget")
def test_an_archive_member_over_the_budget_is_named_with_its_size() -> None:
    big = b"x" * (40 << 20)
    data = documents.zip_of({"class-list.csv": big, "note.txt": b"hello"})
    assert unread(with_attachment(data, "application/zip", "class-list.zip")) == [
        (
            "part 2 attachment class-list.zip (application/zip) > class-list.csv",
            "40 MB uncompressed, over the 1.0 MB budget",
        )
    ]


@pytest.mark.usefixtures("small_budget")
def test_a_member_over_what_earlier_ones_left_says_so() -> None:
    half = b"x" * (Budget.MAX_BYTES // 2 + 1)
    data = documents.zip_of({"a.txt": half, "b.txt": half})
    ((location, reason),) = unread(with_attachment(data, "application/zip", "two.zip"))
    assert location.endswith("two.zip (application/zip) > b.txt")
    assert "over the 512 KB left of the 1.0 MB budget" in reason


def test_members_past_the_member_limit_are_reported() -> None:
    files = {f"f{i}.txt": b"x" for i in range(Budget.MAX_MEMBERS + 10)}
    data = documents.zip_of(files)
    ((location, reason),) = unread(with_attachment(data, "application/zip", "many.zip"))
    assert location.endswith(f"> f{Budget.MAX_MEMBERS}.txt")
    assert "over the budget of 256 archive members" in reason


def test_archives_nested_past_the_depth_limit_are_reported_where_they_are() -> None:
    data = documents.zip_of({"x.txt": JOSE.encode()})
    for _ in range(Budget.MAX_DEPTH):
        data = documents.zip_of({"x.zip": data})
    ((location, reason),) = unread(with_attachment(data, "application/zip", "a.zip"))
    assert location == "part 2 attachment a.zip (application/zip) > x.zip > x.zip > x.zip"
    assert reason == "an archive inside 3 others: not opened"


def encrypted(data: bytes) -> bytes:
    """The archive with its first member flagged as encrypted (bit 0 of the flags)."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.index(signature) + offset
        out[at] |= 1
    return bytes(out)


def test_an_encrypted_member_is_reported() -> None:
    data = encrypted(documents.zip_of({"secret.csv": b"a,b\r\n"}))
    assert zipfile.ZipFile(io.BytesIO(data)).infolist()[0].flag_bits & 1
    ((location, reason),) = unread(with_attachment(data, "application/zip", "s.zip"))
    assert location.endswith("s.zip (application/zip) > secret.csv")
    assert reason.startswith("could not be read: ") and "encrypted" in reason


def test_a_broken_pdf_is_reported_and_its_printable_runs_still_read() -> None:
    broken = b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\nJose Nunez\n" + b"\x00\xff" * 40
    raw = with_attachment(broken, "application/pdf", "form.pdf")
    ((location, reason),) = unread(raw)
    assert location == "part 2 attachment form.pdf (application/pdf)"
    assert reason.startswith("broken PDF (") and "only its printable runs read" in reason
    assert named(raw) == {JOSE}


@pytest.mark.usefixtures("small_budget")
def test_a_cached_result_reports_its_unread_parts_on_every_copy() -> None:
    big = b"x" * (Budget.MAX_BYTES + 1)
    data = documents.zip_of({"big.csv": big, "pad.txt": b"y"})
    raw = with_attachment(data, "application/zip", "c.zip")
    first = unread(raw)
    assert first and unread(raw) == first  # the second read comes from the cache


def test_binary_data_in_a_format_not_read_is_reported() -> None:
    blob = bytes(range(256)) * 4
    ((location, reason),) = unread(with_attachment(blob, "application/octet-stream", "x.bin"))
    assert location == "part 2 attachment x.bin (application/octet-stream)"
    assert reason == "1.0 KB of binary data in a format not read"


def test_text_over_the_character_budget_is_reported() -> None:
    budget = Budget()
    budget.where = "part 2 attachment a.xls"
    assert budget.take_text("x" * (Budget.MAX_CHARS + 5), " strings") == "x" * Budget.MAX_CHARS
    ((where, reason),) = [(u.location, u.reason) for u in budget.unread]
    assert where == "part 2 attachment a.xls strings"
    assert reason.startswith(f"text over the budget of {Budget.MAX_CHARS:,} characters")


def test_a_spreadsheet_over_the_budget_is_reported() -> None:
    budget = Budget()
    budget.take_member(Budget.MAX_BYTES - 10)  # earlier attachments used nearly all of it
    assert formats.xlsx_text(documents.xlsx({"S": [[JOSE]]}), budget) == []
    ((_, reason),) = [(u.location, u.reason) for u in budget.unread]
    assert reason.startswith("spreadsheet of ") and "over the 10 bytes left" in reason


@pytest.mark.parametrize("size", [0, 5, 1023, 1024, 1536, 10 * 1024, 40 * 1024 * 1024, 3 << 30])
def test_sizes_read_as_people_write_them(size: int) -> None:
    expected = {
        0: "0 bytes",
        5: "5 bytes",
        1023: "1023 bytes",
        1024: "1.0 KB",
        1536: "1.5 KB",
        10 * 1024: "10 KB",
        40 * 1024 * 1024: "40 MB",
        3 << 30: "3.0 GB",
    }
    assert size_text(size) == expected[size]


def nested_multipart(depth: int, leaf: bytes) -> bytes:
    """A message whose text part is `depth` multipart levels down, base64-encoded."""
    head = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(depth)
    )
    body = base64.encodebytes(leaf)
    tail = b"".join(b"\n--b%d--\n" % i for i in reversed(range(depth)))
    return (
        b"From: nurse@district.example.org\nSubject: deep\n"
        + head
        + b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + body
        + tail
    )


@pytest.mark.parametrize("depth", [990, 2000])
def test_text_nested_thousands_of_levels_deep_is_read(depth: int) -> None:
    raw = nested_multipart(depth, "José Núñez is absent.".encode())
    reading = read_message(raw)
    assert named(raw) == {JOSE}
    assert reading.unread == []
    (text,) = [s for s in reading.segments if s.location.endswith("text/plain")]
    assert text.location == "part " + ".".join(["1"] * depth) + " text/plain"


def test_a_copy_with_unread_content_is_a_major_finding_naming_where_and_why() -> None:
    from harness.oracle.checks import SEVERITY, Judge
    from harness.sink.capture import CapturedMessage

    from .test_evasion_corpus import CORPUS, INDEX, PLAN

    notice = (CORPUS / "zip-of-csv.clean.eml").read_bytes()  # a correct notice to Helen
    secret = encrypted(documents.zip_of({"grades.csv": b"a,b\r\n"}))
    message = EmailMessage()
    message["From"] = "nurse@district.example.org"
    message["To"] = "helen.park@example.com"
    message["Subject"] = "Lucas Park"
    message.set_content(notice.decode("utf-8", "replace"))
    message.add_attachment(secret, maintype="application", subtype="zip", filename="g.zip")
    judge = Judge(PLAN, INDEX)
    for raw in (notice, message.as_bytes()):
        judge.judge_message(
            CapturedMessage(
                1,
                "nurse@district.example.org",
                ("helen.park@example.com",),
                raw,
                "127.0.0.1:1",
                1,
                0.0,
            )
        )
    (violation,) = judge.violations  # the notice alone is clean
    assert (violation.check, SEVERITY[violation.check]) == ("unreadable-content", "major")
    assert violation.recipient == "helen.park@example.com"
    ((location, reason),) = [(e.location, e.text) for e in violation.evidence]
    assert location == "part 2 attachment g.zip (application/zip) > grades.csv"
    assert "encrypted" in reason
