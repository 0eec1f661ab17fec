"""The aiosmtpd handler of the capturing sink: accept everything, record it, relay nothing.

`CaptureHandler` is aiosmtpd's hooks plus the sink's session bookkeeping (counters, open
sessions, last activity) behind one lock, because aiosmtpd calls it from the sink's loop
thread while tests and the runner read it from theirs. What is accepted or refused goes to a
`CaptureLog` (`capture_log.py`: a list in memory, or the SQLite store) through
`record_message` and `record_refusal`, the one recording path every front door of the sink
uses. A message is recorded before `handle_DATA` returns, so before the client sees `250 OK`.

With a `FaultPlan`, MAIL, RCPT and DATA may be answered with an injected fault instead; every
refusal is recorded (as a `Refusal`) before its reply goes out.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from harness.sink.capture import CapturedMessage, MessageSource, Refusal
from harness.sink.capture_log import CaptureLog, MemoryLog
from harness.sink.faults import FaultPlan, FaultRule
from harness.sink.store import StoreError

# Called in the sink's loop thread for every message stored and every refusal recorded.
Listener = Callable[[CapturedMessage | Refusal], None]


def format_peer(peer: Any) -> str:
    """`("127.0.0.1", 5000)` -> `127.0.0.1:5000`; IPv6 hosts in brackets; else `str(peer)`."""
    if isinstance(peer, tuple) and len(peer) >= 2:
        host, port = str(peer[0]), peer[1]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return str(peer)


def session_facts(session: Any) -> tuple[bool, str | None]:
    """(TLS in use, the authenticated login) of an aiosmtpd session."""
    tls = getattr(session, "ssl", None) is not None
    user: str | None = None
    if getattr(session, "authenticated", False):
        data = getattr(session, "auth_data", None)
        login = getattr(data, "login", data)
        if isinstance(login, bytes):
            user = login.decode("utf-8", "replace")
        elif isinstance(login, str):
            user = login
    return tls, user


class CaptureHandler:
    """aiosmtpd handler hooks (duck-typed) plus the session bookkeeping of the sink."""

    def __init__(
        self,
        log: CaptureLog | None = None,
        faults: FaultPlan | None = None,
        listener: Listener | None = None,
    ) -> None:
        self._cond = threading.Condition(threading.Lock())
        self.log: CaptureLog = log if log is not None else MemoryLog()
        self._faults = faults if faults else None
        self._listener = listener
        self._count = 0
        self._copies = 0  # messages x envelope recipients
        self._connections_seen = 0
        self._open_sessions = 0
        self._last_activity = time.monotonic()

    @property
    def faults(self) -> FaultPlan | None:
        """The sink's fault plan (the API front doors draw at its "api" stage)."""
        return self._faults

    # -- session bookkeeping, called by the SMTP protocol in the loop thread ----------------

    def session_opened(self) -> int:
        """Count a new connection; return its session number (from 1 since the last clear)."""
        with self._cond:
            self._connections_seen += 1
            self._open_sessions += 1
            self._touch()
            return self._connections_seen

    def session_closed(self) -> None:
        with self._cond:
            self._open_sessions = max(0, self._open_sessions - 1)
            self._touch()

    def _touch(self) -> None:
        # Caller holds the lock.
        self._last_activity = time.monotonic()
        self._cond.notify_all()

    # -- aiosmtpd hooks -----------------------------------------------------------------------

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        """Advertise PIPELINING (aiosmtpd reads commands in order, so it can take them), and
        drop an AUTH line that offers no mechanism (a sink without credentials)."""
        session.host_name = hostname  # this hook's duty in aiosmtpd 1.4
        kept = [r for r in responses if r.rstrip() != "250-AUTH"]
        return [*kept[:-1], "250-PIPELINING", kept[-1]]

    async def handle_MAIL(
        self,
        server: Any,
        session: Any,
        envelope: Any,
        address: str,
        mail_options: list[str],
    ) -> str:
        fault = await self._apply_fault("mail", server)
        if fault is not None:
            return await self._refuse(fault, server, session, address, (), b"")
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: Any,
        session: Any,
        envelope: Any,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Accept every recipient (the sink delivers nowhere), unless a fault says otherwise."""
        fault = await self._apply_fault("rcpt", server)
        if fault is not None:
            mail_from = envelope.mail_from or ""
            return await self._refuse(fault, server, session, mail_from, (address,), b"")
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Record the message, then (and only then) answer 250."""
        raw = envelope.original_content
        raw = bytes(raw) if raw is not None else b""
        fault = self._faults.draw("data") if self._faults is not None else None
        if fault is not None and fault.action != "slow":
            rcpts = tuple(envelope.rcpt_tos)
            return await self._refuse(fault, server, session, envelope.mail_from or "", rcpts, raw)
        tls, auth_user = session_facts(session)
        pending = CapturedMessage(
            seq=0,
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=raw,
            peer=format_peer(session.peer),
            session=getattr(server, "session_number", 0),
            received_at=time.time(),
            tls=tls,
            auth_user=auth_user,
        )
        try:
            await self.record_message(pending)
        except StoreError as err:
            # Not stored, so not accepted: a temporary failure the client will retry.
            reply = f"451 4.3.0 mailharness could not store the message: {err}"
            await self.record_unstored(pending, "data", reply)
            return reply
        if fault is not None:
            await asyncio.sleep(fault.delay)  # stored already: only the 250 is late
        return "250 OK"

    async def _apply_fault(self, stage: str, server: Any) -> FaultRule | None:
        """Draw the fault for this command; a slow one is served here (and then None)."""
        if self._faults is None:
            return None
        fault = self._faults.draw(stage)
        if fault is not None and fault.action == "slow":
            await asyncio.sleep(fault.delay)
            return None
        return fault

    async def _refuse(
        self,
        fault: FaultRule,
        server: Any,
        session: Any,
        mail_from: str,
        rcpt_tos: tuple[str, ...],
        raw: bytes,
    ) -> str:
        """Record the refusal, then answer it (or drop the connection)."""
        pending = Refusal(
            seq=0,
            stage=fault.stage,
            reply=fault.reply if fault.action == "reply" else "drop",
            mail_from=mail_from,
            rcpt_tos=rcpt_tos,
            raw=raw,
            peer=format_peer(session.peer),
            session=getattr(server, "session_number", 0),
            at=time.time(),
        )
        await self.record_refusal(pending)
        transport = getattr(server, "transport", None)
        if fault.action == "drop" and transport is not None:
            transport.abort()  # before aiosmtpd writes the reply, so none goes out
        elif fault.code == 421 and transport is not None:
            # 421 closes the session; the reply is written in this same step, before this runs.
            asyncio.get_running_loop().call_soon(transport.close)
        return pending.reply if fault.action == "reply" else "421 4.4.2 connection dropped"

    async def record_message(self, pending: CapturedMessage) -> CapturedMessage:
        """Record an accepted message (its seq is ignored) and return it with its seq; raise
        `StoreError` if it could not be recorded. Every front door of the sink calls this."""
        stored = await self.log.commit(pending)
        assert isinstance(stored, CapturedMessage)
        with self._cond:
            self._count += 1
            self._copies += len(stored.rcpt_tos)
            self._touch()
        self._notify(stored)
        return stored

    async def record_refusal(self, pending: Refusal) -> Refusal:
        """Record a refusal before its reply goes out; raise `StoreError` if it could not be."""
        stored = await self.log.commit(pending)
        assert isinstance(stored, Refusal)
        with self._cond:
            self._touch()
        self._notify(stored)
        return stored

    async def record_unstored(self, message: CapturedMessage, stage: str, reply: str) -> None:
        """Record the refusal of a message the log could not take; should that fail as well,
        the listener still hears of it (the sink prints it)."""
        refusal = Refusal(
            seq=0,
            stage=stage,
            reply=reply,
            mail_from=message.mail_from,
            rcpt_tos=message.rcpt_tos,
            raw=message.raw,
            peer=message.peer,
            session=message.session,
            at=time.time(),
            front_door=message.front_door,
            call=message.call,
        )
        try:
            await self.record_refusal(refusal)
        except StoreError:
            self._notify(refusal)

    def _notify(self, record: CapturedMessage | Refusal) -> None:
        if self._listener is not None:
            self._listener(record)

    # -- readers, any thread -----------------------------------------------------------------

    def messages(self) -> list[CapturedMessage]:
        return list(self.iter_messages())

    def iter_messages(self) -> Iterator[CapturedMessage]:
        """Every message in arrival order; streamed from the store when there is one."""
        return self.log.iter_messages()

    def message_source(self) -> MessageSource:
        """Every message so far, as spans forked judges read for themselves."""
        return self.log.message_source()

    def refusals(self) -> list[Refusal]:
        return self.log.refusals()

    @property
    def message_count(self) -> int:
        """Messages accepted since the last clear."""
        with self._cond:
            return self._count

    @property
    def copies_captured(self) -> int:
        """Copies (message x envelope recipient) accepted since the last clear."""
        return self._copies  # one int read: no lock needed for a progress display

    @property
    def connections_seen(self) -> int:
        with self._cond:
            return self._connections_seen

    @property
    def open_sessions(self) -> int:
        with self._cond:
            return self._open_sessions

    def clear(self) -> None:
        """Forget every message and restart seq and the session count (open sessions stay)."""
        self.log.clear()
        with self._cond:
            self._count = self._copies = 0
            self._connections_seen = 0
            self._touch()

    def wait_for_message(self, timeout: float) -> bool:
        """Block until at least one message was accepted; False if `timeout` passes first."""
        with self._cond:
            return self._cond.wait_for(lambda: self._count > 0, timeout)

    def wait_idle(self, grace: float, timeout: float) -> bool:
        """Block until no session is open and nothing happened for `grace` seconds.

        Return False if `timeout` seconds pass first.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                if self._open_sessions == 0:
                    quiet_until = self._last_activity + grace
                    if now >= quiet_until:
                        return True
                    wake = min(quiet_until, deadline)
                else:
                    wake = deadline
                if now >= deadline:
                    return False
                self._cond.wait(wake - now)
