"""The adapter surface: the pipeline under test is one call, `send(roster, campaign, smtp)`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from harness.roster.campaign import Campaign
from harness.roster.model import Roster


@dataclass(frozen=True)
class SmtpTarget:
    """Where the pipeline must send: the sink's address, and credentials when it asks."""

    host: str
    port: int
    user: str | None = None
    password: str | None = None
    tls: str = "none"  # "none" | "starttls"
    cafile: str | None = None  # PEM file to verify the sink's certificate (self-signed)


@dataclass
class AdapterOutcome:
    """What the adapter run left behind for the report (a subprocess's output, its exit)."""

    spec: str
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    notes: list[str] = field(default_factory=list)


class Adapter(Protocol):
    @property
    def spec(self) -> str:
        """The --adapter string this adapter was made from."""
        ...

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        """Send the campaign through the pipeline to `smtp`; raise AdapterError on failure."""
        ...
