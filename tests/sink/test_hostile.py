"""Hostile input: each case gets the proper SMTP reply, or is recorded and judged by the oracle
without crashing; and in every case the sink goes on serving another client."""

from __future__ import annotations

import base64
import contextlib
import socket
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from harness.oracle.checks import Judge, Violation
from harness.oracle.plan import Plan
from harness.oracle.tokens import TokenIndex
from harness.roster.campaign import build_campaign
from harness.roster.generate import generate_roster
from harness.sink.capture import CapturedMessage
from harness.sink.protocol import SinkProtocol
from harness.sink.server import CaptureSink
from harness.sink.store import CaptureStore
from tests.sink.conftest import SENDER, connect, message

SIZE_LIMIT = 256 * 1024
TIMEOUT = 1.0  # the sink's session timeout in these tests, seconds


@pytest.fixture
def sink() -> Iterator[CaptureSink]:
    protocol = SinkProtocol(size_limit=SIZE_LIMIT, session_timeout=TIMEOUT)
    with CaptureSink(protocol=protocol) as s:
        yield s


@pytest.fixture(params=["memory", "store"])
def any_sink(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaptureSink]:
    """The sink recording into the in-memory log, then into the SQLite store."""
    protocol = SinkProtocol(size_limit=SIZE_LIMIT, session_timeout=TIMEOUT)
    with contextlib.ExitStack() as stack:
        store = None
        if request.param == "store":
            store = stack.enter_context(CaptureStore(tmp_path / "hostile.sqlite"))
        yield stack.enter_context(CaptureSink(protocol=protocol, store=store))


def another_client_succeeds(sink: CaptureSink, tag: str) -> None:
    with connect(sink.port) as client:
        assert client.sendmail(SENDER, ["other@example.com"], message(tag)) == {}
    assert any(f"Subject: {tag}\r\n".encode() in m.raw for m in sink.messages())


class Wire:
    """A raw SMTP client socket: send any bytes, read replies line by line."""

    def __init__(self, sink: CaptureSink) -> None:
        self.sock = socket.create_connection((sink.host, sink.port), timeout=10)
        self.stream = self.sock.makefile("rb")
        assert self.reply()[0] == 220

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> tuple[int, bytes]:
        """One (possibly multi-line) reply: its code and its last line."""
        while True:
            line = self.stream.readline()
            if not line:
                return 0, b""  # the sink closed the connection
            if line[3:4] != b"-":
                return int(line[:3]), line

    def command(self, data: bytes) -> int:
        self.send(data)
        return self.reply()[0]

    def close(self) -> None:
        self.stream.close()
        self.sock.close()


@pytest.fixture
def wire(sink: CaptureSink) -> Iterator[Wire]:
    w = Wire(sink)
    yield w
    w.close()


# --- the oracle's side: a roster whose foreign student the hostile messages carry ----------


@cache
def judging() -> tuple[Plan, TokenIndex, str, str]:
    """(plan, index, a recipient, the id of a student who is a stranger to that recipient)."""
    roster = generate_roster(30, 11)
    plan = Plan(roster, build_campaign(roster.students, "vaccine"))
    recipient = min(a for addresses in plan.recipients.values() for a in addresses)
    stranger = next(s.id for s in roster.students if s.id not in plan.linked(recipient))
    return plan, TokenIndex.build(roster), recipient, stranger


def judge(captured: CapturedMessage) -> list[Violation]:
    plan, index, _, _ = judging()
    judge = Judge(plan, index)
    judge.judge_message(captured)
    return [v for v in judge.finish() if v.check != "missing-notice"]


def assert_stranger_found(captured: CapturedMessage) -> None:
    """The oracle read the hostile message through to the token hidden in it."""
    _, _, recipient, stranger = judging()
    foreign = [v for v in judge(captured) if v.check == "foreign-student-data"]
    assert [(v.recipient, v.students) for v in foreign] == [(recipient, (stranger,))]


def send_and_capture(sink: CaptureSink, raw: bytes, **options: list[str]) -> CapturedMessage:
    _, _, recipient, _ = judging()
    with connect(sink.port) as client:
        client.sendmail(SENDER, [recipient], raw, **options)
    [captured] = [m for m in sink.messages() if m.raw == raw]
    return captured


