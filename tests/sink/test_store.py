"""The durable capture store: what goes in comes out, byte for byte, in order, across reopen."""

from __future__ import annotations

import asyncio
import smtplib
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.sink.capture import CapturedMessage, Refusal
from harness.sink.capture_log import Record, StoreLog
from harness.sink.server import CaptureSink
from harness.sink.store import READ_BATCH, CaptureStore, StoreError

SENDER = "office@school.example.org"


def add(
    store: CaptureStore,
    mail_from: str,
    rcpt_tos: list[str],
    raw: bytes,
    **facts: object,
) -> CapturedMessage:
    """Store one message through the path the sink uses (`write_group`)."""
    pending = CapturedMessage(
        seq=0,
        mail_from=mail_from,
        rcpt_tos=tuple(rcpt_tos),
        raw=raw,
        peer=str(facts.get("peer", "")),
        session=int(facts.get("session", 0)),  # type: ignore[call-overload]
        received_at=float(facts.get("received_at", time.time())),  # type: ignore[arg-type]
        tls=bool(facts.get("tls", False)),
        auth_user=facts.get("auth_user"),  # type: ignore[arg-type]
    )
    [stored] = store.write_group([pending])
    assert isinstance(stored, CapturedMessage)
    return stored


def test_message_round_trips_with_envelope_and_session_facts(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    raw = b"From: office@school.example.org\r\nTo: a@example.com\r\n\r\n\xff\x00 bytes\r\n"
    with CaptureStore(path) as store:
        stored = add(
            store,
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
        add(store, SENDER, ["a@example.com"], b"Message-ID: <1@x>\r\n\r\nsame\r\n")
        add(store, SENDER, ["a@example.com"], b"Message-ID: <1@x>\r\n\r\nsame\r\n")
    with CaptureStore(path) as store:
        add(store, SENDER, ["a@example.com"], b"third\r\n")
        assert [m.seq for m in store.iter_messages()] == [1, 2, 3]
        assert store.count() == 3


def test_iteration_streams_in_batches_and_is_a_snapshot(tmp_path: Path) -> None:
    with CaptureStore(tmp_path / "s.sqlite") as store:
        total = READ_BATCH * 2 + 7
        for i in range(total):
            add(store, SENDER, [f"r{i}@example.com"], f"n{i}\r\n".encode())
        stream = store.iter_messages()
        first = next(stream)
        add(store, SENDER, ["late@example.com"], b"late\r\n")
        rest = list(stream)
        assert [m.seq for m in [first, *rest]] == list(range(1, total + 1))
        assert rest[-1].raw == f"n{total - 1}\r\n".encode()
        assert [m.seq for m in store.iter_messages(after=total)] == [total + 1]


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
        [stored] = store.write_group([refusal])
    assert stored.seq == 1
    with CaptureStore(path) as store:
        assert store.refusals() == [stored]
        assert store.count() == 0
        assert isinstance(stored, Refusal) and stored.permanent and not stored.temporary


def test_clear_empties_the_store(tmp_path: Path) -> None:
    with CaptureStore(tmp_path / "s.sqlite") as store:
        add(store, SENDER, ["a@example.com"], b"x\r\n")
        store.clear()
        assert store.count() == 0
        assert add(store, SENDER, ["a@example.com"], b"y\r\n").seq == 1


def test_memory_store(tmp_path: Path) -> None:
    with CaptureStore(":memory:") as store:
        add(store, SENDER, ["a@example.com"], b"x\r\n")
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
        add(store, SENDER, ["a@example.com"], b"x\r\n")


def _pending(tag: str) -> CapturedMessage:
    return CapturedMessage(0, SENDER, ("a@example.com",), tag.encode(), "", 0, 0.0)


def test_a_message_the_store_cannot_take_gets_a_451_not_a_250(tmp_path: Path) -> None:
    store = CaptureStore(tmp_path / "s.sqlite")
    with CaptureSink(store=store) as sink, smtplib.SMTP(sink.host, sink.port) as client:
        store.close()  # e.g. the disk went away
        with pytest.raises(smtplib.SMTPDataError) as info:
            client.sendmail(SENDER, ["a@example.com"], b"x\r\n")
        # Nothing could record the refusal either; the sink still goes on serving.
    assert info.value.smtp_code == 451
    assert b"could not store" in info.value.smtp_error


def envelope_text(min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    """Any text aiosmtpd may hand over: bytes that are not UTF-8 arrive surrogate-escaped."""
    escaped = st.binary(min_size=min_size, max_size=max_size).map(
        lambda b: b.decode("utf-8", "surrogateescape")
    )
    return st.text(min_size=min_size, max_size=max_size) | escaped


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            envelope_text(max_size=40),
            st.lists(envelope_text(min_size=1, max_size=40), max_size=5),
            st.binary(max_size=2000),
        ),
        max_size=8,
    )
)
def test_anything_stored_comes_back_exactly_in_order(
    messages: list[tuple[str, list[str], bytes]],
) -> None:
    with CaptureStore(":memory:") as store:
        store.write_group(
            [
                CapturedMessage(0, sender, tuple(rcpts), raw, "p", 1, 0.0)
                for sender, rcpts, raw in messages
            ]
        )
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


