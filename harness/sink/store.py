"""The durable capture store: every accepted message in SQLite before the sink answers 250.

One file (or ":memory:") holds the envelope, the exact bytes and the session facts of every
message, in arrival order, and every refusal the fault injector made. No cap, no eviction, no
deduplication: two identical messages are two rows. The envelope stays in its own column and is
never folded into a header, so a leaked `Bcc:` header and an envelope-only Bcc stay apart.

Writes are committed in groups, so many sessions' messages share one commit instead of paying
one each, and each 250 follows the commit that holds its message. The sink groups in its own
event loop (`write_group`, called by `harness.sink.capture_log.StoreLog` once per loop
iteration).

The envelope is stored so that whatever the SMTP server accepted survives: an address holding
invalid UTF-8 (which aiosmtpd hands over surrogate-escaped) is stored as a BLOB of its bytes,
the recipient list as ASCII JSON, and both read back as the same strings.

Schema 2 added, for the API front doors, each message's `front_door`, `call` and `evidence`
and each refusal's `front_door` and `call`; a schema-1 store is upgraded when it is opened.

Durability: WAL with `synchronous=NORMAL`. In WAL mode a commit appends the transaction to the
-wal file with write() before it returns; NORMAL only skips the fsync, which guards against the
operating system losing its page cache (power loss, kernel crash). A killed process, even by
SIGKILL, loses nothing the kernel was given, and the next open replays the WAL. So every
message that got its 250 survives SIGKILL of the sink; FULL would fsync per group and only buy
power-loss safety, which a test sink does not promise.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

from harness.errors import HarnessError
from harness.sink.capture import CapturedMessage, Refusal, Span

__all__ = ["CaptureStore", "StoreError", "StoreReader"]

# PRAGMA application_id: marks a file as a mailharness store ("MHCS").
APPLICATION_ID = 0x4D484353
SCHEMA_VERSION = 2
READ_BATCH = 256

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY,
    mail_from TEXT NOT NULL,
    rcpt_tos TEXT NOT NULL,          -- JSON array, as given at RCPT TO, in order
    raw BLOB NOT NULL,
    peer TEXT NOT NULL,
    session INTEGER NOT NULL,
    tls INTEGER NOT NULL,
    auth_user TEXT,
    received_at REAL NOT NULL,
    front_door TEXT NOT NULL DEFAULT 'smtp',
    call TEXT NOT NULL DEFAULT '',
    evidence TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS refusals (
    seq INTEGER PRIMARY KEY,
    stage TEXT NOT NULL,
    reply TEXT NOT NULL,
    mail_from TEXT NOT NULL,
    rcpt_tos TEXT NOT NULL,
    raw BLOB NOT NULL,
    peer TEXT NOT NULL,
    session INTEGER NOT NULL,
    at REAL NOT NULL,
    front_door TEXT NOT NULL DEFAULT 'smtp',
    call TEXT NOT NULL DEFAULT ''
);
"""
# From schema 1: the columns the API front doors added.
_UPGRADE_FROM_1 = """
ALTER TABLE messages ADD COLUMN front_door TEXT NOT NULL DEFAULT 'smtp';
ALTER TABLE messages ADD COLUMN call TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN evidence TEXT NOT NULL DEFAULT '';
ALTER TABLE refusals ADD COLUMN front_door TEXT NOT NULL DEFAULT 'smtp';
ALTER TABLE refusals ADD COLUMN call TEXT NOT NULL DEFAULT '';
"""
_MESSAGE_COLUMNS = (
    "seq, mail_from, rcpt_tos, raw, peer, session, tls, auth_user, received_at, front_door, "
    "call, evidence"
)
_REFUSAL_COLUMNS = (
    "seq, stage, reply, mail_from, rcpt_tos, raw, peer, session, at, front_door, call"
)
_MESSAGE_SLOTS = ",".join("?" * 12)
_REFUSAL_SLOTS = ",".join("?" * 11)

Record = CapturedMessage | Refusal


class StoreError(HarnessError):
    """A store file that cannot be opened or written, or is not a mailharness store."""


