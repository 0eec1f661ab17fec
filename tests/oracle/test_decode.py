"""What a recipient can see: every crafted message names its subject at a sensible location,
and its clean twin (the same message without the data) names nobody."""

from __future__ import annotations

import base64
from collections.abc import Callable
from email.message import EmailMessage, Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.oracle.decode import (
    EXTRACTORS,
    Segment,
    _params,
    _parse_params,
    decode_header_value,
    html_segments,
    visible_segments,
)
from harness.oracle.tokens import TokenIndex
from harness.roster.model import Contact, Link, Roster, Student

JOSE = "S-7Q3K9X2M"  # José Núñez


def _roster() -> Roster:
    def student(sid: str, first: str, last: str) -> Student:
        return Student(sid, first, last, 5, "Maple Grove Elementary", "2015-04-01", {})

    return Roster(
        students=(
            student(JOSE, "José", "Núñez"),
            student("S-ANNLEE01", "Ann", "Lee"),
            student("S-ANNLEE02", "Ann", "Lee"),
        ),
        contacts=(
            Contact("C-JO", "Jo", "Núñez", "jo@example.com"),
            Contact("C-GUS", "Gus", "Kim", "kims@example.com"),
            Contact("C-HANA", "Hana", "Kim", " KIMS@Example.com "),
        ),
        links=(
            Link(JOSE, "C-JO", "mother", receives_mail=True, contact_restricted=False),
            Link("S-ANNLEE01", "C-GUS", "father", receives_mail=True, contact_restricted=False),
            Link("S-ANNLEE02", "C-HANA", "mother", receives_mail=True, contact_restricted=False),
        ),
    )


INDEX = TokenIndex.build(_roster())

HEAD = (
    b"From: School Nurse <nurse@district.example.org>\r\n"
    b"To: Rosa Diaz <rosa@example.org>\r\n"
    b"Date: Mon, 02 Oct 2023 10:00:00 +0000\r\n"
    b"Message-ID: <n-1@district.example.org>\r\n"
    b"MIME-Version: 1.0\r\n"
)


def b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


# Each case: dirty -> raw message. The clean twin (dirty=False) must name nobody.


def q_subject_utf8(dirty: bool) -> bytes:
    word = b"Jos=C3=A9_N=C3=BA=C3=B1ez" if dirty else b"Pat_Doe"
    return HEAD + b"Subject: =?utf-8?q?Records_for_" + word + b"?=\r\n\r\nHello.\r\n"


def b_display_name_latin1(dirty: bool) -> bytes:
    name = "Núñez, Jo" if dirty else "Doe, Pat"
    word = base64.b64encode(name.encode("iso-8859-1"))
    return HEAD + b"Cc: =?ISO-8859-1?B?" + word + b"?= <family@example.net>\r\n\r\nHi.\r\n"


def folded_encoded_words(dirty: bool) -> bytes:
    # A name split over two encoded-words and a fold: the space between them is not text,
    # the "_" inside the second one is.
    first, last = (b"Jos=C3=A9", b"_N=C3=BA=C3=B1ez") if dirty else (b"Pat", b"_Doe")
    return (
        HEAD
        + b"Subject: Immunization records needed for\r\n =?utf-8?q?"
        + first
        + b"?=\r\n\t=?utf-8?q?"
        + last
        + b"?=\r\n\r\nHello.\r\n"
    )


def malformed_encoded_word(dirty: bool) -> bytes:
    sid = JOSE.encode() if dirty else b"S-00000000"
    return (
        HEAD
        + b"Subject: =?utf-8?b?!!not base64?= =?x-no-such-charset?q?Notice?= =?utf-8?q?open "
        + sid
        + b"\r\n\r\nHello.\r\n"
    )


def raw_8bit_header_latin1(dirty: bool) -> bytes:
    name = "José Núñez" if dirty else "Pat Doe"
    return HEAD + b"Subject: Records for " + name.encode("iso-8859-1") + b"\r\n\r\nHello.\r\n"