# --- malformed commands ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, code",
    [
        (b"\r\n", 500),  # empty command
        (b"\xff\xfe\x00garbage\r\n", 500),  # not ASCII
        (b"MAIL FROM:<a@example.com>\r\n", 503),  # before EHLO
        (b"EHLO\r\n", 501),  # no hostname
        (b"EHLO client.example\r\n", 250),
        (b"RCPT TO:<b@example.com>\r\n", 503),  # before MAIL
        (b"DATA\r\n", 503),  # before RCPT
        (b"MAIL FROM:<@@@>\r\n", 553),  # unparseable address
        (b"MAIL FROM:<a@example.com> BODY=9BIT\r\n", 501),
        (b"MAIL FROM:<a@example.com> SIZE=lots\r\n", 501),
        (b"MAIL FROM:<a@example.com> XYZZY=1\r\n", 555),
        (b"MAIL " + b"x" * 4000 + b"\r\n", 500),  # over the command line limit
        (b"VRFY " + b"\x80" * 600 + b"\r\n", 500),
        (b"HELP NOSUCH\r\n", 501),
        (b"NOOP\r\n", 250),
    ],
)
def test_malformed_command_gets_its_reply_and_the_session_goes_on(
    sink: CaptureSink, wire: Wire, line: bytes, code: int
) -> None:
    if not line.startswith((b"EHLO", b"MAIL FROM:<a@example.com>\r\n")):
        assert wire.command(b"EHLO client.example\r\n") == 250
    assert wire.command(line) == code
    # The same session still carries mail.
    wire.send(b"RSET\r\nEHLO client.example\r\n")
    assert wire.reply()[0] == 250
    assert wire.reply()[0] == 250
    assert wire.command(f"MAIL FROM:<{SENDER}>\r\n".encode()) == 250
    assert wire.command(b"RCPT TO:<a@example.com>\r\n") == 250
    assert wire.command(b"DATA\r\n") == 354
    assert wire.command(b"Subject: after\r\n\r\nstill here\r\n.\r\n") == 250
    another_client_succeeds(sink, "other")
    assert sink.messages()[0].raw == b"Subject: after\r\n\r\nstill here\r\n"


def test_a_flood_of_unknown_commands_is_cut_off(sink: CaptureSink, wire: Wire) -> None:
    codes = [wire.command(f"XCMD{i}\r\n".encode()) for i in range(5)]
    assert codes == [500, 500, 500, 500, 502]  # aiosmtpd's bogus-command budget, then goodbye
    assert wire.reply() == (0, b"")  # closed
    another_client_succeeds(sink, "after-flood")


# --- DATA without end ------------------------------------------------------------------------


def _open_data(wire: Wire) -> None:
    assert wire.command(b"EHLO client.example\r\n") == 250
    assert wire.command(f"MAIL FROM:<{SENDER}>\r\n".encode()) == 250
    assert wire.command(b"RCPT TO:<a@example.com>\r\n") == 250
    assert wire.command(b"DATA\r\n") == 354
    wire.send(b"Subject: never ends\r\n\r\nhalf a message\r\n")


def test_data_without_end_then_disconnect_records_nothing(sink: CaptureSink, wire: Wire) -> None:
    _open_data(wire)
    another_client_succeeds(sink, "during")  # while the DATA hangs open
    wire.close()
    assert sink.wait_idle(grace=0.05, timeout=5)
    assert all(b"never ends" not in m.raw for m in sink.messages())
    another_client_succeeds(sink, "after")


def test_data_without_end_times_out_and_records_nothing(sink: CaptureSink, wire: Wire) -> None:
    _open_data(wire)
    started = time.monotonic()
    another_client_succeeds(sink, "during")
    assert wire.reply() == (0, b"")  # the sink hangs up once the session is silent too long
    assert TIMEOUT * 0.5 <= time.monotonic() - started < TIMEOUT + 5
    assert sink.wait_idle(grace=0.05, timeout=5)
    assert all(b"never ends" not in m.raw for m in sink.messages())
    another_client_succeeds(sink, "after")


# --- an oversized message ----------------------------------------------------------------------