class CaptureStore:
    """A SQLite capture store at `path` (":memory:" for a private in-memory one).

    `create=False` refuses a path that does not exist (for judging a store offline). The store
    is safe to use from any thread; use it as a context manager or call `close()`.
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        self._path = str(path)
        if self._path != ":memory:" and not create and not Path(self._path).is_file():
            raise StoreError(f"store {self._path}: no such file")
        self._lock = threading.Lock()
        self._closed = False
        self._commits = 0
        self._conn = self._open()

    def _open(self) -> sqlite3.Connection:
        where = f"store {self._path}"
        try:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as err:
            raise StoreError(f"{where}: cannot open: {err}") from None
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if app_id != APPLICATION_ID and tables:
                raise StoreError(f"{where}: not a mailharness capture store")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if app_id == APPLICATION_ID and version not in (1, SCHEMA_VERSION):
                raise StoreError(
                    f"{where}: store schema {version}, expected {SCHEMA_VERSION}"
                    " (made by another version of mailharness)"
                )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # see the module docstring
            if app_id == APPLICATION_ID and version == 1:
                conn.executescript(
                    f"BEGIN IMMEDIATE;{_UPGRADE_FROM_1}PRAGMA user_version={SCHEMA_VERSION};COMMIT;"
                )
            if not tables:
                conn.executescript(_SCHEMA)
                conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as err:
            conn.close()
            raise StoreError(f"{where}: not a mailharness capture store ({err})") from None
        except StoreError:
            conn.close()
            raise
        return conn

    @property
    def path(self) -> str:
        return self._path

    # -- writing ------------------------------------------------------------------------------

    def write_group(self, records: list[Record]) -> list[Record]:
        """Write the records in one transaction, in the caller's thread, and return them with
        their seqs once committed; nothing of them is written if one cannot be. The sink's event
        loop batches (`harness.sink.capture_log.StoreLog`)."""
        with self._lock:
            if self._closed:
                raise StoreError(f"store {self._path} is closed")
        return self._commit(records)

    def _commit(self, records: list[Record]) -> list[Record]:
        try:
            with self._lock:
                stored = self._insert(records)
                self._commits += 1
        except BaseException as err:
            raise StoreError(f"store {self._path}: cannot write: {err}") from None
        return stored

    def _insert(self, records: list[Record]) -> list[Record]:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            next_message = conn.execute("SELECT coalesce(max(seq), 0) FROM messages").fetchone()
            next_refusal = conn.execute("SELECT coalesce(max(seq), 0) FROM refusals").fetchone()
            message_seq, refusal_seq = int(next_message[0]), int(next_refusal[0])
            stored: list[Record] = []
            messages, refusals = [], []
            for record in records:
                if isinstance(record, CapturedMessage):
                    message_seq += 1
                    message = replace(record, seq=message_seq)
                    messages.append(_message_row(message))
                    stored.append(message)
                else:
                    refusal_seq += 1
                    refusal = replace(record, seq=refusal_seq)
                    refusals.append(_refusal_row(refusal))
                    stored.append(refusal)
            if messages:
                conn.executemany(
                    f"INSERT INTO messages ({_MESSAGE_COLUMNS}) VALUES ({_MESSAGE_SLOTS})",
                    messages,
                )
            if refusals:
                conn.executemany(
                    f"INSERT INTO refusals ({_REFUSAL_COLUMNS}) VALUES ({_REFUSAL_SLOTS})",
                    refusals,
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return stored

    def clear(self) -> None:
        """Delete every message and refusal (seq restarts at 1). Only on explicit request."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute("DELETE FROM messages")
            self._conn.execute("DELETE FROM refusals")
            self._conn.execute("COMMIT")

    # -- reading ------------------------------------------------------------------------------

    def iter_messages(self, *, after: int = 0) -> Iterator[CapturedMessage]:
        """Every message with seq > `after`, in arrival order, read in batches (streaming).

        Messages committed after the iteration started are not included.
        """
        with self._lock:
            last = self._conn.execute("SELECT coalesce(max(seq), 0) FROM messages").fetchone()[0]
        while after < last:
            with self._lock:
                rows = self._conn.execute(
                    f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE seq > ? AND seq <= ? "
                    "ORDER BY seq LIMIT ?",
                    (after, last, READ_BATCH),
                ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _message_from_row(row)
            after = int(rows[-1][0])

    def reader(self) -> StoreReader | None:
        """A reader other processes can use (None for a private ":memory:" store)."""
        if self._path == ":memory:":
            return None
        return StoreReader(self._path)

    def message(self, seq: int) -> CapturedMessage:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE seq = ?", (seq,)
            ).fetchone()
        if row is None:
            raise StoreError(f"store {self._path}: no message {seq}")
        return _message_from_row(row)

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM messages").fetchone()[0])

    @property
    def commits(self) -> int:
        """Group commits made by this store object (several messages share one)."""
        with self._lock:
            return self._commits

    def sessions(self) -> int:
        """How many distinct SMTP sessions delivered or were refused something."""
        with self._lock:
            row = self._conn.execute(
                "SELECT count(*) FROM (SELECT session FROM messages UNION SELECT session "
                "FROM refusals)"
            ).fetchone()
        return int(row[0])

    def refusals(self) -> list[Refusal]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_REFUSAL_COLUMNS} FROM refusals ORDER BY seq"
            ).fetchall()
        return [_refusal_from_row(row) for row in rows]

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database (every write_group has committed already). Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._conn.close()

    def __enter__(self) -> CaptureStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<CaptureStore {self._path}>"


