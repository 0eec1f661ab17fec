"""parse_message builds the tree email.message_from_bytes(raw, policy=compat32) builds: over the
fixtures, every sender's notices, and random (often malformed) MIME."""

from __future__ import annotations

import dataclasses
import email
import email.generator
import io
from collections.abc import Callable
from email.message import EmailMessage, Message
from email.policy import compat32
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness.adapters.mutants import MUTANTS
from harness.adapters.recipients import Mailing
from harness.adapters.reference import reference_transactions
from harness.oracle import mime
from harness.oracle.mime import parse_message
from harness.roster.campaign import CAMPAIGN_KINDS, Attachment, build_campaign
from harness.roster.generate import generate_roster

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EML_FILES = sorted(FIXTURES.rglob("*.eml"))


def tree(msg: Message) -> dict[str, Any]:
    """Everything decode.py reads of a parsed message, recursively."""
    node: dict[str, Any] = {
        "unixfrom": msg.get_unixfrom(),
        "headers": list(msg.__dict__["_headers"]),  # (name, value) as compat32 stores them
        "multipart": msg.is_multipart(),
        "preamble": msg.preamble,
        "epilogue": msg.epilogue,
        "default_type": msg.get_default_type(),
    }
    payload = msg.__dict__["_payload"]
    if msg.is_multipart():
        node["children"] = [tree(child) for child in payload]
    else:
        node["payload"] = payload
    return node


def outcome(parse: Callable[[bytes], Message], raw: bytes) -> object:
    try:
        return tree(parse(raw))
    except Exception as exc:  # the stdlib may fail (deep nesting): then so must we
        return type(exc).__name__


def assert_same_tree(raw: bytes) -> None:
    expected = outcome(lambda r: email.message_from_bytes(r, policy=compat32), raw)
    assert outcome(parse_message, raw) == expected
    # The port itself, not its fallback to the stdlib, gives that tree (or the same error).
    assert outcome(mime._parse, raw) == expected


# ------------------------------------------------------------------------- (a) fixtures


def test_there_are_fixtures() -> None:
    assert len(EML_FILES) > 50


@pytest.mark.parametrize("path", EML_FILES, ids=lambda p: p.name)
def test_every_fixture_parses_as_the_stdlib_parses_it(path: Path) -> None:
    assert_same_tree(path.read_bytes())


# -------------------------------------------------------------------------- (b) senders


def wire_forms(message: EmailMessage | bytes) -> list[bytes]:
    """The bytes a sender's message goes out as: as written, or as smtplib and as_bytes write it."""
    if isinstance(message, bytes):
        return [message]
    out = io.BytesIO()
    email.generator.BytesGenerator(out, policy=message.policy.clone(linesep="\r\n")).flatten(
        message
    )
    return [out.getvalue(), message.as_bytes()]


def sender_mailings() -> list[Mailing]:
    roster = generate_roster(40, seed=3)
    mailings = [
        Mailing(roster, build_campaign(roster.students, kind)) for kind in sorted(CAMPAIGN_KINDS)
    ]
    with_attachment = dataclasses.replace(
        mailings[0].campaign,
        attachment=Attachment(
            "roster.csv", "text/csv", "id,name\n{student_id},{student_first_name}\n"
        ),
    )
    return [*mailings, Mailing(roster, with_attachment)]


SENDERS = ["reference", *sorted(MUTANTS)]


@pytest.mark.parametrize("sender", SENDERS)
def test_every_senders_notices_parse_as_the_stdlib_parses_them(sender: str) -> None:
    compared = 0
    for mailing in sender_mailings():
        if sender == "reference":
            outgoing = list(reference_transactions(mailing))
        else:
            outgoing = MUTANTS[sender]().outgoing(mailing)
        for item in outgoing:
            for raw in wire_forms(item.message):
                assert_same_tree(raw)
                compared += 1
    assert compared > 0


# ------------------------------------------------------------------ (c) random MIME trees

