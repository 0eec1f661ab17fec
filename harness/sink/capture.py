"""What the sink records for every accepted message, before it answers 250."""

from __future__ import annotations

from dataclasses import dataclass

from harness.roster.model import normalize_address


@dataclass(frozen=True)
class CapturedMessage:
    seq: int  # arrival order across the whole sink, from 1
    mail_from: str
    rcpt_tos: tuple[str, ...]  # every envelope recipient, as given at RCPT TO
    raw: bytes  # the DATA exactly as received (envelope.original_content)
    peer: str  # "host:port" of the client
    session: int  # which SMTP session (connection) carried it
    received_at: float  # time.time() at acceptance
    tls: bool = False  # the session had done STARTTLS
    auth_user: str | None = None  # the login of an authenticated session

    def copies(self) -> list[Copy]:
        """One copy per envelope recipient: each is judged on what that recipient sees."""
        return [Copy(message=self, recipient=normalize_address(r)) for r in self.rcpt_tos]


@dataclass(frozen=True)
class Copy:
    message: CapturedMessage
    recipient: str  # normalized envelope recipient