class StoreReader:
    """The messages of a store file, read in spans of seqs by whichever process asks.

    A forked judge reads its span itself, so the parent hands out two integers per span and
    never the messages. Each process opens its own read-only connection (a SQLite connection
    must not cross a fork); the store's writer has committed everything before judging starts.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._inherited: list[sqlite3.Connection] = []

    def _open(self) -> sqlite3.Connection:
        uri = Path(self.path).resolve().as_uri() + "?mode=ro"
        try:
            return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as err:
            raise StoreError(f"store {self.path}: cannot open: {err}") from None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            if self._conn is not None:
                # The parent's, inherited by a fork: kept unclosed, since closing SQLite's
                # handle in a child can act on the parent's locks and WAL files.
                self._inherited.append(self._conn)
            self._conn = self._open()
            self._pid = os.getpid()
        return self._conn

    def spans(self, size: int) -> Iterator[Span]:
        """(first seq, last seq) of each run of `size` messages, in arrival order."""
        conn = self._open()  # its own: a pool consumes this generator in another thread
        try:
            first = last = taken = 0
            for (seq,) in conn.execute("SELECT seq FROM messages ORDER BY seq"):
                if taken == 0:
                    first = seq
                last = seq
                taken += 1
                if taken == size:
                    yield first, last
                    taken = 0
            if taken:
                yield first, last
        finally:
            conn.close()

    def read(self, span: Span) -> list[CapturedMessage]:
        rows = self._connection().execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE seq BETWEEN ? AND ? ORDER BY seq",
            span,
        )
        return [_message_from_row(row) for row in rows]

    def __len__(self) -> int:
        row = self._connection().execute("SELECT count(*) FROM messages").fetchone()
        return int(row[0])


def _text(value: str) -> str | bytes:
    """A string for a TEXT column, or the bytes it was escaped from: aiosmtpd hands over an
    address holding invalid UTF-8 with surrogate escapes, which SQLite cannot encode."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape")
    return value


def _string(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return str(value)


def _message_row(m: CapturedMessage) -> tuple[object, ...]:
    rcpts = json.dumps(list(m.rcpt_tos))  # ASCII: escapes any surrogate
    auth_user = None if m.auth_user is None else _text(m.auth_user)
    return (
        m.seq, _text(m.mail_from), rcpts, m.raw, _text(m.peer), m.session, int(m.tls), auth_user,
        m.received_at, m.front_door, m.call, _text(m.evidence),
    )  # fmt: skip


def _refusal_row(r: Refusal) -> tuple[object, ...]:
    rcpts = json.dumps(list(r.rcpt_tos))
    return (
        r.seq, r.stage, _text(r.reply), _text(r.mail_from), rcpts, r.raw, _text(r.peer),
        r.session, r.at, r.front_door, r.call,
    )  # fmt: skip


def _message_from_row(row: tuple[Any, ...]) -> CapturedMessage:
    seq, mail_from, rcpts, raw, peer, session, tls, auth_user, received_at, door, call, ev = row
    return CapturedMessage(
        seq=int(seq),
        mail_from=_string(mail_from),
        rcpt_tos=tuple(json.loads(str(rcpts))),
        raw=bytes(raw),
        peer=_string(peer),
        session=int(session),
        received_at=float(received_at),
        tls=bool(tls),
        auth_user=None if auth_user is None else _string(auth_user),
        front_door=str(door),
        call=str(call),
        evidence=_string(ev),
    )


def _refusal_from_row(row: tuple[Any, ...]) -> Refusal:
    seq, stage, reply, mail_from, rcpts, raw, peer, session, at, door, call = row
    return Refusal(
        seq=int(seq),
        stage=str(stage),
        reply=_string(reply),
        mail_from=_string(mail_from),
        rcpt_tos=tuple(json.loads(str(rcpts))),
        raw=bytes(raw),
        peer=_string(peer),
        session=int(session),
        at=float(at),
        front_door=str(door),
        call=str(call),
    )