BOUNDARIES = [b"b", b"bb", b"b-1", b"=_p", b"=_p_2", b"x y", b"b--", b"\xe9b"]
ENDINGS = [b"\r\n", b"\n", b"\r"]
HEADER_LINES = st.sampled_from(
    [
        b"Subject: hello",
        b"X-Eight: caf\xe9",
        b"  folded on",
        b"\tfolded\xe9",
        b"From someone",
        b": no name",
        b"Bad Header: not a header",
        b"Content-Transfer-Encoding: base64",
        b"Content-Transfer-Encoding: quoted-printable",
        b"To:",
        b"X-Bound: --b",
        b"X-Split: a\x0bSubject: b",
        b"X-Tab:\t \tvalue \t",
        b"X-Spaced:   v  ",
    ]
)
BODY_LINES = st.one_of(
    st.sampled_from(
        [b"", b" ", b"hello", b"--b", b"--bb--", b"-- b", b"--b x", b"--=_p\t", b"From me", b" x"]
    ),
    st.sampled_from([b"caf\xe9", b"=2E", b"X: y", b"--b\x1e--"]),
    # Line breaks to str.splitlines() but not to the feed parser.
    st.sampled_from([b"a\x0b--b", b"a\x0c--b--", b"a\x1c", b"--b\x1d--", b"X: y\x1eX: z"]),
    st.binary(max_size=10).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
)
CONTENT_TYPES = st.sampled_from(
    [
        None,
        b"Content-Type: text/plain",
        b'Content-Type: text/html; charset="utf-8"',
        b"Content-Type: application/octet-stream",
        b"Content-Type: multipart/mixed",  # no boundary
        b"Content-Type: message/rfc822",  # what follows is a message (or nothing)
        b"Content-Type: message/delivery-status",
        b"Content-Type: multipart/digest; boundary=",
        b"Content-Type: text",
        b"content-type: TEXT/Plain ; charset=x",
        b"Content-Type: text/pl\xe9in",
        b"Content-Type: multipart/mixed/x; boundary=b",  # not one "/": text/plain
        b"Content-Type: \xe9 message/rfc822",
        b"Content-Type:",
    ]
)
Lines = list[bytes]


@st.composite
def leaves(draw: st.DrawFn) -> Lines:
    headers = draw(st.lists(HEADER_LINES, max_size=3))
    ctype = draw(CONTENT_TYPES)
    if ctype is not None:
        headers.insert(draw(st.integers(0, len(headers))), ctype)
    separator = draw(st.sampled_from([[b""], [b""], [b""], []]))  # sometimes none
    return headers + separator + draw(st.lists(BODY_LINES, max_size=4))


@st.composite
def multiparts(draw: st.DrawFn, children: st.SearchStrategy[Lines]) -> Lines:
    boundary = draw(st.sampled_from(BOUNDARIES))
    subtype = draw(st.sampled_from([b"mixed", b"alternative", b"digest", b"related"]))
    quoted = b" " in boundary or draw(st.booleans())
    param = b'"' + boundary + b'"' if quoted else boundary
    name = draw(st.sampled_from([b"Content-Type: multipart/", b"CONTENT-type:Multipart/"]))
    lines = [name + subtype + b"; boundary=" + param]
    if draw(st.booleans()):
        lines.append(b"  folded=1")
    lines += draw(st.lists(HEADER_LINES, max_size=1))
    lines += draw(st.sampled_from([[b""], [b""], []]))
    lines += draw(st.lists(BODY_LINES, max_size=2))  # preamble
    trailing = st.sampled_from([b"", b"", b" ", b"\t \t", b" x", b"-", b"--"])
    for part in draw(st.lists(st.one_of(st.just([]), children), max_size=3)):
        lines.append(b"--" + boundary + draw(trailing))
        if draw(st.integers(0, 5)) == 0:
            lines.append(b"--" + boundary)  # a repeated boundary line
        lines += part
    if draw(st.integers(0, 3)):  # the close boundary, sometimes missing
        lines.append(b"--" + boundary + b"--" + draw(trailing))
        lines += draw(st.lists(BODY_LINES, max_size=2))  # epilogue
    return lines


@st.composite
def wrapped(draw: st.DrawFn, children: st.SearchStrategy[Lines]) -> Lines:
    """message/rfc822 around a message, or message/delivery-status around header blocks."""
    if draw(st.booleans()):
        return [b"Content-Type: message/rfc822", b"", *draw(children)]
    blocks = draw(st.lists(st.lists(HEADER_LINES, max_size=3), min_size=1, max_size=3))
    lines = [b"Content-Type: message/delivery-status", b""]
    for block in blocks:
        lines += [*block, b""]
    return lines + draw(st.lists(BODY_LINES, max_size=2))


def extend(children: st.SearchStrategy[Lines]) -> st.SearchStrategy[Lines]:
    return st.one_of(multiparts(children), wrapped(children))


TREES = st.recursive(leaves(), extend, max_leaves=8)


