"""The provider-neutral core of the API front doors.

A front door is an email provider's HTTP API (SendGrid, Postmark, ...) served by aiohttp on the
sink's own event loop, each provider on a loopback port of its own, at the root, where its SDK
finds it. A provider module turns one request (a `Call`) into an `Answer`: the status and body
the provider would answer, and the `Delivery`s it would make (envelope recipients and the RFC
5322 bytes each recipient receives). The core does everything else, the same for every
provider:

- the request body is read up to the provider's size limit (beyond it: the provider's 413);
- a request in flight counts as an open session of the sink (the idle wait waits for it);
- every delivery becomes a `CapturedMessage` (front door, call id, the request's evidence) and is
  committed through the sink's one recording path before the answer goes out, so a 2xx means
  every message of the call is recorded; one that cannot be is refused and recorded as such;
- a fault drawn at the sink's "api" stage (`--fault api:429:RATE`, `api:500:RATE`,
  `api:timeout:RATE:DELAY`, see faults.py) refuses the call in the provider's error shape with
  Retry-After, or answers it late after storing it;
- an `ApiError` raised by the provider (bad input, missing token, unknown path) is recorded as
  a `Refusal` (stage "request", reply "STATUS BODY") and answered as the provider answers it;
  nothing of that request is stored.

See docs/frontdoors.md for how a provider module plugs in.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from aiohttp import web

from harness.sink.capture import CapturedMessage, Refusal
from harness.sink.faults import RETRY_AFTER
from harness.sink.handler import CaptureHandler, format_peer
from harness.sink.store import StoreError

__all__ = [
    "Answer",
    "ApiDoors",
    "ApiError",
    "Call",
    "Delivery",
    "ItemRefusal",
    "Provider",
]


@dataclass(frozen=True)
class Delivery:
    """One message the provider would deliver: to these envelope recipients, these bytes."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    evidence: Mapping[str, Any]  # the part of the request it was built from (JSON-able)


@dataclass(frozen=True)
class ItemRefusal:
    """One item of a batch the provider refused while delivering the others."""

    reply: str
    mail_from: str = ""
    rcpt_tos: tuple[str, ...] = ()


@dataclass
class Answer:
    status: int
    body: Any  # JSON-able, or bytes sent as they are
    deliveries: list[Delivery] = field(default_factory=list)
    refused_items: list[ItemRefusal] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


