"""STARTTLS, AUTH PLAIN/LOGIN, SIZE, PIPELINING, 8BITMIME/SMTPUTF8: the sink as a real relay."""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.errors import SinkError
from harness.sink.protocol import Credentials, SinkProtocol
from harness.sink.server import CaptureSink
from harness.sink.tls import TlsIdentity, load_identity
from tests.sink.conftest import SENDER, connect, message, trusting

ACCOUNT = Credentials("vendor", "s3cret:with colon")


def serving(protocol: SinkProtocol) -> CaptureSink:
    return CaptureSink(protocol=protocol).start()


@pytest.fixture
def tls_sink(tls_identity: TlsIdentity) -> Iterator[CaptureSink]:
    with serving(SinkProtocol(tls=tls_identity)) as sink:
        yield sink


# --- STARTTLS ------------------------------------------------------------------------------


def test_starttls_with_the_generated_certificate_is_verified_and_recorded(
    tls_sink: CaptureSink, tls_identity: TlsIdentity
) -> None:
    with connect(tls_sink.port) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        client.starttls(context=trusting(tls_identity))  # verifies the name 127.0.0.1
        client.ehlo()
        assert not client.has_extn("starttls")
        client.sendmail(SENDER, ["a@example.com"], message("secure"))
        client.sendmail(SENDER, ["b@example.com"], message("secure too"))
    with connect(tls_sink.port) as client:
        client.sendmail(SENDER, ["c@example.com"], message("plain"))
    first, second, third = tls_sink.messages()
    assert (first.tls, second.tls, third.tls) == (True, True, False)
    assert first.session == second.session != third.session
    assert first.auth_user is None


@pytest.mark.parametrize("name", ["localhost", "::1"])
def test_the_certificate_names_every_loopback_spelling(
    tls_identity: TlsIdentity, name: str
) -> None:
    try:
        sink = CaptureSink(name, protocol=SinkProtocol(tls=tls_identity)).start()
    except SinkError:
        pytest.skip(f"{name} not configured here")
    with sink, smtplib.SMTP(name, sink.port, timeout=10) as client:
        client.starttls(context=trusting(tls_identity))
        client.sendmail(SENDER, ["a@example.com"], message())
    assert sink.messages()[0].tls


def test_a_client_that_trusts_only_the_system_cas_refuses_the_certificate(
    tls_sink: CaptureSink,
) -> None:
    with connect(tls_sink.port) as client, pytest.raises(ssl.SSLCertVerificationError):
        client.starttls(context=ssl.create_default_context())


def test_required_starttls_refuses_mail_in_the_clear(tls_identity: TlsIdentity) -> None:
    with serving(SinkProtocol(tls=tls_identity, require_tls=True)) as sink:
        with connect(sink.port) as client:
            client.ehlo()
            assert client.mail(SENDER)[0] == 530
        with connect(sink.port) as client:
            client.starttls(context=trusting(tls_identity))
            client.sendmail(SENDER, ["a@example.com"], message())
    [only] = sink.messages()
    assert only.tls


def test_certificate_given_by_path(tls_identity: TlsIdentity) -> None:
    identity = load_identity(tls_identity.cert_file, tls_identity.key_file)
    assert not identity.generated
    with serving(SinkProtocol(tls=identity)) as sink, connect(sink.port) as client:
        client.starttls(context=trusting(tls_identity))
        client.sendmail(SENDER, ["a@example.com"], message())
    assert sink.messages()[0].tls


def test_unreadable_certificate_is_one_line(tmp_path: Path, tls_identity: TlsIdentity) -> None:
    with pytest.raises(SinkError, match=r"cannot load the TLS certificate .*missing\.pem"):
        load_identity(tmp_path / "missing.pem", tls_identity.key_file)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(SinkError, match="cannot load the TLS certificate") as info:
        load_identity(garbage, garbage)
    assert "\n" not in str(info.value)


# --- AUTH ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_auth_with_the_configured_account_is_recorded(mechanism: str) -> None:
    protocol = SinkProtocol(credentials=ACCOUNT, auth_required=True)
    with serving(protocol) as sink, connect(sink.port) as client:
        client.ehlo()
        assert set(client.esmtp_features["auth"].split()) == {"PLAIN", "LOGIN"}
        client.user, client.password = ACCOUNT.user, ACCOUNT.password
        authobject = client.auth_plain if mechanism == "PLAIN" else client.auth_login
        code, _ = client.auth(mechanism, authobject, initial_response_ok=mechanism == "PLAIN")
        assert code == 235
        client.sendmail(SENDER, ["a@example.com"], message())
    assert sink.messages()[0].auth_user == "vendor"


@pytest.mark.parametrize(
    "user, password", [("vendor", "wrong"), ("other", ACCOUNT.password), ("", "")]
)
def test_wrong_credentials_get_535_and_no_mail(user: str, password: str) -> None:
    protocol = SinkProtocol(credentials=ACCOUNT, auth_required=True)
    with serving(protocol) as sink, connect(sink.port) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError) as info:
            client.login(user, password)
        assert info.value.smtp_code == 535
        client.ehlo()
        assert client.mail(SENDER)[0] == 530  # still not authenticated
    assert sink.messages() == []


def test_required_auth_refuses_mail_without_login() -> None:
    protocol = SinkProtocol(credentials=ACCOUNT, auth_required=True)
    with serving(protocol) as sink, connect(sink.port) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as info:
            client.sendmail(SENDER, ["a@example.com"], message())
        assert info.value.smtp_code == 530
    assert sink.messages() == []


