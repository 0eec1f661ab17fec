"""The aiosmtpd handler of the capturing sink: accept everything, record it, relay nothing.

`CaptureHandler` owns the sink's whole state (messages, counters, last activity) behind one
lock, because aiosmtpd calls it from the sink's loop thread while tests and the runner read it
from theirs. A message is stored before `handle_DATA` returns, so before the client sees
`250 OK`: once `sendmail()` has returned, the message is in `messages()`.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from harness.sink.capture import CapturedMessage


def format_peer(peer: Any) -> str:
    """`("127.0.0.1", 5000)` -> `127.0.0.1:5000`; IPv6 hosts in brackets; else `str(peer)`."""
    if isinstance(peer, tuple) and len(peer) >= 2:
        host, port = str(peer[0]), peer[1]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return str(peer)


def session_tls(session: Any) -> bool:
    """True once the session has done STARTTLS (aiosmtpd keeps the SSL facts there)."""
    return getattr(session, "ssl", None) is not None


def session_user(session: Any) -> str | None:
    """The login of an authenticated session, else None."""
    if not getattr(session, "authenticated", False):
        return None
    login = getattr(getattr(session, "auth_data", None), "login", None)
    if isinstance(login, bytes):
        return login.decode("utf-8", errors="replace")
    return None if login is None else str(login)


class CaptureHandler:
    """aiosmtpd handler hooks (duck-typed) plus the session bookkeeping of the sink."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._messages: list[CapturedMessage] = []
        self._seq = 0
        self._connections_seen = 0
        self._open_sessions = 0
        self._last_activity = time.monotonic()

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

    async def handle_RCPT(
        self,
        server: Any,
        session: Any,
        envelope: Any,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Accept every recipient: the sink delivers nowhere, so no address is refused."""
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Record the message, then (and only then) answer 250."""
        raw = envelope.original_content
        with self._cond:
            self._seq += 1
            self._messages.append(
                CapturedMessage(
                    seq=self._seq,
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    raw=bytes(raw) if raw is not None else b"",
                    peer=format_peer(session.peer),
                    session=getattr(server, "session_number", 0),
                    received_at=time.time(),
                    tls=session_tls(session),
                    auth_user=session_user(session),
                )
            )
            self._touch()
        return "250 OK"

    # -- readers, any thread -----------------------------------------------------------------

    def messages(self) -> list[CapturedMessage]:
        with self._cond:
            return list(self._messages)

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
        with self._cond:
            self._messages.clear()
            self._seq = 0
            self._connections_seen = 0
            self._touch()

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
