"""The capturing sink, driven by smtplib as a real client would."""

from __future__ import annotations

import gc
import logging
import smtplib
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.errors import SinkError
from harness.sink.server import CaptureSink
from harness.sink.store import CaptureStore

SENDER = "office@school.example.org"


@pytest.fixture(params=["memory", "store"])
def sink(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaptureSink]:
    """Every test below runs against the in-memory list and against the durable store."""
    if request.param == "memory":
        with CaptureSink() as s:
            yield s
        return
    with CaptureStore(tmp_path / "sink.sqlite") as store, CaptureSink(store=store) as s:
        yield s


def client(sink: CaptureSink) -> smtplib.SMTP:
    return smtplib.SMTP(sink.host, sink.port, timeout=10)


def test_one_message_keeps_every_recipient_and_the_exact_bytes(sink: CaptureSink) -> None:
    rcpts = ["Ana.Diaz@Example.com", "bo@example.net", "cy@school.test", "bo@example.net"]
    # CRLF line endings, lines that start with dots (smtplib dot-stuffs them on the wire).
    raw = (
        b"From: office@school.example.org\r\n"
        b"To: undisclosed-recipients:;\r\n"
        b"Subject: Tdap reminder\r\n"
        b"\r\n"
        b".a line that starts with a dot\r\n"
        b"..two dots\r\n"
        b".\r\n"
        b"end\r\n"
    )
    with client(sink) as c:
        refused = c.sendmail(SENDER, rcpts, raw)
    assert refused == {}
    [msg] = sink.messages()
    assert msg.seq == 1
    assert msg.mail_from == SENDER
    assert msg.rcpt_tos == tuple(rcpts)  # as given: case kept, duplicates kept, in order
    assert msg.raw == raw  # un-dot-stuffed: byte-exact for CRLF data
    assert msg.session == 1
    host, _, port = msg.peer.rpartition(":")
    assert host == "127.0.0.1"
    assert int(port) > 0
    assert abs(msg.received_at - time.time()) < 60
    assert [c.recipient for c in msg.copies()] == [
        "ana.diaz@example.com",
        "bo@example.net",
        "cy@school.test",
        "bo@example.net",
    ]


def test_raw_is_the_data_as_sent_on_the_wire(sink: CaptureSink) -> None:
    with client(sink) as c:
        # No final CRLF: smtplib adds one before the terminating dot.
        c.sendmail(SENDER, ["a@example.com"], b"Subject: x\r\n\r\nno final newline")
        # A str message: smtplib turns every bare LF or CR into CRLF.
        c.sendmail(SENDER, ["a@example.com"], "Subject: y\n\n.dot\nbody\n")
    first, second = sink.messages()
    assert first.raw == b"Subject: x\r\n\r\nno final newline\r\n"
    assert second.raw == b"Subject: y\r\n\r\n.dot\r\nbody\r\n"


def test_recorded_before_sendmail_returns(sink: CaptureSink) -> None:
    with client(sink) as c:
        for i in range(1, 6):
            c.sendmail(SENDER, ["a@example.com"], f"Subject: {i}\r\n\r\nbody\r\n")
            # No waiting: the 250 came after the message was stored.
            assert len(sink.messages()) == i
            assert sink.messages()[-1].raw.startswith(f"Subject: {i}\r\n".encode())


def test_many_messages_over_one_connection(sink: CaptureSink) -> None:
    with client(sink) as c:
        for i in range(50):
            c.sendmail(SENDER, [f"g{i}@example.com"], f"Subject: n{i}\r\n\r\n{i}\r\n")
    assert sink.wait_idle(grace=0.05, timeout=5)
    msgs = sink.messages()
    assert [m.seq for m in msgs] == list(range(1, 51))
    assert [m.rcpt_tos for m in msgs] == [(f"g{i}@example.com",) for i in range(50)]
    assert {m.session for m in msgs} == {1}
    assert sink.connections_seen == 1