def base64_body_latin1(dirty: bool) -> bytes:
    name = "José Núñez" if dirty else "Pat Doe"
    body = f"Dear family,\n{name} (grade 5) is missing Tdap.\n".encode("iso-8859-1")
    return (
        HEAD
        + b"Subject: Records\r\n"
        + b'Content-Type: text/plain; charset="iso-8859-1"\r\n'
        + b"Content-Transfer-Encoding: base64\r\n\r\n"
        + b64(body)
    )


def quoted_printable_body_utf8(dirty: bool) -> bytes:
    # A soft line break in the middle of the name.
    name = b"Jos=C3=A9 N=\r\n=C3=BA=C3=B1ez" if dirty else b"Pat D=\r\noe"
    return (
        HEAD
        + b"Subject: Records\r\n"
        + b"Content-Type: text/plain; charset=utf-8\r\n"
        + b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        + b"Dear family,\r\n"
        + name
        + b" is missing Tdap.\r\n"
    )


def nested_alternative(dirty: bool) -> bytes:
    sid = JOSE if dirty else "S-00000000"
    mixed = MIMEMultipart("mixed")
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("Your child's record is missing Tdap.\n", "plain", "utf-8"))
    alternative.attach(
        MIMEText(f"<p>Your child's record is missing Tdap.</p><p>Ref {sid}</p>", "html", "utf-8")
    )
    mixed.attach(alternative)
    mixed.attach(MIMEApplication(b"%PDF-1.4 binary", "pdf", Name="form.pdf"))
    return HEAD + b"Subject: Records\r\n" + mixed.as_bytes()


def attached_message(dirty: bool) -> bytes:
    inner = EmailMessage()
    inner["From"] = "nurse@district.example.org"
    inner["To"] = "jo@example.com" if dirty else "someone@example.net"
    inner["Subject"] = "Forwarded notice"
    inner.set_content("The original notice.\n")
    outer = EmailMessage()
    outer["Subject"] = "Fwd: notice"
    outer.set_content("See the attached message.\n")
    outer.add_attachment(inner)
    return HEAD + outer.as_bytes()


def attached_message_body(dirty: bool) -> bytes:
    inner = EmailMessage()
    inner["Subject"] = "Forwarded notice"
    inner.set_content(f"Student {JOSE if dirty else 'S-00000000'} is missing Tdap.\n")
    outer = EmailMessage()
    outer["Subject"] = "Fwd: notice"
    outer.set_content("See the attached message.\n")
    outer.add_attachment(inner)
    return HEAD + outer.as_bytes()


def csv_attachment(dirty: bool) -> bytes:
    row = f"{JOSE},José,Núñez" if dirty else "S-00000000,Pat,Doe"
    message = EmailMessage()
    message["Subject"] = "Class list"
    message.set_content("The class list is attached.\n")
    message.add_attachment(
        f"student_id,first_name,last_name\r\n{row}\r\n".encode(),
        maintype="text",
        subtype="csv",
        filename="class-list.csv",
    )
    return HEAD + message.as_bytes()


def csv_as_octet_stream(dirty: bool) -> bytes:
    row = f"{JOSE},Jose,Nunez" if dirty else "S-00000000,Pat,Doe"
    data = f"student_id,first_name,last_name\r\n{row}\r\n".encode()
    return (
        HEAD
        + b"Subject: Export\r\n"
        + b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        + b"--b1\r\nContent-Type: text/plain\r\n\r\nAttached.\r\n"
        + b"--b1\r\nContent-Type: application/octet-stream\r\n"
        + b"Content-Transfer-Encoding: base64\r\n"
        + b'Content-Disposition: attachment; filename="export.dat"\r\n\r\n'
        + b64(data)
        + b"--b1--\r\n"
    )


def _html_message(html: str) -> bytes:
    message = EmailMessage()
    message["Subject"] = "Notice"
    message.set_content(html, subtype="html")
    return HEAD + message.as_bytes()


