"""The sink relays nothing: mail to a real-looking domain is stored, and no connection leaves."""

from __future__ import annotations

import smtplib
import socket
from pathlib import Path
from typing import Any

import pytest

from harness.sink.server import CaptureSink
from harness.sink.store import CaptureStore


def test_mail_to_a_real_domain_is_stored_not_relayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connects: list[Any] = []
    real_connect = socket.socket.connect

    def recording_connect(self: socket.socket, address: Any) -> None:
        connects.append(address)
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", recording_connect)
    with CaptureStore(tmp_path / "s.sqlite") as store, CaptureSink(store=store) as sink:
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
            client.sendmail("a@example.org", ["someone@gmail.com"], b"Subject: x\r\n\r\nx\r\n")
        assert sink.wait_idle(grace=0.05, timeout=5)
        [message] = sink.messages()
    assert message.rcpt_tos == ("someone@gmail.com",)
    assert connects == [(sink.host, sink.port)]  # only our own client's connection