def test_optional_auth_accepts_both() -> None:
    with serving(SinkProtocol(credentials=ACCOUNT)) as sink:
        with connect(sink.port) as client:
            client.sendmail(SENDER, ["a@example.com"], message("anonymous"))
        with connect(sink.port) as client:
            client.login(ACCOUNT.user, ACCOUNT.password)
            client.sendmail(SENDER, ["a@example.com"], message("logged in"))
    assert [m.auth_user for m in sink.messages()] == [None, "vendor"]


def test_with_tls_auth_is_offered_only_after_starttls(tls_identity: TlsIdentity) -> None:
    protocol = SinkProtocol(
        tls=tls_identity, require_tls=True, credentials=ACCOUNT, auth_required=True
    )
    with serving(protocol) as sink, connect(sink.port) as client:
        client.ehlo()
        assert not client.has_extn("auth")
        # 530: STARTTLS first (required); AUTH in the clear would have exposed the password.
        assert client.docmd("AUTH", "PLAIN " + _plain("vendor", ACCOUNT.password))[0] == 530
        client.starttls(context=trusting(tls_identity))
        client.ehlo()
        assert client.has_extn("auth")
        client.login(ACCOUNT.user, ACCOUNT.password)
        client.sendmail(SENDER, ["a@example.com"], message())
    [only] = sink.messages()
    assert (only.tls, only.auth_user) == (True, "vendor")


def test_without_credentials_no_auth_is_offered_or_accepted(tls_sink: CaptureSink) -> None:
    with connect(tls_sink.port) as client:
        client.ehlo()
        assert not client.has_extn("auth")
        assert client.docmd("AUTH", "PLAIN " + _plain("vendor", "x"))[0] == 538
    with connect(tls_sink.port) as client:
        client.starttls()
        client.ehlo()
        assert "auth" not in client.esmtp_features
        assert client.docmd("AUTH", "PLAIN " + _plain("vendor", "x"))[0] == 504


def _plain(user: str, password: str) -> str:
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


@pytest.mark.parametrize("text", ["vendor", "vendor:", ":pass", ""])
def test_credentials_must_be_user_colon_pass(text: str) -> None:
    with pytest.raises(SinkError, match="expected USER:PASS"):
        Credentials.parse(text)


def test_credentials_keep_colons_in_the_password_and_hide_it() -> None:
    account = Credentials.parse("vendor:s3cret:with colon")
    assert account == ACCOUNT
    assert "s3cret" not in repr(account)


@pytest.mark.parametrize(
    "protocol, needle",
    [
        (dict(require_tls=True), "without a TLS certificate"),
        (dict(auth_required=True), "without credentials"),
        (dict(size_limit=0), "size limit"),
        (dict(session_timeout=0), "timeout"),
    ],
)
def test_inconsistent_protocol_is_refused(protocol: dict[str, object], needle: str) -> None:
    with pytest.raises(SinkError, match=needle):
        SinkProtocol(**protocol)  # type: ignore[arg-type]


# --- SIZE, PIPELINING, 8BITMIME, SMTPUTF8 ---------------------------------------------------


def test_size_limit_is_advertised_and_enforced() -> None:
    with serving(SinkProtocol(size_limit=1000)) as sink, connect(sink.port) as client:
        client.ehlo()
        assert client.esmtp_features["size"] == "1000"
        # Declared too large at MAIL: 552 before any data.
        code, _ = client.docmd(f"MAIL FROM:<{SENDER}> SIZE=1001")
        assert code == 552
        client.rset()
        # Undeclared, sent anyway: 552 after DATA, nothing recorded.
        assert client.mail(SENDER)[0] == 250
        assert client.rcpt("a@example.com")[0] == 250
        assert client.data(message(body="x" * 2000))[0] == 552
        # The session goes on: a message within the limit is accepted.
        client.sendmail(SENDER, ["a@example.com"], message("small"))
    [only] = sink.messages()
    assert b"small" in only.raw


def test_esmtp_extensions_advertised() -> None:
    with CaptureSink() as sink, connect(sink.port) as client:
        client.ehlo()
        for extension in ("pipelining", "8bitmime", "smtputf8", "size"):
            assert client.has_extn(extension), extension
        assert not client.has_extn("starttls")
        assert not client.has_extn("auth")


def test_pipelined_transactions_in_one_write_are_answered_in_order() -> None:
    with CaptureSink() as sink:
        raw = socket.create_connection((sink.host, sink.port), timeout=10)
        stream = raw.makefile("rb")
        try:
            assert stream.readline().startswith(b"220")
            raw.sendall(b"EHLO client.example\r\n")
            while not stream.readline().startswith(b"250 "):
                pass
            batch = b""
            for i in range(3):
                batch += (
                    f"MAIL FROM:<{SENDER}>\r\nRCPT TO:<a{i}@example.com>\r\n"
                    f"RCPT TO:<b{i}@example.com>\r\nDATA\r\n"
                    f"Subject: {i}\r\n\r\n.dot-stuffed line {i}\r\n.\r\n"
                ).encode()
                batch = batch.replace(b"\r\n.dot", b"\r\n..dot")
            raw.sendall(batch + b"QUIT\r\n")
            replies = [stream.readline()[:3] for _ in range(3 * 5 + 1)]
        finally:
            stream.close()
            raw.close()
    assert replies == [b"250", b"250", b"250", b"354", b"250"] * 3 + [b"221"]
    assert sink.wait_idle(grace=0.05, timeout=5)
    msgs = sink.messages()
    assert [m.rcpt_tos for m in msgs] == [
        (f"a{i}@example.com", f"b{i}@example.com") for i in range(3)
    ]
    assert [m.raw for m in msgs] == [
        f"Subject: {i}\r\n\r\n.dot-stuffed line {i}\r\n".encode() for i in range(3)
    ]
