"""Shared by the sink's tests: a TLS certificate made once, clients that trust it."""

from __future__ import annotations

import smtplib
import ssl

import pytest

from harness.sink.server import SINK_HOSTNAME
from harness.sink.tls import TlsIdentity, generate_self_signed

SENDER = "office@school.example.org"


@pytest.fixture(scope="session")
def tls_identity(tmp_path_factory: pytest.TempPathFactory) -> TlsIdentity:
    return generate_self_signed(tmp_path_factory.mktemp("tls"), SINK_HOSTNAME)


def trusting(identity: TlsIdentity) -> ssl.SSLContext:
    """A client context that verifies the sink's certificate, host name included."""
    return ssl.create_default_context(cafile=str(identity.cert_file))


def connect(port: int, host: str = "127.0.0.1") -> smtplib.SMTP:
    return smtplib.SMTP(host, port, timeout=10)


def message(subject: str = "x", body: str = "body") -> bytes:
    return f"From: {SENDER}\r\nSubject: {subject}\r\n\r\n{body}\r\n".encode()