@st.composite
def raw_messages(draw: st.DrawFn) -> bytes:
    lines = draw(TREES)
    prefix = draw(
        st.sampled_from([[], [], [b"From sender@example.org Mon"], [b"junk first line"], [b" x"]])
    )
    lines = prefix + lines
    style = draw(st.sampled_from(["crlf", "lf", "cr", "mixed"]))
    out = []
    for line in lines:
        if style == "mixed":
            ending = draw(st.sampled_from(ENDINGS))
        else:
            ending = {"crlf": b"\r\n", "lf": b"\n", "cr": b"\r"}[style]
        out.append(line + ending)
    raw = b"".join(out)
    if draw(st.booleans()):  # no line end after the last line
        raw = raw.rstrip(b"\r\n")
    return raw


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(raw_messages())
@example(b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n--bb\r\nX: y\r\n\r\nz\r\n--b--")
@example(b"Content-Type: multipart/mixed/x; boundary=b\n\n--b\n\nx\n--b--\n")  # text/plain
@example(b"Subject: x\nFrom a\n\nbody\n")  # a trailing From line goes back to the body
@example(b"Content-Type: multipart/mixed; boundary=b\n\n--b\n--b--\n")  # an empty last part
@example(  # a close boundary before any start boundary: what follows it is dropped
    b"Content-Type: multipart/mixed; boundary=a\n\n--a\n"
    b"Content-Type: multipart/mixed; boundary=b\n\npre\n--b--\nafter\n--a--\n"
)
@example(b"Content-Type: multipart/mixed; boundary=b\n\n--b \n\nx\n--b--  \n\nepilogue\n")
def test_random_mime_parses_as_the_stdlib_parses_it(raw: bytes) -> None:
    assert_same_tree(raw)


@given(st.binary(max_size=300))
def test_random_bytes_parse_as_the_stdlib_parses_them(raw: bytes) -> None:
    assert_same_tree(raw)


def nested(kind: str, depth: int) -> bytes:
    if kind == "rfc822":
        return b"Content-Type: message/rfc822\n\n" * depth + b"Subject: deep\n\nbody\n"
    head = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(depth)
    )
    tail = b"".join(b"\n--b%d--\n" % i for i in reversed(range(depth)))
    return head + b"\nbody" + tail


@pytest.mark.parametrize("depth", [10, 40, 41, 400])
@pytest.mark.parametrize("kind", ["multipart", "rfc822"])
def test_deep_nesting_parses_as_the_stdlib_parses_it(depth: int, kind: str) -> None:
    assert_same_tree(nested(kind, depth))


def depth_and_leaf(msg: Message) -> tuple[int, object]:
    """How many levels a chain of single-child parts goes down, and the last one's payload."""
    depth = 0
    while msg.is_multipart():
        (msg,) = msg.get_payload()
        depth += 1
    return depth, msg.get_payload()


@pytest.mark.parametrize("depth", [990, 2000, 5000])
@pytest.mark.parametrize("kind", ["multipart", "rfc822"])
def test_nesting_deeper_than_the_stdlib_reaches_is_parsed_all_the_way_down(
    depth: int, kind: str
) -> None:
    # The stdlib runs out of recursion near 1,000 levels; the port keeps a stack of its own.
    parsed = mime._parse(nested(kind, depth))
    assert depth_and_leaf(parsed) == (depth, "body" if kind == "multipart" else "body\n")


def test_the_comparison_sees_a_difference() -> None:
    # Two messages that differ in one line end are not the same tree.
    a = tree(email.message_from_bytes(b"Content-Type: multipart/mixed; boundary=b\n\np\n--b--\n"))
    b = tree(email.message_from_bytes(b"Content-Type: multipart/mixed; boundary=b\n\np\r\n--b--\n"))
    assert a != b


_PARAM_TEXT = st.text(alphabet=" \t;=\"<>*\\'abBoOuUnNdDaArRyY=-_.:/()\r\n\u00e9", max_size=40)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        _PARAM_TEXT,
        st.builds(lambda a, b: f"multipart/mixed;{a}boundary={b}", _PARAM_TEXT, _PARAM_TEXT),
        st.builds(lambda a, b: f'multipart/mixed; boundary="{a}"{b}', _PARAM_TEXT, _PARAM_TEXT),
    )
)
@example('multipart/alternative; boundary="===============123=="')
@example("multipart/mixed; BOUNDARY = x ; boundary=y")
@example('multipart/mixed; charset="a;b"; boundary=""x""')
@example("multipart/mixed; boundary*0=a; boundary*1=b")
@example("boundary")
@example("multipart/mixed; BOUNDARY")
def test_the_boundary_is_the_stdlibs(value: str) -> None:
    """mime._boundary (the fast path for plain values) agrees with Message.get_boundary."""
    message = Message()
    message["Content-Type"] = value
    assert mime._boundary(message) == message.get_boundary()


def test_a_message_without_content_type_has_no_boundary() -> None:
    assert mime._boundary(Message()) is None
