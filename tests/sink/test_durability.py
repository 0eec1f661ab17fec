"""The store's promises under load and under SIGKILL (slow: run by tox -e long).

Load: 50 concurrent clients x 200 messages into `mailharness sink`: every message is in the
store byte for byte (by sha256), none twice. Crash: the same load, the sink killed with SIGKILL
in the middle; every message whose client got a 250 is in the store after a restart.
"""

from __future__ import annotations

import hashlib
import os
import smtplib
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.sink.store import CaptureStore
from tests.commands.sinkproc import SinkProcess

pytestmark = pytest.mark.slow

CLIENTS, PER_CLIENT = 50, 200
SENDER = "nurse@district.example.org"


def message(client: int, index: int) -> bytes:
    # Unique, CRLF-terminated, with a leading-dot line (dot-stuffed on the wire) and 8-bit data.
    noise = os.urandom(24).hex()
    return (
        f"From: {SENDER}\r\nTo: g{client}@example.com\r\nSubject: load {client}/{index}\r\n"
        f"\r\n.leading dot {noise}\r\nclient {client} message {index} é\r\n"
    ).encode()


class Load:
    """CLIENTS threads, one SMTP connection each, PER_CLIENT messages each."""

    def __init__(self, port: int, on_ack: Callable[[int], None] = lambda n: None) -> None:
        self.port = port
        self.acked: list[str] = []  # sha256 of every message that got its 250
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._on_ack = on_ack

    def run(self) -> None:
        barrier = threading.Barrier(CLIENTS)
        threads = [threading.Thread(target=self._client, args=(c, barrier)) for c in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)

    def _client(self, client: int, barrier: threading.Barrier) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", self.port, timeout=60) as smtp:
                barrier.wait()
                for index in range(PER_CLIENT):
                    raw = message(client, index)
                    smtp.sendmail(SENDER, [f"g{client}@example.com"], raw)
                    with self._lock:
                        self.acked.append(hashlib.sha256(raw).hexdigest())
                        acked = len(self.acked)
                    self._on_ack(acked)
        except (smtplib.SMTPException, OSError, threading.BrokenBarrierError) as err:
            with self._lock:
                self.errors.append(err)


def stored_digests(path: Path) -> Counter[str]:
    with CaptureStore(path, create=False) as store:
        return Counter(hashlib.sha256(m.raw).hexdigest() for m in store.iter_messages())


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_ten_thousand_messages_from_fifty_clients(tmp_path: Path) -> None:
    store = tmp_path / "load.sqlite"
    sink = SinkProcess(store, "--quiet", cwd=tmp_path)
    load = Load(sink.port)
    load.run()
    assert sink.stop() == 0
    assert load.errors == []
    assert len(load.acked) == CLIENTS * PER_CLIENT
    stored = stored_digests(store)
    assert stored == Counter(load.acked)  # every one, byte for byte, none twice
    assert max(stored.values()) == 1
    assert integrity(store) == "ok"


def test_sigkill_loses_no_acknowledged_message(tmp_path: Path) -> None:
    store = tmp_path / "crash.sqlite"
    sink = SinkProcess(store, "--quiet", cwd=tmp_path)
    killed = threading.Event()

    def kill_midway(acked: int) -> None:
        if acked >= CLIENTS * PER_CLIENT // 4 and not killed.is_set():
            killed.set()
            sink.kill()

    load = Load(sink.port, on_ack=kill_midway)
    load.run()
    assert killed.is_set()
    assert load.errors  # the clients did see the sink die...
    assert 0 < len(load.acked) < CLIENTS * PER_CLIENT

    restarted = SinkProcess(store, "--quiet", cwd=tmp_path)  # recovers the WAL
    assert restarted.stop() == 0
    stored = stored_digests(store)
    missing = Counter(load.acked) - stored
    assert not missing, f"{sum(missing.values())} acknowledged messages lost"
    assert max(stored.values()) == 1
    assert integrity(store) == "ok"
