"""What the sink speaks beyond plain SMTP: STARTTLS, AUTH, and its SIZE limit.

`SinkProtocol` is the sink's configuration, `Credentials` the one account AUTH PLAIN and
LOGIN accept. With credentials and TLS, AUTH is offered only after STARTTLS, as a real relay
does; with credentials and no TLS (a loopback-only test sink), AUTH is offered in the clear.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiosmtpd.smtp import AuthResult, LoginPassword

from harness.errors import SinkError
from harness.sink.tls import TlsIdentity

__all__ = ["DATA_SIZE_LIMIT", "Credentials", "SinkProtocol"]

DATA_SIZE_LIMIT = 64 * 1024 * 1024
SESSION_TIMEOUT = 300.0  # seconds a session may stay silent (aiosmtpd's default)


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str

    @classmethod
    def parse(cls, text: str) -> Credentials:
        """`USER:PASS` (the password may contain colons); SinkError for anything else."""
        user, sep, password = text.partition(":")
        if not (user and sep and password):
            raise SinkError(f"sink credentials {text!r}: expected USER:PASS, both non-empty")
        return cls(user, password)

    def __repr__(self) -> str:
        return f"Credentials(user={self.user!r}, password=...)"

    def authenticator(self) -> Callable[..., AuthResult]:
        """aiosmtpd's `authenticator` callback accepting exactly these credentials."""
        user, password = self.user.encode(), self.password.encode()

        def check(
            server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
        ) -> AuthResult:
            if isinstance(auth_data, LoginPassword):
                # Both compared, always: no early exit that times out which one was wrong.
                user_ok = hmac.compare_digest(auth_data.login, user)
                password_ok = hmac.compare_digest(auth_data.password, password)
                if user_ok and password_ok:
                    return AuthResult(success=True, auth_data=auth_data)
            return AuthResult(success=False, handled=False)

        return check


@dataclass(frozen=True)
class SinkProtocol:
    """The sink's SMTP options; the default is plain SMTP with no AUTH and a 64 MiB limit."""

    tls: TlsIdentity | None = None  # offer STARTTLS with this certificate
    require_tls: bool = False  # answer 530 to MAIL before STARTTLS
    credentials: Credentials | None = None  # offer AUTH PLAIN and LOGIN for this account
    auth_required: bool = False  # answer 530 to MAIL before AUTH
    size_limit: int = DATA_SIZE_LIMIT  # advertised in EHLO SIZE; larger messages get 552
    session_timeout: float = SESSION_TIMEOUT

    def __post_init__(self) -> None:
        if self.require_tls and self.tls is None:
            raise SinkError("the sink cannot require STARTTLS without a TLS certificate")
        if self.auth_required and self.credentials is None:
            raise SinkError("the sink cannot require AUTH without credentials")
        if self.size_limit < 1:
            raise SinkError(f"sink size limit must be at least 1 byte, got {self.size_limit}")
        if self.session_timeout <= 0:
            raise SinkError(f"sink session timeout must be positive, got {self.session_timeout}")

    def describe(self) -> str:
        """One line for people: what a client must do to send here."""
        parts = ["SMTP"]
        if self.tls is None:
            parts.append("no TLS")
        else:
            need = "required" if self.require_tls else "offered"
            parts.append(f"STARTTLS {need}, certificate {self.tls.cert_file}")
        if self.credentials is None:
            parts.append("no AUTH")
        else:
            need = "required" if self.auth_required else "optional"
            parts.append(f"AUTH PLAIN/LOGIN {need} as {self.credentials.user}")
        parts.append(f"SIZE {self.size_limit}")
        return ", ".join(parts)

    def smtp_options(self) -> dict[str, Any]:
        """Keyword arguments for aiosmtpd's `SMTP` (the SSL context is built here)."""
        options: dict[str, Any] = {
            "data_size_limit": self.size_limit,
            # A line may be as long as the message may be: a message written with bare LF ends
            # its lines with no CRLF, and is one line on the wire. RFC 5321's 1000 octets are
            # not the sink's to police; SIZE is (the line, its CRLF and a stuffed dot; at least
            # 1 MiB, so that a small SIZE still answers an over-long message 552, not 500).
            "line_length_limit": max(self.size_limit + 3, 1024 * 1024),
            "timeout": self.session_timeout,
            "require_starttls": self.require_tls,
            "auth_required": self.auth_required,
            "auth_require_tls": self.tls is not None,
        }
        if self.tls is not None:
            options["tls_context"] = self.tls.server_context()
        if self.credentials is not None:
            options["authenticator"] = self.credentials.authenticator()
        else:
            # Offer no mechanism at all: a client that logs in unasked gets 504.
            options["auth_exclude_mechanism"] = ["PLAIN", "LOGIN"]
        return options