def test_oversized_message_gets_552_and_is_not_recorded(sink: CaptureSink, wire: Wire) -> None:
    assert wire.command(b"EHLO client.example\r\n") == 250
    declared = f"MAIL FROM:<{SENDER}> SIZE={SIZE_LIMIT + 1}\r\n".encode()
    assert wire.command(declared) == 552
    assert wire.command(f"MAIL FROM:<{SENDER}>\r\n".encode()) == 250  # undeclared size
    assert wire.command(b"RCPT TO:<a@example.com>\r\n") == 250
    assert wire.command(b"DATA\r\n") == 354
    line = b"y" * 998 + b"\r\n"
    wire.send(b"Subject: huge\r\n\r\n" + line * (2 * SIZE_LIMIT // len(line)))
    another_client_succeeds(sink, "during")
    assert wire.command(b".\r\n") == 552
    assert all(b"Subject: huge" not in m.raw for m in sink.messages())
    assert wire.command(b"QUIT\r\n") == 221
    another_client_succeeds(sink, "after")


# --- recorded, then judged ---------------------------------------------------------------------


@pytest.mark.parametrize("smtputf8", [False, True])
def test_invalid_utf8_in_headers_and_body_is_recorded_and_judged(
    any_sink: CaptureSink, smtputf8: bool
) -> None:
    sink = any_sink
    _, _, _, stranger = judging()
    raw = (
        b"From: =?utf-8?b?/w==?= \xff\xfe <office@school.example.org>\r\n"
        b"To: \xc3\x28 parent <p@example.com>\r\n"
        b"Subject: \xed\xa0\x80 surrogate \xf8\x88\x80\x80\x80 five-byte "
        + stranger.encode()
        + b"\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"\r\n"
        b"body \xc0\xaf overlong \xff\r\n" + stranger.encode() + b"\xfe\r\n"
    )
    options = {"mail_options": ["SMTPUTF8", "BODY=8BITMIME"]} if smtputf8 else {}
    captured = send_and_capture(sink, raw, **options)
    assert captured.raw == raw
    assert_stranger_found(captured)
    another_client_succeeds(sink, "after")


@pytest.mark.parametrize("smtputf8", [False, True])
def test_invalid_utf8_in_the_envelope_is_recorded_and_judged(
    any_sink: CaptureSink, smtputf8: bool
) -> None:
    _, _, recipient, stranger = judging()
    wire = Wire(any_sink)
    utf8 = b" SMTPUTF8" if smtputf8 else b""
    assert wire.command(b"EHLO client.example\r\n") == 250
    assert wire.command(b"MAIL FROM:<off\xffice@school.example.org>" + utf8 + b"\r\n") == 250
    assert wire.command(b"RCPT TO:<" + recipient.encode() + b">\r\n") == 250
    assert wire.command(b"RCPT TO:<\xfe\xc3bcc@example.com>\r\n") == 250
    assert wire.command(b"DATA\r\n") == 354
    raw = message("envelope", f"about {stranger}")
    assert wire.command(raw + b".\r\n") == 250
    assert wire.command(b"QUIT\r\n") == 221
    wire.close()
    [captured] = any_sink.messages()
    assert captured.mail_from.encode("utf-8", "surrogateescape") == b"off\xffice@school.example.org"
    assert [r.encode("utf-8", "surrogateescape") for r in captured.rcpt_tos] == [
        recipient.encode(),
        b"\xfe\xc3bcc@example.com",
    ]
    assert any_sink.refusals() == []
    foreign = [
        (v.recipient, v.students) for v in judge(captured) if v.check == "foreign-student-data"
    ]
    assert (recipient, (stranger,)) in foreign
    another_client_succeeds(any_sink, "after")


def test_mime_bomb_deep_nesting_is_recorded_and_judged(sink: CaptureSink) -> None:
    _, _, _, stranger = judging()
    depth = 3000
    head = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(depth)
    )
    tail = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(depth)))
    leaf = b"Content-Type: text/plain\r\n\r\nleaf " + stranger.encode() + b"\r\n"
    raw = b"Subject: nested\r\nMIME-Version: 1.0\r\n" + head + leaf + tail
    captured = send_and_capture(sink, raw)
    assert_stranger_found(captured)
    another_client_succeeds(sink, "after")


def test_mime_bomb_huge_base64_is_recorded_and_judged(sink: CaptureSink) -> None:
    _, _, _, stranger = judging()
    payload = b"A" * 3_000_000 + b" " + stranger.encode() + b" "
    encoded = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    raw = (
        b"Subject: attachment\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="x"\r\n\r\n'
        b"--x\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        b'--x\r\nContent-Type: text/plain; name="big.txt"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded + b"--x--\r\n"
    )
    big = SinkProtocol(size_limit=len(raw) + 1024, session_timeout=30)
    with CaptureSink(protocol=big) as roomy:
        captured = send_and_capture(roomy, raw)
        assert_stranger_found(captured)
        another_client_succeeds(roomy, "after")


@pytest.mark.parametrize("folded", [False, True])
def test_header_over_100_kb_is_recorded_and_judged(sink: CaptureSink, folded: bool) -> None:
    _, _, _, stranger = judging()
    words = [f"word{i}".encode() for i in range(20_000)]
    value = (b"\r\n " if folded else b" ").join(words) + b" " + stranger.encode()
    assert len(value) > 100 * 1024
    raw = b"X-Long: " + value + b"\r\nSubject: long header\r\n\r\nbody\r\n"
    captured = send_and_capture(sink, raw)
    assert captured.raw == raw
    assert_stranger_found(captured)
    another_client_succeeds(sink, "after")
