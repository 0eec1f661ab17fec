"""The in-process capturing SMTP sink: aiosmtpd on an asyncio loop in a daemon thread.

We bind the listening socket ourselves and hand it to `loop.create_server(sock=...)` instead
of using aiosmtpd's `Controller`: with `port=0`, `Controller` 1.4.x tries to connect to port 0
to check readiness (upstream issue #388). Binding first also turns "address already in use"
into one clear `SinkError` in the caller's thread.

Relies on aiosmtpd 1.4.6 (pinned): the `SMTP.connection_made` / `connection_lost` protocol
methods, the documented `line_length_limit` class attribute, the private
`_handler_coroutine` task that `connection_made` creates, and the private `_auth_required`
flag (set after construction: aiosmtpd warns on every connection when AUTH is required
without TLS, which a loopback test sink legitimately does), and the private `_getaddr`, which
we replace by the same parse without its cost (see `_SinkSMTP._getaddr`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import logging
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from email._header_value_parser import get_addr_spec, get_angle_addr
from email.errors import HeaderParseError
from types import TracebackType
from typing import Any

from aiosmtpd.smtp import SMTP

from harness.errors import SinkError
from harness.sink.api import default_providers
from harness.sink.api.core import ApiDoors, Provider
from harness.sink.capture import CapturedMessage, MessageSource, Refusal
from harness.sink.capture_log import MemoryLog, StoreLog
from harness.sink.faults import FaultPlan
from harness.sink.handler import CaptureHandler, Listener
from harness.sink.protocol import SinkProtocol
from harness.sink.store import CaptureStore

__all__ = ["SINK_HOSTNAME", "CaptureSink", "check_listen_address"]

SINK_HOSTNAME = "mailharness.sink.test"  # the 220/EHLO name; a literal, so no DNS lookup

# aiosmtpd logs to "mail.log" (a deprecation warning on every AUTH, one line per timeout): with
# no handler configured anywhere, Python's last-resort handler would print them on stderr.
logging.getLogger("mail.log").addHandler(logging.NullHandler())
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0


class _SinkSMTP(SMTP):
    """aiosmtpd's SMTP protocol, reporting connection open/close to the handler."""

    # The sink records what the pipeline sends; it does not police RFC 5321's 1000-octet
    # line limit (aiosmtpd would answer 500 and the run would fail as an adapter error).
    line_length_limit = 1024 * 1024

    def __init__(self, handler: CaptureHandler, live: _LiveSessions, **kwargs: Any) -> None:
        auth_required = kwargs.pop("auth_required", False)
        # Before SMTP.__init__, which sizes its StreamReader by it (SinkProtocol sets it).
        self.line_length_limit = kwargs.pop("line_length_limit", self.line_length_limit)
        super().__init__(handler, **kwargs)
        self._auth_required = auth_required
        self._capture = handler
        self._live = live
        self.session_number = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = self.session_number == 0  # connection_made runs again after STARTTLS
        super().connection_made(transport)
        if not first:
            return
        self.session_number = self._capture.session_opened()
        self._live.add(self)
        task = self._handler_coroutine
        if task is not None:
            # aiosmtpd's _handle_client re-raises ConnectionResetError and nobody awaits
            # this task; should a reset ever end it that way, retrieve the exception so
            # asyncio does not log "Task exception was never retrieved" at collection.
            task.add_done_callback(_retrieve)

    def connection_lost(self, error: Exception | None) -> None:
        try:
            super().connection_lost(error)
        finally:
            if self._live.discard(self):
                self._capture.session_closed()

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """aiosmtpd's parse of a MAIL FROM / RCPT TO argument, unchanged in result. Its own
        version defines a `typing.Protocol` class on every call: a class creation per MAIL and
        RCPT was a quarter of the sink's CPU. Bulk mail repeats its addresses, so the parse is
        cached as well."""
        if not arg:
            return "", ""
        addr, rest = _parse_address(arg)
        if addr is None:
            return None, None
        if self.local_part_limit and len(addr.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return addr, rest


@functools.lru_cache(maxsize=65536)
def _parse_address(arg: str) -> tuple[str | None, str | None]:
    try:
        if arg.lstrip().startswith("<"):
            angle, rest = get_angle_addr(arg)
            return angle.addr_spec, rest
        spec, rest = get_addr_spec(arg)
        return spec.addr_spec, rest
    except HeaderParseError:
        return None, None


class _LiveSessions:
    """The open SMTP protocols of one serving period; used only in the loop thread."""

    def __init__(self) -> None:
        self._protocols: set[_SinkSMTP] = set()
        self._empty = asyncio.Event()
        self._empty.set()

    def add(self, proto: _SinkSMTP) -> None:
        self._protocols.add(proto)
        self._empty.clear()

    def discard(self, proto: _SinkSMTP) -> bool:
        """Forget `proto`; True if it was open."""
        if proto not in self._protocols:
            return False
        self._protocols.discard(proto)
        if not self._protocols:
            self._empty.set()
        return True

    async def close_all(self, timeout: float) -> None:
        for proto in list(self._protocols):
            if proto.transport is not None:
                proto.transport.close()
        with contextlib.suppress(asyncio.TimeoutError):
            # If some connection_lost never comes, the loop's teardown cancels the rest.
            await asyncio.wait_for(self._empty.wait(), timeout)


def _retrieve(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


def _resolve_loopback(host: str) -> bool:
    """True if `host` is a loopback literal, or a name that resolves only to loopback."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(infos) and all(
        ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos
    )


def check_listen_address(host: str, allow_non_loopback: bool = False) -> None:
    """Raise SinkError unless `host` is loopback or exposing the sink was asked for."""
    if not allow_non_loopback and not _resolve_loopback(host):
        raise SinkError(
            f"refusing to listen on {host}: not a loopback address"
            " (pass allow_non_loopback=True, or --allow-remote, to expose the sink)"
        )


def _bind(host: str, port: int) -> socket.socket:
    """A bound, listening, non-blocking socket, or a one-line SinkError."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as err:
        raise SinkError(f"cannot listen on {_hostport(host, port)}: {_reason(err)}") from None
    family, type_, proto, _, address = infos[0]
    sock = socket.socket(family, type_, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(128)
        sock.setblocking(False)
    except OSError as err:
        sock.close()
        raise SinkError(f"cannot listen on {_hostport(host, port)}: {_reason(err)}") from None
    return sock


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _reason(err: OSError) -> str:
    text = err.strerror or str(err)
    return text[:1].lower() + text[1:]


class CaptureSink:
    """An SMTP server that accepts every message and records it as a `CapturedMessage`.

    Use as a context manager, or call `start()` and `stop()`. It listens on loopback only
    unless `allow_non_loopback=True`. `port=0` picks a free port; read it back from `.port`.

    `store`: record into this durable `CaptureStore` (the caller opens and closes it) instead
    of an in-memory list. `faults`: inject these faults. `listener`: called in the sink's
    thread with every message stored and every refusal made (keep it quick). `api`: the email
    providers' HTTP APIs to serve beside SMTP (`harness.sink.api`; default: every one, `()`:
    none), each on a port of its own on the same host (`api_ports`: name -> port; default: a
    free one); read their base URLs from `.api_urls`.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        allow_non_loopback: bool = False,
        protocol: SinkProtocol | None = None,
        store: CaptureStore | None = None,
        faults: FaultPlan | None = None,
        listener: Listener | None = None,
        api: Sequence[Provider] | None = None,
        api_ports: Mapping[str, int] | None = None,
    ) -> None:
        check_listen_address(host, allow_non_loopback)
        self._host = host
        self._port = port
        self.protocol = protocol or SinkProtocol()
        log = StoreLog(store) if store is not None else MemoryLog()
        self._handler = CaptureHandler(log, faults, listener)
        self.store = store
        providers = default_providers() if api is None else api
        try:
            self._doors = ApiDoors(self._handler, host, providers, api_ports)
        except ValueError as err:
            raise SinkError(str(err)) from None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._live: _LiveSessions | None = None  # created and used in the loop thread

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        """The real bound port once started (the requested one before)."""
        return self._port

    @property
    def api_urls(self) -> dict[str, str]:
        """Each API front door's base URL ("sendgrid" -> "http://127.0.0.1:PORT"), once started."""
        return self._doors.urls

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> CaptureSink:
        if self._thread is not None:
            raise SinkError("the sink is already running")
        sock = _bind(self._host, self._port)
        self._port = int(sock.getsockname()[1])
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=self._run, args=(loop,), name=f"mailharness-sink-{self._port}", daemon=True
        )
        self._loop, self._thread = loop, thread
        thread.start()
        try:
            future = asyncio.run_coroutine_threadsafe(self._serve(sock), loop)
            future.result(_START_TIMEOUT)
        except Exception as err:
            sock.close()
            self._halt()
            reason = str(err) or type(err).__name__
            where = _hostport(self._host, self._port)
            raise SinkError(f"cannot start the sink on {where}: {reason}") from err
        return self

    def stop(self) -> None:
        """Close the listener and every open session, then end the loop thread. Idempotent."""
        if self._thread is None:
            return
        assert self._loop is not None
        try:
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
            future.result(_STOP_TIMEOUT)
        finally:
            self._halt()

    def __enter__(self) -> CaptureSink:
        """Start the sink unless `start()` was already called."""
        return self if self.running else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _halt(self) -> None:
        """Stop the loop and join its thread (which closes the loop)."""
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_STOP_TIMEOUT)
        self._loop = self._thread = None
        self._server = self._live = None

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            leftovers = asyncio.all_tasks(loop)
            for task in leftovers:
                task.cancel()
            if leftovers:
                loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    async def _serve(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        live = self._live = _LiveSessions()
        options = self.protocol.smtp_options()  # once: the SSL context is shared

        def factory() -> _SinkSMTP:
            return _SinkSMTP(
                self._handler,
                live,
                hostname=SINK_HOSTNAME,
                enable_SMTPUTF8=True,
                decode_data=False,
                loop=loop,
                **options,
            )

        self._server = await loop.create_server(factory, sock=sock)
        await self._doors.start(_bind)

    async def _shutdown(self) -> None:
        await self._doors.stop()
        if self._server is not None:
            self._server.close()
        if self._live is not None:
            await self._live.close_all(_STOP_TIMEOUT / 2)
        if self._server is not None:
            await self._server.wait_closed()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if tasks:
            await asyncio.wait(tasks, timeout=_STOP_TIMEOUT / 2)

    # -- what the sink saw --------------------------------------------------------------------

    def messages(self) -> list[CapturedMessage]:
        """A snapshot of every accepted message, in arrival order."""
        return self._handler.messages()

    def iter_messages(self) -> Iterator[CapturedMessage]:
        """Every accepted message in arrival order, streamed from the store if there is one."""
        return self._handler.iter_messages()

    def message_source(self) -> MessageSource:
        """Every accepted message, for judging in forked workers: they read the store file
        (or the list they inherit) themselves."""
        return self._handler.message_source()

    def refusals(self) -> list[Refusal]:
        """Every command answered with an injected fault, in order."""
        return self._handler.refusals()

    @property
    def message_count(self) -> int:
        return self._handler.message_count

    def wait_for_message(self, timeout: float) -> bool:
        """Block until a message was accepted; False if `timeout` seconds pass first."""
        return self._handler.wait_for_message(timeout)

    def clear(self) -> None:
        """Forget the messages and restart seq and session numbering (to reuse the sink)."""
        self._handler.clear()

    @property
    def connections_seen(self) -> int:
        return self._handler.connections_seen

    @property
    def copies_captured(self) -> int:
        """Copies recorded since the last clear: cheap, for a progress display."""
        return self._handler.copies_captured

    @property
    def open_sessions(self) -> int:
        return self._handler.open_sessions

    def wait_idle(self, grace: float = 0.2, timeout: float = 30.0) -> bool:
        """Block until no session is open and the sink was idle for `grace` seconds.

        Return False if `timeout` passed first (some client still holds a session open).
        """
        return self._handler.wait_idle(grace, timeout)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<CaptureSink {_hostport(self._host, self._port)} {state}>"
