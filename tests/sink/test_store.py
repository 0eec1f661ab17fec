"""The durable capture store: what goes in comes out, byte for byte, in order, across reopen."""

from __future__ import annotations

import smtplib
import sqlite3
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.sink.capture import CapturedMessage, Refusal
from harness.sink.server import CaptureSink
from harness.sink.store import READ_BATCH, CaptureStore, StoreError

SENDER = "office@school.example.org"


def test_message_round_trips_with_envelope_and_session_facts(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    raw = b"From: office@school.example.org\r\nTo: a@example.com\r\n\r\n\xff\x00 bytes\r\n"
    with CaptureStore(path) as store:
        stored = store.add(
            SENDER,
            ["A@Example.com", "bcc@example.net", "A@Example.com"],
            raw,
            peer="127.0.0.1:4000",
            session=3,
            tls=True,
            auth_user="vendor",
            received_at=1234.5,
        )
    assert stored.seq == 1
    with CaptureStore(path, create=False) as again:
        [message] = list(again.iter_messages())
    assert message == stored
    assert message.rcpt_tos == ("A@Example.com", "bcc@example.net", "A@Example.com")
    assert message.raw == raw
    assert (message.peer, message.session, message.tls, message.auth_user) == (
        "127.0.0.1:4000",
        3,
        True,
        "vendor",
    )
    # The envelope lives in its own column: an envelope-only Bcc never shows up in the bytes.
    assert b"bcc@example.net" not in message.raw


def test_identical_messages_are_two_rows_and_seq_continues_after_reopen(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with CaptureStore(path) as store:
        store.add(SENDER, ["a@example.com"], b"Message-ID: <1@x>\r\n\r\nsame\r\n")
        store.add(SENDER, ["a@example.com"], b"Message-ID: <1@x>\r\n\r\nsame\r\n")
    with CaptureStore(path) as store:
        store.add(SENDER, ["a@example.com"], b"third\r\n")
        assert [m.seq for m in store.iter_messages()] == [1, 2, 3]
        assert store.count() == 3


def test_iteration_streams_in_batches_and_is_a_snapshot(tmp_path: Path) -> None:
    with CaptureStore(tmp_path / "s.sqlite") as store:
        total = READ_BATCH * 2 + 7
        for i in range(total):
            store.add(SENDER, [f"r{i}@example.com"], f"n{i}\r\n".encode())
        stream = store.iter_messages()
        first = next(stream)
        store.add(SENDER, ["late@example.com"], b"late\r\n")
        rest = list(stream)
        assert [m.seq for m in [first, *rest]] == list(range(1, total + 1))
        assert rest[-1].raw == f"n{total - 1}\r\n".encode()
        assert [m.seq for m in store.iter_messages(after=total)] == [total + 1]


def test_concurrent_submissions_share_commits(tmp_path: Path) -> None:
    store = CaptureStore(tmp_path / "s.sqlite")
    groups: list[int] = []
    insert = store._insert

    def counting_insert(batch):  # type: ignore[no-untyped-def]
        groups.append(len(batch))
        return insert(batch)

    store._insert = counting_insert  # type: ignore[method-assign]
    threads, each = 8, 50
    barrier = threading.Barrier(threads)

    def send(t: int) -> None:
        barrier.wait()
        futures = [store.submit(_pending(f"t{t}m{i}")) for i in range(each)]
        for future in futures:
            future.result()

    workers = [threading.Thread(target=send, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert store.count() == threads * each == sum(groups)
    assert len(groups) < threads * each  # several messages per transaction
    assert max(groups) > 1
    assert store.commits == len(groups)
    store.close()


def test_concurrent_smtp_sessions_share_commits(tmp_path: Path) -> None:
    threads, each = 8, 25
    barrier = threading.Barrier(threads)
    with CaptureStore(tmp_path / "s.sqlite") as store, CaptureSink(store=store) as sink:

        def send(t: int) -> None:
            with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
                barrier.wait()
                for i in range(each):
                    client.sendmail(SENDER, [f"t{t}@example.com"], f"m{i}\r\n".encode())

        workers = [threading.Thread(target=send, args=(t,)) for t in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert store.count() == threads * each
        assert store.commits < threads * each


def test_store_is_wal_with_normal_sync(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    CaptureStore(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_refusals_are_stored_apart_from_messages(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    refusal = Refusal(0, "rcpt", "550 5.7.1 no", SENDER, ("a@example.com",), b"", "p", 1, 9.0)
    with CaptureStore(path) as store:
        stored = store.add_refusal(refusal)
        store.flush()
    assert stored.seq == 1
    with CaptureStore(path) as store:
        assert store.refusals() == [stored]
        assert store.count() == 0
        assert stored.permanent and not stored.temporary


def test_clear_empties_the_store(tmp_path: Path) -> None:
    with CaptureStore(tmp_path / "s.sqlite") as store:
        store.add(SENDER, ["a@example.com"], b"x\r\n")
        store.clear()
        assert store.count() == 0
        assert store.add(SENDER, ["a@example.com"], b"y\r\n").seq == 1


def test_memory_store(tmp_path: Path) -> None:
    with CaptureStore(":memory:") as store:
        store.add(SENDER, ["a@example.com"], b"x\r\n")
        assert store.count() == 1


def test_missing_store_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"nope\.sqlite: no such file"):
        CaptureStore(tmp_path / "nope.sqlite", create=False)


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("hello, this is not SQLite at all, just a long enough line of text\n" * 20)
    with pytest.raises(StoreError, match="not a mailharness capture store"):
        CaptureStore(path)


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a mailharness capture store"):
        CaptureStore(path)


def test_closed_store_refuses_writes(tmp_path: Path) -> None:
    store = CaptureStore(tmp_path / "s.sqlite")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.add(SENDER, ["a@example.com"], b"x\r\n")


def _pending(tag: str) -> CapturedMessage:
    return CapturedMessage(0, SENDER, ("a@example.com",), tag.encode(), "", 0, 0.0)


def test_a_message_the_store_cannot_take_gets_a_451_not_a_250(tmp_path: Path) -> None:
    store = CaptureStore(tmp_path / "s.sqlite")
    with CaptureSink(store=store) as sink, smtplib.SMTP(sink.host, sink.port) as client:
        store.close()  # e.g. the disk went away
        with pytest.raises(smtplib.SMTPDataError) as info:
            client.sendmail(SENDER, ["a@example.com"], b"x\r\n")
    assert info.value.smtp_code == 451
    assert b"could not store" in info.value.smtp_error


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.text(max_size=40),
            st.lists(st.text(min_size=1, max_size=40), max_size=5),
            st.binary(max_size=2000),
        ),
        max_size=8,
    )
)
def test_anything_stored_comes_back_exactly_in_order(
    messages: list[tuple[str, list[str], bytes]],
) -> None:
    with CaptureStore(":memory:") as store:
        futures = [
            store.submit(CapturedMessage(0, sender, tuple(rcpts), raw, "p", 1, 0.0))
            for sender, rcpts, raw in messages
        ]
        for future in futures:
            future.result()
        back = [(m.mail_from, list(m.rcpt_tos), m.raw) for m in store.iter_messages()]
    assert back == messages


def test_a_message_the_store_cannot_commit_is_refused_with_451(tmp_path: Path) -> None:
    with CaptureStore(tmp_path / "s.sqlite") as store, CaptureSink(store=store) as sink:
        insert = store._insert

        def full_disk(records):  # type: ignore[no-untyped-def]
            raise sqlite3.OperationalError("database or disk is full")

        store._insert = full_disk  # type: ignore[method-assign]
        with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
            with pytest.raises(smtplib.SMTPDataError) as refused:
                client.sendmail(SENDER, ["a@example.com"], b"Subject: one\r\n\r\nlost\r\n")
            assert refused.value.smtp_code == 451
            assert b"could not store" in refused.value.smtp_error
            store._insert = insert  # type: ignore[method-assign]
            client.sendmail(SENDER, ["a@example.com"], b"Subject: two\r\n\r\nkept\r\n")
        assert [m.raw for m in store.iter_messages()] == [b"Subject: two\r\n\r\nkept\r\n"]