def html_href_percent_encoded(dirty: bool) -> bytes:
    query = "id=S%2D7Q3K9X2M&amp;n=Jos%C3%A9+N%C3%BA%C3%B1ez" if dirty else "id=S%2D0&amp;n=Pat"
    return _html_message(f'<p>See <a href="https://portal.example.org/notice?{query}">it</a></p>')


def html_href_double_encoded(dirty: bool) -> bytes:
    target = "S%252D7Q3K9X2M" if dirty else "S%252D00000000"
    return _html_message(f'<a href="https://t.example.com/c?u=https%3A%2F%2Fx%2F{target}">x</a>')


def html_alt(dirty: bool) -> bytes:
    alt = "Núñez, José" if dirty else "Doe, Pat"
    return _html_message(f'<p>Photo: <img src="cid:photo" alt="{alt}"></p>')


def html_comment(dirty: bool) -> bytes:
    sid = JOSE if dirty else "S-00000000"
    return _html_message(f"<p>Your notice.</p><!-- merge row: {sid} -->")


def html_entities_and_inline_tags(dirty: bool) -> bytes:
    name = "<b>Jos</b>&eacute; N&uacute;&ntilde;ez" if dirty else "<b>Pat</b> Doe"
    return _html_message(f"<p>Dear family of {name},</p>")


def filename_rfc2231(dirty: bool) -> bytes:
    name = "Jos%C3%A9%20N%C3%BA%C3%B1ez" if dirty else "Pat%20Doe"
    return (
        HEAD
        + b"Subject: Form\r\n"
        + b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        + b"--b1\r\nContent-Type: text/plain\r\n\r\nThe form is attached.\r\n"
        + b"--b1\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        + b"Content-Disposition: attachment;\r\n filename*0*=utf-8''"
        + name.encode()
        + b';\r\n filename*1="%20-%20form.pdf"\r\n\r\n'
        + b64(b"%PDF-1.4 \x00\x01\x02 binary")
        + b"--b1--\r\n"
    )


def content_type_name_rfc2047(dirty: bool) -> bytes:
    name = b"=?utf-8?q?Jos=C3=A9_N=C3=BA=C3=B1ez=2Epdf?=" if dirty else b"form.pdf"
    return (
        HEAD
        + b"Subject: Form\r\n"
        + b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        + b"--b1\r\nContent-Type: text/plain\r\n\r\nThe form is attached.\r\n"
        + b'--b1\r\nContent-Type: application/pdf; name="'
        + name
        + b'"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + b64(b"%PDF-1.4 \x00\x01\x02 binary")
        + b"--b1--\r\n"
    )


def leftover_bcc(dirty: bool) -> bytes:
    bcc = b"Bcc: jo@example.com\r\n" if dirty else b""
    return HEAD + bcc + b"Subject: Records\r\n\r\nHello.\r\n"


Case = Callable[[bool], bytes]