def test_a_group_that_cannot_be_written_is_rolled_back_whole(tmp_path: Path) -> None:
    unwritable = CapturedMessage(0, SENDER, ("b@example.com",), object(), "", 0, 0.0)  # type: ignore[arg-type]
    with CaptureStore(tmp_path / "s.sqlite") as store:
        good = CapturedMessage(0, SENDER, ("a@example.com",), b"kept?\r\n", "", 0, 0.0)
        with pytest.raises(StoreError, match="cannot write"):
            store.write_group([good, unwritable])
        assert store.count() == 0  # the good one went with the transaction
        assert add(store, SENDER, ["a@example.com"], b"next\r\n").seq == 1


def test_one_record_that_cannot_be_written_costs_only_itself() -> None:
    unwritable = CapturedMessage(0, SENDER, ("b@example.com",), object(), "", 0, 0.0)  # type: ignore[arg-type]
    first = CapturedMessage(0, SENDER, ("a@example.com",), b"first\r\n", "", 1, 0.0)
    last = Refusal(0, "rcpt", "550 5.7.1 no", SENDER, ("c@example.com",), b"", "", 3, 0.0)

    async def one_group() -> list[Record | BaseException]:
        log = StoreLog(store)
        # Started in one loop iteration: the three share one group commit.
        return await asyncio.gather(
            log.commit(first), log.commit(unwritable), log.commit(last), return_exceptions=True
        )

    with CaptureStore(":memory:") as store:
        stored, failed, refused = asyncio.run(one_group())
        assert isinstance(failed, StoreError)
        assert isinstance(stored, CapturedMessage) and stored.seq == 1
        assert isinstance(refused, Refusal) and refused.seq == 1
        assert [m.raw for m in store.iter_messages()] == [b"first\r\n"]
        assert store.refusals() == [refused]


def test_an_envelope_with_invalid_utf8_is_stored_and_read_back(tmp_path: Path) -> None:
    sender = b"off\xffice@school.example.org".decode("utf-8", "surrogateescape")
    rcpts = [b"\xfe@example.com".decode("utf-8", "surrogateescape"), "ok@example.com"]
    path = tmp_path / "s.sqlite"
    with CaptureStore(path) as store:
        stored = add(store, sender, rcpts, b"x\r\n")
        refusal = Refusal(0, "data", "451 no", sender, tuple(rcpts), b"x", "", 1, 0.0)
        store.write_group([refusal])
    with CaptureStore(path, create=False) as again:
        assert list(again.iter_messages()) == [stored]
        assert again.refusals() == [refusal.__class__(**{**refusal.__dict__, "seq": 1})]
        reader = again.reader()
        assert reader is not None and reader.read((1, 1)) == [stored]


def test_a_message_the_store_cannot_take_is_refused_recorded_and_reported(
    tmp_path: Path,
) -> None:
    heard: list[CapturedMessage | Refusal] = []
    with CaptureStore(tmp_path / "s.sqlite") as store:
        insert = store._insert

        def refuse_poison(records):  # type: ignore[no-untyped-def]
            if any(isinstance(r, CapturedMessage) and b"poison" in r.raw for r in records):
                raise sqlite3.OperationalError("cannot take this one")
            return insert(records)

        store._insert = refuse_poison  # type: ignore[method-assign]
        with (
            CaptureSink(store=store, listener=heard.append) as sink,
            smtplib.SMTP(sink.host, sink.port, timeout=30) as client,
        ):
            with pytest.raises(smtplib.SMTPDataError) as refused:
                client.sendmail(SENDER, ["a@example.com"], b"Subject: poison\r\n\r\nx\r\n")
            assert refused.value.smtp_code == 451
            client.sendmail(SENDER, ["a@example.com"], b"Subject: fine\r\n\r\nx\r\n")
        [refusal] = store.refusals()
        assert (refusal.stage, refusal.rcpt_tos) == ("data", ("a@example.com",))
        assert refusal.reply.startswith("451 4.3.0 mailharness could not store the message")
        assert b"poison" in refusal.raw
        assert [type(r).__name__ for r in heard] == ["Refusal", "CapturedMessage"]


_SCHEMA_1 = """
CREATE TABLE messages (seq INTEGER PRIMARY KEY, mail_from TEXT NOT NULL, rcpt_tos TEXT NOT NULL,
    raw BLOB NOT NULL, peer TEXT NOT NULL, session INTEGER NOT NULL, tls INTEGER NOT NULL,
    auth_user TEXT, received_at REAL NOT NULL);
CREATE TABLE refusals (seq INTEGER PRIMARY KEY, stage TEXT NOT NULL, reply TEXT NOT NULL,
    mail_from TEXT NOT NULL, rcpt_tos TEXT NOT NULL, raw BLOB NOT NULL, peer TEXT NOT NULL,
    session INTEGER NOT NULL, at REAL NOT NULL);
INSERT INTO messages VALUES (1, 'a@x.org', '["b@y.org"]', x'6869', 'p', 1, 0, NULL, 5.0);
PRAGMA application_id=1296581459;
"""


def _old_store(path: Path, version: int) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(_SCHEMA_1 + f"PRAGMA user_version={version};")
    conn.close()


def test_a_schema_1_store_opens_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _old_store(path, 1)
    with CaptureStore(path, create=False) as store:
        [old] = list(store.iter_messages())
        assert (old.mail_from, old.rcpt_tos, old.raw, old.front_door) == (
            "a@x.org",
            ("b@y.org",),
            b"hi",
            "smtp",
        )
        assert add(store, SENDER, ["c@example.com"], b"new\r\n").seq == 2
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    conn.close()


def test_a_store_from_a_newer_version_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    _old_store(path, 9)
    with pytest.raises(StoreError, match="store schema 9, expected 2"):
        CaptureStore(path, create=False)
