"""What the sink records: every accepted message before it answers 250, and what it refused."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

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
    front_door: str = "smtp"  # how it came in: "smtp", or the API provider ("sendgrid", ...)
    call: str = ""  # the API call that produced it (one call may deliver many messages)
    evidence: str = ""  # for an API message: the part of the request it was built from (JSON)

    def copies(self) -> list[Copy]:
        """One copy per envelope recipient: each is judged on what that recipient sees."""
        return [Copy(message=self, recipient=normalize_address(r)) for r in self.rcpt_tos]


@dataclass(frozen=True)
class Copy:
    message: CapturedMessage
    recipient: str  # normalized envelope recipient


@dataclass(frozen=True)
class Refusal:
    """A command the sink answered with an injected fault instead of accepting it.

    `stage` is "mail", "rcpt" or "data" (or "request" for an API call); `reply` the reply sent
    ("451 4.3.0 ...", an API's status and body) or "drop" when the connection was closed
    without one. `rcpt_tos` holds the refused recipient at the
    rcpt stage and the whole envelope at the data stage; `raw` the refused DATA (else b"").
    """

    seq: int  # order among the refusals, from 1
    stage: str
    reply: str
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    peer: str
    session: int
    at: float
    front_door: str = "smtp"
    call: str = ""  # the refused API call

    @property
    def permanent(self) -> bool:
        """A 5xx reply: the client must not retry it."""
        return self.reply[:1] == "5"

    @property
    def temporary(self) -> bool:
        """A 4xx reply or a dropped connection: a correct client retries."""
        return not self.permanent


Span = tuple[int, int]


class MessageSource(Protocol):
    """Captured messages that any forked process can read a span of for itself."""

    def spans(self, size: int) -> Iterator[Span]:
        """The spans of `size` messages each (the last may be shorter), in arrival order."""
        ...

    def read(self, span: Span) -> list[CapturedMessage]:
        """The messages of one span, in arrival order."""
        ...


class ListSource:
    """Messages held in this process; a forked worker reads the list it inherited."""

    def __init__(self, messages: Sequence[CapturedMessage]) -> None:
        self._messages = messages

    def spans(self, size: int) -> Iterator[Span]:
        for start in range(0, len(self._messages), size):
            yield start, min(start + size, len(self._messages))

    def read(self, span: Span) -> list[CapturedMessage]:
        return list(self._messages[span[0] : span[1]])