CASES = [
    pytest.param(q_subject_utf8, "student", JOSE, "header:Subject", id="q-subject-utf8"),
    pytest.param(b_display_name_latin1, "contact", "C-JO", "header:Cc", id="b-name-latin1"),
    pytest.param(folded_encoded_words, "student", JOSE, "header:Subject", id="folded"),
    pytest.param(malformed_encoded_word, "student", JOSE, "header:Subject", id="malformed"),
    pytest.param(raw_8bit_header_latin1, "student", JOSE, "header:Subject", id="8bit-header"),
    pytest.param(base64_body_latin1, "student", JOSE, "part 1 text/plain", id="b64-latin1"),
    pytest.param(quoted_printable_body_utf8, "student", JOSE, "part 1 text/plain", id="qp-utf8"),
    pytest.param(nested_alternative, "student", JOSE, "part 1.2 text/html", id="nested"),
    pytest.param(
        attached_message, "contact", "C-JO", "part 2 message/rfc822 header:To", id="rfc822-header"
    ),
    pytest.param(attached_message_body, "student", JOSE, "part 2.1 text/plain", id="rfc822-body"),
    pytest.param(
        csv_attachment, "student", JOSE, "part 2 attachment class-list.csv (text/csv)", id="csv"
    ),
    pytest.param(
        csv_as_octet_stream,
        "student",
        JOSE,
        "part 2 attachment export.dat (application/octet-stream)",
        id="csv-octet-stream",
    ),
    pytest.param(
        html_href_percent_encoded,
        "student",
        JOSE,
        "part 1 text/html attribute href (url-decoded)",
        id="href-percent",
    ),
    pytest.param(
        html_href_double_encoded,
        "student",
        JOSE,
        "part 1 text/html attribute href (url-decoded)",
        id="href-double-percent",
    ),
    pytest.param(html_alt, "student", JOSE, "part 1 text/html attribute alt", id="alt"),
    pytest.param(html_comment, "student", JOSE, "part 1 text/html comments", id="comment"),
    pytest.param(
        html_entities_and_inline_tags, "student", JOSE, "part 1 text/html", id="html-entities"
    ),
    pytest.param(
        filename_rfc2231, "student", JOSE, "part 2 Content-Disposition filename", id="rfc2231"
    ),
    pytest.param(
        content_type_name_rfc2047, "student", JOSE, "part 2 Content-Type name", id="name-rfc2047"
    ),
    pytest.param(leftover_bcc, "contact", "C-JO", "header:Bcc", id="bcc"),
]


@pytest.mark.parametrize(("case", "kind", "subject_id", "location"), CASES)
def test_the_subject_is_found_where_the_recipient_sees_it(
    case: Case, kind: str, subject_id: str, location: str
) -> None:
    hits = INDEX.scan(visible_segments(case(True)))
    found = {(h.kind, h.location) for h in hits if subject_id in h.subject_ids}
    assert (kind, location) in found, hits


@pytest.mark.parametrize(("case", "kind", "subject_id", "location"), CASES)
def test_the_clean_twin_names_nobody(case: Case, kind: str, subject_id: str, location: str) -> None:
    assert INDEX.scan(visible_segments(case(False))) == []


def locations(raw: bytes) -> list[str]:
    return [s.location for s in visible_segments(raw)]


def text_at(raw: bytes, location: str) -> str:
    return "\n".join(s.text for s in visible_segments(raw) if s.location == location)


def test_every_header_is_a_segment_with_its_name() -> None:
    raw = leftover_bcc(True)
    assert locations(raw)[:7] == [
        "header:From",
        "header:To",
        "header:Date",
        "header:Message-ID",
        "header:MIME-Version",
        "header:Bcc",
        "header:Subject",
    ]
    assert text_at(raw, "header:To") == "Rosa Diaz <rosa@example.org>"


def test_parts_are_numbered_like_imap() -> None:
    assert locations(nested_alternative(True)) == [
        *(f"header:{name}" for name in ("From", "To", "Date", "Message-ID", "MIME-Version")),
        "header:Subject",
        "header:Content-Type",
        "header:MIME-Version",
        "part 1 header:Content-Type",
        "part 1 header:MIME-Version",
        "part 1.1 header:Content-Type",
        "part 1.1 header:MIME-Version",
        "part 1.1 header:Content-Transfer-Encoding",
        "part 1.1 text/plain",
        "part 1.2 header:Content-Type",
        "part 1.2 header:MIME-Version",
        "part 1.2 header:Content-Transfer-Encoding",
        "part 1.2 text/html",
        "part 2 header:Content-Type",
        "part 2 header:MIME-Version",
        "part 2 header:Content-Transfer-Encoding",
        "part 2 Content-Type name",
        # Not a PDF pypdf can read: its printable runs instead.
        "part 2 attachment form.pdf (application/pdf) strings",
    ]


