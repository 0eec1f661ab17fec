"""A text of many megabytes is read in overlapping pieces (HTML blocks, scan windows), so that
no step copies it whole: a name is still found wherever the pieces meet, and once."""

from __future__ import annotations

import base64
import csv
import email
import io
from email.policy import compat32

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from harness.oracle import decode, formats, html_text, tokens
from harness.oracle.headers import copy_headers
from harness.oracle.segments import Segment
from harness.oracle.tokens import TokenIndex
from harness.roster.model import Contact, Link, Roster, Student

JOSE = "S-7Q3K9X2M"
INDEX = TokenIndex.build(
    Roster(
        students=(Student(JOSE, "José", "Núñez", 5, "Maple Grove Elementary", "2015-04-01", {}),),
        contacts=(Contact("C-JO", "Jo", "Núñez", "jo@example.com"),),
        links=(Link(JOSE, "C-JO", "mother", receives_mail=True, contact_restricted=False),),
    )
)
NAME = "José Núñez"


def filler(length: int) -> str:
    words = "clinic day bring the form and a snack "
    return (words * (length // len(words) + 1))[:length]


def student_hits(segments: list[Segment]) -> list[tuple[str, str]]:
    return [(h.location, h.token) for h in INDEX.scan(segments) if h.kind == "student"]


def test_a_name_across_every_scan_window_boundary_is_found_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tokens, "_BATCH", 4096)  # small windows: the same code, less to scan
    monkeypatch.setattr(tokens, "_OVERLAP", 256)
    window = tokens._BATCH - tokens._OVERLAP
    for boundary in (window, 2 * window):
        for shift in (-len(NAME), -3, 0, 3, tokens._OVERLAP - 5, tokens._OVERLAP):
            at = boundary + shift
            text = filler(at) + " " + NAME + " " + filler(3 * tokens._BATCH)
            hits = student_hits([Segment("part 1 text/plain", text)])
            assert hits == [("part 1 text/plain", "jose nunez")], (boundary, shift)


def test_long_html_is_rendered_in_overlapping_blocks_that_keep_every_name_whole() -> None:
    block = html_text.BLOCK
    for at in (block - 4, block, block + html_text.OVERLAP // 2):
        markup = "<p>" + filler(at) + "<b>José</b> Núñez</p>" + "<p>" + filler(2 * block) + "</p>"
        found = html_text.html_segments(markup)
        texts = [text for suffix, text in found if suffix == ""]
        assert len(texts) >= 3
        assert any(NAME in text for text in texts), at
        # Put back together without the overlaps, the blocks are the text rendered whole.
        whole = texts[0] + "".join(t[html_text.OVERLAP :] for t in texts[1:])
        assert whole == "\n" + filler(at) + NAME + "\n\n" + filler(2 * block) + "\n"


@settings(max_examples=300)
@given(st.binary(max_size=300), st.sampled_from(["", " ", "\r", "!", "=", "=="]), st.booleans())
def test_base64_parts_decode_as_the_stdlib_decodes_them(data: bytes, noise: str, cut: bool) -> None:
    encoded = base64.encodebytes(data).replace(b"\n", noise.encode() + b"\n")
    if cut:
        encoded = encoded.rstrip(b"=\n")  # padding lost on the way
    raw = b"Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
    part = email.message_from_bytes(raw + encoded, policy=compat32)
    expected = email.message_from_bytes(raw + encoded, policy=compat32).get_payload(decode=True)
    assert decode._payload_bytes(part) == expected


def test_shown_headers_come_from_the_header_block_only() -> None:
    raw = b"From: a@example.org\r\nSubject: Forms\r\n\r\nTo: not-a-header@example.com\r\n"
    assert copy_headers(raw) == {"From": "a@example.org", "Subject": "Forms"}
    assert copy_headers(b"From: a@example.org\nTo: b@example.com") == {
        "From": "a@example.org",
        "To": "b@example.com",
    }


def rows_as_the_csv_module_reads_them(text: str) -> str:
    """The reference: the whole text through csv.reader at once."""
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t|", key=first_line.count)
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error:
        return ""
    return "\n".join(" ".join(c.strip() for c in row if c.strip()) for row in rows)


@settings(max_examples=300)
@given(st.text(alphabet='ab,;\t|"\r\n \x00é', max_size=60), st.integers(0, 5000))
@example(text="", repeat=4096)  # a last block left empty added a trailing newline
def test_csv_rows_are_read_line_by_line_as_the_csv_module_reads_the_whole(
    text: str, repeat: int
) -> None:
    for whole in (text, "a,b\r\n" * repeat + text):
        assert formats.csv_rows(whole) == rows_as_the_csv_module_reads_them(whole)