def test_concurrent_connections_lose_nothing_and_record_nothing_twice(
    sink: CaptureSink,
) -> None:
    threads, per_thread = 8, 15
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def send(t: int) -> None:
        try:
            with client(sink) as c:
                barrier.wait()
                for i in range(per_thread):
                    body = f"Subject: t{t}m{i}\r\n\r\nthread {t} message {i}\r\n"
                    c.sendmail(SENDER, [f"t{t}@example.com", f"m{i}@example.net"], body)
        except BaseException as err:  # surfaced below
            errors.append(err)

    workers = [threading.Thread(target=send, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    assert not errors
    assert sink.wait_idle(grace=0.05, timeout=5)

    msgs = sink.messages()
    assert len(msgs) == threads * per_thread
    assert [m.seq for m in msgs] == list(range(1, threads * per_thread + 1))
    subjects = [m.raw.split(b"\r\n", 1)[0] for m in msgs]
    expected = {f"Subject: t{t}m{i}".encode() for t in range(threads) for i in range(per_thread)}
    assert len(set(subjects)) == len(subjects)
    assert set(subjects) == expected
    # One session per connection; each thread's messages stay in order within it.
    assert sink.connections_seen == threads
    assert {m.session for m in msgs} == set(range(1, threads + 1))
    for t in range(threads):
        mine = [m for m in msgs if m.rcpt_tos[0] == f"t{t}@example.com"]
        assert len({m.session for m in mine}) == 1
        assert [m.rcpt_tos[1] for m in mine] == [f"m{i}@example.net" for i in range(per_thread)]


def test_8bit_and_smtputf8_content(sink: CaptureSink) -> None:
    raw = "Subject: Vacunas pendientes: José Núñez\r\n\r\nQuerida familia Müller, 学生\r\n"
    data = raw.encode("utf-8")
    with client(sink) as c:
        c.ehlo()
        assert c.has_extn("smtputf8")
        c.sendmail(
            "oficina@escuela.example",
            ["josé.núñez@exämple.test", "plain@example.com"],
            data,
            mail_options=["SMTPUTF8", "BODY=8BITMIME"],
        )
        # 8-bit body without SMTPUTF8 is accepted as well.
        c.sendmail(SENDER, ["plain@example.com"], b"Subject: x\r\n\r\n\xe9\xff\x00 latin-1\r\n")
    first, second = sink.messages()
    assert first.raw == data
    assert first.rcpt_tos == ("josé.núñez@exämple.test", "plain@example.com")
    assert first.mail_from == "oficina@escuela.example"
    assert second.raw == b"Subject: x\r\n\r\n\xe9\xff\x00 latin-1\r\n"


def test_lines_longer_than_rfc5321_are_recorded(sink: CaptureSink) -> None:
    line = b"<p>" + b"x" * 5000 + b"</p>"
    with client(sink) as c:
        c.sendmail(SENDER, ["a@example.com"], b"Subject: html\r\n\r\n" + line + b"\r\n")
    assert sink.messages()[0].raw.endswith(line + b"\r\n")


def test_any_recipient_is_accepted(sink: CaptureSink) -> None:
    with client(sink) as c:
        c.ehlo()
        c.mail(SENDER)
        for rcpt in ["postmaster", "x@localhost", "someone@real-looking-domain.com"]:
            code, _ = c.rcpt(rcpt)
            assert code == 250


def test_wait_idle_true_once_clients_closed(sink: CaptureSink) -> None:
    assert sink.wait_idle(grace=0.05, timeout=2)
    with client(sink) as c:
        c.sendmail(SENDER, ["a@example.com"], b"Subject: x\r\n\r\nx\r\n")
        assert sink.open_sessions == 1
    start = time.monotonic()
    assert sink.wait_idle(grace=0.2, timeout=5)
    assert time.monotonic() - start >= 0.15  # waited out (most of) the grace period
    assert sink.open_sessions == 0
    assert sink.connections_seen == 1


def test_wait_idle_false_while_a_session_stays_open(sink: CaptureSink) -> None:
    c = client(sink)
    try:
        c.sendmail(SENDER, ["a@example.com"], b"Subject: x\r\n\r\nx\r\n")
        start = time.monotonic()
        assert sink.wait_idle(grace=0.05, timeout=0.3) is False
        assert 0.25 <= time.monotonic() - start < 5
        assert sink.open_sessions == 1
    finally:
        c.quit()
    assert sink.wait_idle(grace=0.05, timeout=5)


def test_a_session_without_quit_is_closed_when_the_client_closes(sink: CaptureSink) -> None:
    c = client(sink)
    c.sendmail(SENDER, ["a@example.com"], b"Subject: x\r\n\r\nx\r\n")
    c.close()  # no QUIT: the socket just goes away
    assert sink.wait_idle(grace=0.05, timeout=5)


def test_port_in_use_is_one_clear_line() -> None:
    with CaptureSink() as first, pytest.raises(SinkError) as info:
        CaptureSink("127.0.0.1", first.port).start()
    assert str(info.value) == f"cannot listen on 127.0.0.1:{first.port}: address already in use"
    assert "\n" not in str(info.value)


def test_fixed_port_can_be_reused_after_stop() -> None:
    with CaptureSink() as first:
        port = first.port
        with client(first) as c:
            c.sendmail(SENDER, ["a@example.com"], b"x\r\n")
    with CaptureSink("127.0.0.1", port) as again:
        assert again.port == port


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::", "sink.invalid"])
def test_non_loopback_host_refused(host: str) -> None:
    with pytest.raises(SinkError, match="not a loopback address"):
        CaptureSink(host)


def test_non_loopback_allowed_on_request() -> None:
    sink = CaptureSink("0.0.0.0", allow_non_loopback=True)
    assert sink.host == "0.0.0.0"


def test_localhost_name_is_loopback() -> None:
    with CaptureSink("localhost") as sink, smtplib.SMTP("localhost", sink.port, timeout=10) as c:
        c.sendmail(SENDER, ["a@example.com"], b"x\r\n")
    assert len(sink.messages()) == 1


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6")
def test_ipv6_loopback() -> None:
    try:
        sink = CaptureSink("::1").start()
    except SinkError:
        pytest.skip("::1 not configured")
    with sink, smtplib.SMTP("::1", sink.port, timeout=10) as c:
        c.sendmail(SENDER, ["a@example.com"], b"x\r\n")
    assert sink.messages()[0].peer.startswith("[::1]:")


def test_clear_resets_messages_and_counters(sink: CaptureSink) -> None:
    for _ in range(2):
        with client(sink) as c:
            c.sendmail(SENDER, ["a@example.com"], b"one\r\n")
            c.sendmail(SENDER, ["b@example.com"], b"two\r\n")
    assert sink.wait_idle(grace=0.05, timeout=5)
    assert sink.connections_seen == 2
    sink.clear()
    assert sink.messages() == []
    assert sink.connections_seen == 0
    assert sink.open_sessions == 0
    with client(sink) as c:
        c.sendmail(SENDER, ["c@example.com"], b"three\r\n")
    [msg] = sink.messages()
    assert (msg.seq, msg.session, msg.rcpt_tos) == (1, 1, ("c@example.com",))


def test_messages_is_a_snapshot(sink: CaptureSink) -> None:
    snapshot = sink.messages()
    with client(sink) as c:
        c.sendmail(SENDER, ["a@example.com"], b"x\r\n")
    assert snapshot == []
    assert len(sink.messages()) == 1


def test_stop_is_idempotent_and_restart_works() -> None:
    sink = CaptureSink()
    sink.stop()  # never started: nothing to do
    sink.start()
    assert sink.running
    with pytest.raises(SinkError, match="already running"):
        sink.start()
    sink.stop()
    sink.stop()
    assert not sink.running
    with sink, client(sink) as c:
        c.sendmail(SENDER, ["a@example.com"], b"x\r\n")
    assert len(sink.messages()) == 1  # messages outlive stop()


def test_stop_closes_open_sessions() -> None:
    sink = CaptureSink().start()
    c = client(sink)
    c.ehlo()
    c.mail(SENDER)
    assert sink.open_sessions == 1
    sink.stop()
    assert sink.open_sessions == 0
    with pytest.raises(smtplib.SMTPServerDisconnected):
        c.rcpt("a@example.com")
    c.close()


def test_abrupt_disconnects_leave_no_asyncio_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="asyncio")
    with CaptureSink() as sink:
        for stage in (b"", b"EHLO x\r\n", b"EHLO x\r\nMAIL FROM:<a@example.com>\r\n"):
            raw = socket.create_connection((sink.host, sink.port), timeout=10)
            raw.recv(1024)  # greeting
            raw.sendall(stage + b"RCPT TO:<b@example.com>\r\nDATA\r\nhalf a messa")
            time.sleep(0.05)
            # Close with a TCP RST instead of a FIN.
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raw.close()
        for _ in range(10):
            # Reset while the sink is still answering a flood of commands.
            raw = socket.create_connection((sink.host, sink.port), timeout=10)
            raw.recv(1024)
            raw.sendall(b"EHLO x\r\n" + b"NOOP\r\n" * 2000)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raw.close()
        assert sink.wait_idle(grace=0.05, timeout=5)
        assert sink.messages() == []
        assert sink.connections_seen == 13
    gc.collect()
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


def test_twenty_sinks_in_a_row_leak_no_threads() -> None:
    before = set(threading.enumerate())
    for _ in range(20):
        with CaptureSink() as sink, client(sink) as c:
            c.sendmail(SENDER, ["a@example.com"], b"x\r\n")
        assert len(sink.messages()) == 1
    time.sleep(0.05)
    leaked = [t for t in threading.enumerate() if t not in before]
    assert leaked == []
