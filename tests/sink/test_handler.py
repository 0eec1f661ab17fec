"""Session facts the handler records with each message (TLS, AUTH user)."""

from __future__ import annotations

from types import SimpleNamespace

from aiosmtpd.smtp import LoginPassword

from harness.sink.handler import session_facts


def test_plain_session() -> None:
    assert session_facts(SimpleNamespace(ssl=None, authenticated=False)) == (False, None)


def test_tls_and_login_password() -> None:
    session = SimpleNamespace(
        ssl={"cipher": "x"}, authenticated=True, auth_data=LoginPassword(b"vendor", b"secret")
    )
    assert session_facts(session) == (True, "vendor")


def test_an_authenticator_returning_a_name() -> None:
    session = SimpleNamespace(ssl=None, authenticated=True, auth_data="vendor")
    assert session_facts(session) == (False, "vendor")


def test_auth_data_without_authentication_is_ignored() -> None:
    session = SimpleNamespace(ssl=None, authenticated=False, auth_data="vendor")
    assert session_facts(session) == (False, None)