def test_folded_header_is_unfolded_and_adjacent_words_join() -> None:
    assert text_at(folded_encoded_words(True), "header:Subject") == (
        "Immunization records needed for José Núñez"
    )


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("=?utf-8?q?Jos=C3=A9_N=C3=BA=C3=B1ez?= <jo@example.com>", "José Núñez <jo@example.com>"),
        ("=?ISO-8859-1?Q?Jos=E9?= N=?iso-8859-1?b?+g==?=nez", "José Núnez"),
        ("a =?utf-8?q?b?= c =?utf-8?q?d?= \r\n =?utf-8?q?e?=", "a b c de"),
        # One character split across two encoded-words still decodes.
        ("=?utf-8?b?Sm9zww==?= =?utf-8?b?qQ==?=", "José"),
        ("=?utf-8*en?q?Ann?=", "Ann"),  # RFC 2231 language tag
        ("=?utf-8?b?QW5u?=", "Ann"),
        ("=?utf-8?b?QW5uIExlZQ?=", "Ann Lee"),  # missing padding
        ("=?no-such-charset?q?Ann?=", "Ann"),
        ("=?utf-8?q?Jos=E9?=", "José"),  # bytes not valid in the declared charset
        ("=?utf-8?q?unterminated Ann", "=?utf-8?q?unterminated Ann"),
        ("=?utf-8?x?Ann?=", "=?utf-8?x?Ann?="),
        ("Jos\udcc3\udca9", "José"),  # raw UTF-8 bytes as compat32 hands them over
        ("Jos\udce9", "José"),  # raw Latin-1 bytes
        ("", ""),
    ],
)
def test_decode_header_value(raw: str, decoded: str) -> None:
    assert decode_header_value(raw) == decoded


def test_unknown_and_mismatched_body_charsets_fall_back() -> None:
    def body(charset: bytes, payload: bytes) -> bytes:
        return HEAD + b"Content-Type: text/plain; charset=" + charset + b"\r\n\r\n" + payload

    assert "José" in text_at(body(b"x-unknown-9", "José".encode()), "part 1 text/plain")
    assert "José" in text_at(body(b"x-unknown-9", "José".encode("latin-1")), "part 1 text/plain")
    assert "José" in text_at(body(b"utf-8", "José".encode("latin-1")), "part 1 text/plain")
    assert "José" in text_at(body(b"us-ascii", "José".encode()), "part 1 text/plain")


def test_html_text_attributes_and_comments() -> None:
    found = dict(
        html_segments(
            "<html><head><title>T</title><style>.x{color:red}</style>"
            "<script>if (a<b) {track('S-1');}</script></head><body>"
            "<p>Hi <b>Ann</b> Lee &amp; C<i>o</i></p><td>Ann</td><td>Lee</td>"
            "<a href='https://x.example/?a=1&amp;b=2' title=\"Ann Lee\">link</a>"
            "<input type=hidden value=S-2><img alt='Lee, Ann'>"
            "<!-- row 7: S-3 --><![CDATA[ S-4 ]]>"
            "</body></html>"
        )
    )
    text = " ".join(found[""].split())
    assert "Hi Ann Lee & Co" in text  # inline tags do not split words
    assert "Co Ann Lee link" in text  # block tags separate words (cells read as a name)
    assert "track('S-1')" in text and ".x{color:red}" in text  # script and style stay as text
    assert found[" attribute href"] == "https://x.example/?a=1&b=2"
    assert found[" attribute title"] == "Ann Lee"
    assert found[" attribute value"] == "S-2"
    assert found[" attribute alt"] == "Lee, Ann"
    assert "S-3" in found[" comments"] and "S-4" in found[" comments"]


def test_attribute_values_never_join_into_a_name() -> None:
    # Two alt texts "Ann" and "Lee" are distinct on screen: they must not read as "Ann Lee".
    raw = _html_message('<img alt="Ann"><img alt="Lee"><img title="Ann"><img title="Lee">')
    hits = INDEX.scan(visible_segments(raw))
    assert [h for h in hits if h.kind == "student"] == []


