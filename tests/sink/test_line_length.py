"""A message's lines may be as long as the message may be: one written with bare LF is a
single line on the wire, and the sink accepts it as it accepts the same message in CRLF."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from harness.sink.protocol import SinkProtocol
from harness.sink.server import CaptureSink
from tests.sink.conftest import SENDER

SIZE_LIMIT = 3 * 1024 * 1024


@pytest.fixture
def sink() -> Iterator[CaptureSink]:
    with CaptureSink(protocol=SinkProtocol(size_limit=SIZE_LIMIT)) as s:
        yield s


def send_raw(sink: CaptureSink, data: bytes) -> bytes:
    """One session on the wire; the reply to the end of DATA."""
    with socket.create_connection((sink.host, sink.port), timeout=30) as sock:
        stream = sock.makefile("rb")
        assert stream.readline().startswith(b"220")
        sock.sendall(f"HELO client.example\r\nMAIL FROM:<{SENDER}>\r\n".encode())
        sock.sendall(b"RCPT TO:<a@example.com>\r\nDATA\r\n")
        for expected in (b"250", b"250", b"250", b"354"):
            assert stream.readline().startswith(expected)
        sock.sendall(data + b"\r\n.\r\n")
        reply = stream.readline()
        sock.sendall(b"QUIT\r\n")
        return reply


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["bare-lf", "crlf"])
def test_a_two_mib_message_is_accepted_whatever_its_newlines(
    sink: CaptureSink, newline: bytes
) -> None:
    body = newline.join([b"Subject: long", b"", b"x" * (2 * 1024 * 1024), b"end"])
    assert send_raw(sink, body).startswith(b"250")
    assert sink.wait_idle(grace=0.05, timeout=10)
    [message] = sink.messages()
    assert len(message.raw) >= 2 * 1024 * 1024


def test_over_the_size_limit_is_still_refused(sink: CaptureSink) -> None:
    reply = send_raw(sink, b"Subject: big\n\n" + b"x" * (SIZE_LIMIT + 10))
    assert reply[:3] in (b"500", b"552")  # refused: nothing recorded
    assert sink.wait_idle(grace=0.05, timeout=10)
    assert sink.messages() == []
