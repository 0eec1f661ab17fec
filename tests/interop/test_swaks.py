"""swaks (Debian's package), a real SMTP client, against the sink: plain, STARTTLS, AUTH."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from harness.sink.protocol import Credentials, SinkProtocol
from harness.sink.server import CaptureSink
from harness.sink.store import CaptureStore
from harness.sink.tls import TlsIdentity
from tests.commands.sinkproc import SinkProcess
from tests.interop.conftest import require_binary

pytestmark = pytest.mark.slow

ACCOUNT = Credentials("vendor", "pa:ss word")


def swaks(sink: CaptureSink, *options: str) -> subprocess.CompletedProcess[str]:
    command: Sequence[str] = [
        require_binary("swaks"),
        "--server",
        f"127.0.0.1:{sink.port}",
        "--from",
        "office@school.example.org",
        "--to",
        "parent@example.com,other@example.net",
        "--header",
        "Subject: swaks interop",
        "--body",
        "Dear family,\nline two\n.leading dot\n",
        *options,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_plain() -> None:
    with CaptureSink() as sink:
        result = swaks(sink, "--pipeline")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "PIPELINING" in result.stdout
    [message] = sink.messages()
    assert message.rcpt_tos == ("parent@example.com", "other@example.net")
    assert b"Subject: swaks interop\r\n" in message.raw
    assert b"\r\n.leading dot\r\n" in message.raw  # un-dot-stuffed
    assert (message.tls, message.auth_user) == (False, None)


def test_starttls_verified(tls_identity: TlsIdentity) -> None:
    protocol = SinkProtocol(tls=tls_identity, require_tls=True)
    with CaptureSink(protocol=protocol) as sink:
        result = swaks(sink, "--tls", "--tls-verify", "--tls-ca-path", str(tls_identity.cert_file))
        assert result.returncode == 0, result.stdout + result.stderr
    [message] = sink.messages()
    assert message.tls


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_auth(mechanism: str) -> None:
    protocol = SinkProtocol(credentials=ACCOUNT, auth_required=True)
    with CaptureSink(protocol=protocol) as sink:
        result = swaks(
            sink,
            "--auth",
            mechanism,
            "--auth-user",
            ACCOUNT.user,
            "--auth-password",
            ACCOUNT.password,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    [message] = sink.messages()
    assert message.auth_user == "vendor"


def test_starttls_and_auth(tls_identity: TlsIdentity) -> None:
    protocol = SinkProtocol(
        tls=tls_identity, require_tls=True, credentials=ACCOUNT, auth_required=True
    )
    with CaptureSink(protocol=protocol) as sink:
        result = swaks(
            sink,
            "--tls",
            "--auth",
            "PLAIN",
            "--auth-user",
            ACCOUNT.user,
            "--auth-password",
            ACCOUNT.password,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    [message] = sink.messages()
    assert (message.tls, message.auth_user) == (True, "vendor")


def test_wrong_password_is_refused() -> None:
    protocol = SinkProtocol(credentials=ACCOUNT, auth_required=True)
    with CaptureSink(protocol=protocol) as sink:
        result = swaks(
            sink, "--auth", "LOGIN", "--auth-user", ACCOUNT.user, "--auth-password", "wrong"
        )
        assert result.returncode != 0
        assert "535" in result.stdout
        assert sink.messages() == []
        assert swaks(sink).returncode != 0  # and no mail without AUTH either (530)
    assert sink.messages() == []


def test_no_starttls_when_required_is_refused(tls_identity: TlsIdentity) -> None:
    with CaptureSink(protocol=SinkProtocol(tls=tls_identity, require_tls=True)) as sink:
        result = swaks(sink)
        assert result.returncode != 0
        assert "530" in result.stdout
    assert sink.messages() == []


def test_standalone_sink_with_tls_and_auth_records_into_its_store(tmp_path: Path) -> None:
    """`mailharness sink --sink-tls --sink-auth`: the certificate it made is named on its
    output, swaks verifies against it, and the store keeps the session's TLS and user."""
    store = tmp_path / "capture.sqlite"
    sink = SinkProcess(store, "--sink-tls", "--sink-auth", "vendor:pw", cwd=tmp_path)
    try:
        found = re.search(r"certificate (\S+\.pem)", sink.output())
        assert found, sink.output()
        assert "AUTH PLAIN/LOGIN required as vendor" in sink.output()
        command = [
            require_binary("swaks"),
            "--server",
            f"127.0.0.1:{sink.port}",
            "--from",
            "office@school.example.org",
            "--to",
            "parent@example.com",
            "--tls",
            "--tls-verify",
            "--tls-ca-path",
            found.group(1),
            "--auth",
            "LOGIN",
            "--auth-user",
            "vendor",
            "--auth-password",
            "pw",
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout
    finally:
        assert sink.stop() == 0
    with CaptureStore(store, create=False) as opened:
        [message] = list(opened.iter_messages())
    assert (message.tls, message.auth_user, message.rcpt_tos) == (
        True,
        "vendor",
        ("parent@example.com",),
    )
