"""The provider-neutral core: a call is recorded before its 2xx, a request in flight is an open
session, a call the store cannot take is refused and recorded, and a provider plugs in."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

import pytest

from harness.sink.api.core import Answer, ApiError, Call, Delivery, Endpoint
from harness.sink.api.postmark import Postmark
from harness.sink.capture import CapturedMessage
from harness.sink.server import CaptureSink, SinkError
from harness.sink.store import CaptureStore
from tests.api.conftest import post
from tests.api.test_sendgrid import KEY, minimal


class Echo:
    """A provider in a few lines: POST /send {"to": [...]} delivers one message to them; it
    waits for `release` first, so a test can look at the sink while the call is in flight."""

    name = "echo"
    body_limit = 1024

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def routes(self) -> Iterable[tuple[str, str, Endpoint]]:
        return [("POST", "/send", self.send)]

    def error(self, status: int, message: str) -> ApiError:
        return ApiError(status, {"error": message})

    async def send(self, call: Call) -> Answer:
        body = call.json(lambda why: self.error(400, why))
        self.entered.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
        raw = b"Subject: echo\r\n\r\nhi\r\n"
        return Answer(200, {"ok": True}, [Delivery("me@example.org", tuple(body["to"]), raw, {})])


def test_a_call_in_flight_is_an_open_session_and_its_answer_follows_the_commit() -> None:
    echo = Echo()
    with CaptureSink(api=[echo]) as sink:
        answers: list[int] = []
        caller = threading.Thread(
            target=lambda: answers.append(
                post(sink.api_urls["echo"] + "/send", {"to": ["a@example.com"]})[0]
            )
        )
        caller.start()
        assert echo.entered.wait(10)
        assert sink.open_sessions == 1
        assert sink.wait_idle(grace=0.0, timeout=0.05) is False
        echo.release.set()
        caller.join(10)
        assert answers == [200]
        assert sink.open_sessions == 0
        [message] = sink.messages()
        assert (message.front_door, message.call, message.rcpt_tos) == (
            "echo",
            "echo-1",
            ("a@example.com",),
        )
        assert sink.connections_seen == 1


def test_a_call_the_store_cannot_take_gets_no_2xx_and_its_refusal_is_recorded(
    tmp_path: Path,
) -> None:
    heard: list[object] = []
    with CaptureStore(tmp_path / "s.sqlite") as store:
        insert = store._insert

        def refuse_messages(records):  # type: ignore[no-untyped-def]
            if any(isinstance(r, CapturedMessage) for r in records):
                raise sqlite3.OperationalError("database or disk is full")
            return insert(records)

        store._insert = refuse_messages  # type: ignore[method-assign]
        with CaptureSink(store=store, listener=heard.append) as sink:
            url = sink.api_urls["sendgrid"] + "/v3/mail/send"
            status, answer, _ = post(url, minimal(), KEY)
            assert status == 500
            assert answer["errors"][0]["message"] == "mailharness could not store the message"
            assert sink.messages() == []
            [refusal] = sink.refusals()
            assert (refusal.front_door, refusal.stage, refusal.rcpt_tos) == (
                "sendgrid",
                "request",
                ("a@example.com",),
            )
            assert refusal.reply.startswith("500 mailharness could not store")
            assert heard == [refusal]


def test_every_message_of_a_call_is_committed_before_the_202(tmp_path: Path) -> None:
    with CaptureStore(tmp_path / "s.sqlite") as store, CaptureSink(store=store) as sink:
        body = minimal(
            personalizations=[{"to": [{"email": f"r{i}@example.com"}]} for i in range(50)]
        )
        assert post(sink.api_urls["sendgrid"] + "/v3/mail/send", body, KEY)[0] == 202
        # Read back through a second connection: committed, not merely queued.
        with CaptureStore(tmp_path / "s.sqlite", create=False) as again:
            assert again.count() == 50
        assert store.commits < 50  # one call's messages share group commits


def test_export_writes_an_api_messages_request_beside_its_eml(tmp_path: Path) -> None:
    from harness.sink.export import export_emls

    with CaptureSink() as sink:
        assert post(sink.api_urls["sendgrid"] + "/v3/mail/send", minimal(), KEY)[0] == 202
        assert export_emls(sink.messages(), tmp_path) == 1
    [message] = sink.messages()
    assert (tmp_path / "000001.eml").read_bytes() == message.raw
    written = json.loads((tmp_path / "000001.request.json").read_text())
    assert (written["front_door"], written["call"]) == ("sendgrid", message.call)
    assert written["evidence"]["to"] == ["a@example.com"]


def test_a_door_listens_on_the_port_asked_for_and_an_unknown_name_is_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with CaptureSink(api=[Postmark()], api_ports={"postmark": port}) as sink:
        assert sink.api_urls == {"postmark": f"http://127.0.0.1:{port}"}
    with pytest.raises(SinkError, match="no front door named sendgrid"):
        CaptureSink(api=[Postmark()], api_ports={"sendgrid": port})
