"""The capture log: where every front door of the sink writes what it accepted or refused.

The SMTP hooks (`handler.py`) and the API front doors (`harness/sink/api/`) hand each accepted
message and each refusal to one `CaptureLog`, and answer their client only once `commit` has
returned: a message the client was told is accepted is in the log. Two implementations:

- `MemoryLog`: a list in this process (the default for in-process runs);
- `StoreLog`: a `CaptureStore` (SQLite), committed in groups by the sink's event loop. The
  first record of a loop iteration schedules one commit for the next iteration, and every
  record that arrives meanwhile joins it, so one transaction holds as many sessions' messages
  as were ready at once. A WAL commit without fsync costs tens of microseconds; handing each
  message to a writer thread and its result back cost more than that in thread switches.

One bad record never costs the others: when a group's transaction fails, its records are
written again one per transaction, and only those that fail alone are refused.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Protocol

from harness.sink.capture import CapturedMessage, ListSource, MessageSource, Refusal
from harness.sink.store import CaptureStore, StoreError

__all__ = ["CaptureLog", "MemoryLog", "Record", "StoreLog"]

Record = CapturedMessage | Refusal


class CaptureLog(Protocol):
    """Accepted messages and refusals, in arrival order, each with its seq once committed."""

    async def commit(self, record: Record) -> Record:
        """Record one message or refusal (its seq is ignored); return it with its seq once it
        is committed. Raise `StoreError` if it could not be recorded (then nothing of it is)."""
        ...

    def iter_messages(self) -> Iterator[CapturedMessage]:
        """Every message in arrival order (streamed from a store)."""
        ...

    def message_source(self) -> MessageSource:
        """Every message so far, as spans forked judges read for themselves."""
        ...

    def refusals(self) -> list[Refusal]: ...

    def clear(self) -> None:
        """Forget every message and refusal; seqs restart at 1."""
        ...


class MemoryLog:
    """Records held in this process, in two lists."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[CapturedMessage] = []
        self._refusals: list[Refusal] = []

    async def commit(self, record: Record) -> Record:
        with self._lock:
            if isinstance(record, CapturedMessage):
                message = replace(record, seq=len(self._messages) + 1)
                self._messages.append(message)
                return message
            refusal = replace(record, seq=len(self._refusals) + 1)
            self._refusals.append(refusal)
            return refusal

    def iter_messages(self) -> Iterator[CapturedMessage]:
        with self._lock:
            return iter(list(self._messages))

    def message_source(self) -> MessageSource:
        with self._lock:
            return ListSource(list(self._messages))

    def refusals(self) -> list[Refusal]:
        with self._lock:
            return list(self._refusals)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._refusals.clear()


class StoreLog:
    """Records committed to a `CaptureStore` by the event loop that awaits `commit`, in groups."""

    def __init__(self, store: CaptureStore) -> None:
        self.store = store
        self._pending: list[tuple[Record, asyncio.Future[Record]]] = []

    async def commit(self, record: Record) -> Record:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Record] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((record, future))
        return await future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        try:
            stored = self.store.write_group([record for record, _ in batch])
        except StoreError as group_failure:
            if len(batch) == 1:
                _settle(batch[0][1], group_failure)
                return
            for record, future in batch:  # isolate the record that cannot be written
                try:
                    [alone] = self.store.write_group([record])
                except StoreError as failure:
                    _settle(future, failure)
                else:
                    _settle(future, alone)
            return
        for (_, future), record in zip(batch, stored, strict=True):
            _settle(future, record)

    def iter_messages(self) -> Iterator[CapturedMessage]:
        return self.store.iter_messages()

    def message_source(self) -> MessageSource:
        reader = self.store.reader()
        if reader is not None:
            return reader
        return ListSource(list(self.store.iter_messages()))  # a private ":memory:" store

    def refusals(self) -> list[Refusal]:
        return self.store.refusals()

    def clear(self) -> None:
        self.store.clear()


def _settle(future: asyncio.Future[Record], outcome: Record | StoreError) -> None:
    if future.done():  # the session dropped meanwhile: committed (or not) all the same
        return
    if isinstance(outcome, StoreError):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