class ApiError(Exception):
    """A request the provider refuses: its status code and error body (JSON-able or bytes)."""

    def __init__(
        self,
        status: int,
        body: Any,
        *,
        headers: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        super().__init__(f"{status} {_text(body)}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.content_type = content_type


@dataclass(frozen=True)
class Call:
    """One request to a front door, as a provider module reads it."""

    door: str
    id: str  # unique within the sink: "sendgrid-17"
    method: str
    path: str
    match: Mapping[str, str]  # the route's path variables
    headers: Mapping[str, str]  # case-insensitive
    query: Mapping[str, str]
    body: bytes

    def evidence(self, **facts: Any) -> dict[str, Any]:
        """A delivery's evidence: this call's request line, then `facts`."""
        return {"request": f"{self.method} {self.path}", **facts}

    def json(self, malformed: Callable[[str], ApiError]) -> Any:
        """The body as JSON, or the provider's error for a body that is not JSON."""
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise malformed(str(err)) from None


Endpoint = Callable[[Call], Awaitable[Answer]]


class Provider(Protocol):
    """One email provider's API. See docs/frontdoors.md."""

    name: str  # the front door's name: "sendgrid", also the CapturedMessage.front_door
    body_limit: int  # bytes; a larger request body gets `too_large()`

    def routes(self) -> Iterable[tuple[str, str, Endpoint]]:
        """(method, aiohttp path pattern, endpoint) for every path the provider serves."""
        ...

    def error(self, status: int, message: str) -> ApiError:
        """The provider's own error answer for a status the core decides (404, 413, 500)."""
        ...


class ApiDoors:
    """The front doors of one sink: one aiohttp site per provider, on the sink's loop."""

    def __init__(
        self,
        handler: CaptureHandler,
        host: str,
        providers: Sequence[Provider],
        ports: Mapping[str, int] | None = None,
    ) -> None:
        """`ports`: provider name -> the port its door listens on (default, or 0: a free one)."""
        self._handler = handler
        self._host = host
        self._providers = list(providers)
        self._ports = dict(ports or {})
        unknown = sorted(set(self._ports) - {p.name for p in self._providers})
        if unknown:
            served = ", ".join(p.name for p in self._providers) or "none"
            raise ValueError(f"no front door named {', '.join(unknown)} (served: {served})")
        self._runners: list[web.AppRunner] = []
        self._urls: dict[str, str] = {}
        self._calls = itertools.count(1)

    @property
    def urls(self) -> dict[str, str]:
        """provider name -> base URL (the root of its port), once started."""
        return dict(self._urls)

    async def start(self, bind: Callable[[str, int], socket.socket]) -> None:
        for provider in self._providers:
            app = web.Application(client_max_size=provider.body_limit + 1)
            for method, path, endpoint in provider.routes():
                app.router.add_route(method, path, self._serve(provider, endpoint))
            app.router.add_route("*", "/{tail:.*}", self._serve(provider, _not_found(provider)))
            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await runner.setup()
            self._runners.append(runner)
            sock = bind(self._host, self._ports.get(provider.name, 0))
            await web.SockSite(runner, sock).start()
            port = int(sock.getsockname()[1])
            host = f"[{self._host}]" if ":" in self._host else self._host
            self._urls[provider.name] = f"http://{host}:{port}"

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()

    def _serve(
        self, provider: Provider, endpoint: Endpoint
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def serve(request: web.Request) -> web.StreamResponse:
            session = self._handler.session_opened()
            try:
                return await self._answer(provider, endpoint, request, session)
            finally:
                self._handler.session_closed()

        return serve

    async def _answer(
        self, provider: Provider, endpoint: Endpoint, request: web.Request, session: int
    ) -> web.StreamResponse:
        transport = request.transport
        peer = format_peer(transport.get_extra_info("peername") if transport else "")
        call_id = f"{provider.name}-{next(self._calls)}"
        body = b""
        try:
            body = await _read_body(request, provider)
            call = Call(
                door=provider.name,
                id=call_id,
                method=request.method,
                path=request.path,
                match=dict(request.match_info),
                headers=request.headers,
                query=dict(request.query),
                body=body,
            )
            fault = self._handler.faults.draw("api") if self._handler.faults else None
            if fault is not None and fault.action == "reply":
                injected = provider.error(fault.code, "mailharness fault injection")
                injected.headers["Retry-After"] = str(RETRY_AFTER)
                raise injected
            answer = await endpoint(call)
        except ApiError as refused:
            reply = f"{refused.status} {_text(refused.body)}"
            await self._handler.record_refusal(
                _refusal(provider, call_id, reply, body, peer, session)
            )
            return _response(refused.status, refused.body, refused.headers, refused.content_type)
        for item in answer.refused_items:
            refusal = replace(
                _refusal(provider, call_id, item.reply, body, peer, session),
                mail_from=item.mail_from,
                rcpt_tos=item.rcpt_tos,
            )
            await self._handler.record_refusal(refusal)
        if not await self._commit(provider, call_id, answer.deliveries, peer, session):
            failed = provider.error(500, "mailharness could not store the message")
            return _response(failed.status, failed.body, failed.headers, failed.content_type)
        if fault is not None and fault.action == "timeout":
            await asyncio.sleep(fault.delay)  # stored already: only the answer is late
        return _response(answer.status, answer.body, answer.headers, answer.content_type)

    async def _commit(
        self,
        provider: Provider,
        call_id: str,
        deliveries: Sequence[Delivery],
        peer: str,
        session: int,
    ) -> bool:
        """Record every delivery (in one group commit); False if any could not be."""
        now = time.time()
        pending = [
            CapturedMessage(
                seq=0,
                mail_from=d.mail_from,
                rcpt_tos=d.rcpt_tos,
                raw=d.raw,
                peer=peer,
                session=session,
                received_at=now,
                front_door=provider.name,
                call=call_id,
                evidence=json.dumps(d.evidence, ensure_ascii=False, sort_keys=True),
            )
            for d in deliveries
        ]
        outcomes = await asyncio.gather(
            *(self._handler.record_message(m) for m in pending), return_exceptions=True
        )
        complete = True
        for message, outcome in zip(pending, outcomes, strict=True):
            if isinstance(outcome, StoreError):
                complete = False
                reply = f"500 mailharness could not store the message: {outcome}"
                await self._handler.record_unstored(message, "request", reply)
            elif isinstance(outcome, BaseException):
                raise outcome
        return complete


async def _read_body(request: web.Request, provider: Provider) -> bytes:
    limit = provider.body_limit
    if request.content_length is not None and request.content_length > limit:
        raise provider.error(413, f"request body over {limit} bytes")
    body = bytearray()
    async for chunk in request.content.iter_chunked(65536):
        body += chunk
        if len(body) > limit:
            raise provider.error(413, f"request body over {limit} bytes")
    return bytes(body)


def _not_found(provider: Provider) -> Endpoint:
    async def not_found(call: Call) -> Answer:
        raise provider.error(404, f"no such endpoint: {call.method} {call.path}")

    return not_found


def _refusal(
    provider: Provider, call_id: str, reply: str, body: bytes, peer: str, session: int
) -> Refusal:
    return Refusal(
        seq=0,
        stage="request",
        reply=reply,
        mail_from="",
        rcpt_tos=(),
        raw=body,
        peer=peer,
        session=session,
        at=time.time(),
        front_door=provider.name,
        call=call_id,
    )


def _text(body: Any) -> str:
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    return json.dumps(body, ensure_ascii=False)


def _response(
    status: int, body: Any, headers: Mapping[str, str], content_type: str
) -> web.Response:
    if body is None:
        return web.Response(status=status, headers=headers)
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return web.Response(status=status, body=data, headers=headers, content_type=content_type)