def test_url_decoded_view_only_when_there_is_something_to_decode() -> None:
    raw = _html_message("<p>Plain text, +1 and 50% off.</p>")
    assert not any(loc.endswith("(url-decoded)") for loc in locations(raw))
    raw = _html_message("<p>q=Ann+Lee</p>")
    assert text_at(raw, "part 1 text/html (url-decoded)").strip() == "q=Ann Lee"


def test_preamble_and_epilogue_are_visible() -> None:
    raw = (
        HEAD
        + b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        + b"Preamble for S-7Q3K9X2M\r\n"
        + b"--b1\r\nContent-Type: text/plain\r\n\r\nBody.\r\n--b1--\r\nEpilogue: jo@example.com\r\n"
    )
    hits = {(h.location, h.token) for h in INDEX.scan(visible_segments(raw))}
    assert ("preamble", "s-7q3k9x2m") in hits
    assert ("epilogue", "jo@example.com") in hits


def test_binary_attachments_are_skipped_quietly() -> None:
    message = EmailMessage()
    message["Subject"] = "Photo"
    message.set_content("See the photo.\n")
    message.add_attachment(bytes(range(256)) * 4, maintype="image", subtype="png", filename="a.png")
    message.add_attachment(b"\xff\xfe\x00binary", maintype="application", subtype="x-thing")
    assert locations(message.as_bytes())[-1] == "part 3 header:Content-Disposition"
    assert {"application/pdf", "text/html", "text/csv"} <= EXTRACTORS.keys()


def test_missing_boundary_is_read_as_text() -> None:
    raw = HEAD + b"Content-Type: multipart/mixed\r\n\r\nS-7Q3K9X2M\r\n"
    assert "S-7Q3K9X2M" in text_at(raw, "part 1 multipart/mixed")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\r\n\r\n",
        b"garbage without headers \xff\xfe",
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n--x\r\n",
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n",
        b"Content-Type: text/plain; charset=\r\nContent-Transfer-Encoding: base64\r\n\r\n!\r\n",
        b"Content-Type: text/plain; charset*=bogus''x\r\n\r\nS-7Q3K9X2M\r\n",
        b"Content-Disposition: attachment; filename*=zz''%ff%fe\r\n\r\nbody\r\n",
        b"Subject: =?utf-8?q?=?= =?=?= ?= =?\r\n\r\n",
    ],
)
def test_malformed_messages_never_raise(raw: bytes) -> None:
    segments = visible_segments(raw)
    assert all(isinstance(s, Segment) and s.text.strip() for s in segments)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    visible_segments(HEAD + raw)
    visible_segments(raw)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_decode_header_value_never_raises(value: str) -> None:
    assert isinstance(decode_header_value(value), str)


@pytest.mark.parametrize(
    "value",
    [
        'text/plain; charset="utf-8"',
        "attachment; filename*=utf-8''Jos%C3%A9%20N%C3%BA%C3%B1ez.pdf",
        'attachment; filename*0="class_"; filename*1="list.csv"',
        "text/html; charset=iso-8859-1; format=flowed",
        'multipart/mixed; boundary="b1"; boundary="b2"',
        "garbage;;; =x; y=",
    ],
)
def test_parameters_from_the_cache_equal_a_fresh_parse(value: str) -> None:
    part = Message()
    part["Content-Disposition"] = value
    fresh = _parse_params(part, "content-disposition")
    assert _params(part, "content-disposition") == fresh
    assert _params(part, "content-disposition") == fresh  # the second time from the cache


def test_an_amp_part_is_read_as_html() -> None:
    """text/x-amp-html is the HTML that Gmail and other AMP clients show: a name written with
    character references there is a name, as in text/html."""
    message = EmailMessage()
    message["Subject"] = "Notice"
    message.set_content("See the notice.")
    message.add_alternative("<p>Jos&eacute; N&uacute;&ntilde;ez</p>", subtype="x-amp-html")
    hits = INDEX.scan(visible_segments(HEAD + message.as_bytes()))
    assert [h.subject_ids for h in hits if h.kind == "student"] == [frozenset({JOSE})]
