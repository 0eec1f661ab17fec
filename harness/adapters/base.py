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
    # The sink's email-API front doors: (provider, base URL), e.g. ("sendgrid", "http://...").
    api: tuple[tuple[str, str], ...] = ()

    def api_url(self, provider: str) -> str:
        """The base URL of the sink's `provider` front door ("sendgrid", "postmark")."""
        for name, url in self.api:
            if name == provider:
                return url
        raise LookupError(f"the sink serves no {provider} front door")

    def api_env(self) -> dict[str, str]:
        """MAILHARNESS_SENDGRID_URL and its siblings, one per front door the sink serves; for
        SES also what boto3 reads, so it runs unchanged: the endpoint of the `ses` and `sesv2`
        clients, a region and dummy credentials (never a real account's)."""
        env = {api_env_name(name): url for name, url in self.api}
        for name, url in self.api:
            if name == "ses":
                env |= {"AWS_ENDPOINT_URL_SES": url, "AWS_ENDPOINT_URL_SESV2": url}
                env |= AWS_DUMMY_CREDENTIALS
        return env


def api_env_name(provider: str) -> str:
    return f"MAILHARNESS_{provider.upper()}_URL"


# Every front door the sink can serve (its variables are dropped from what a child inherits).
API_PROVIDERS = ("sendgrid", "postmark", "mailgun", "ses")
AWS_DUMMY_CREDENTIALS = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "mailharness",
    "AWS_SECRET_ACCESS_KEY": "mailharness",
}
# What a child must not inherit from the harness's own environment: the SDK's endpoints and a
# real account's credentials and profile.
SDK_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SES",
    "AWS_ENDPOINT_URL_SESV2",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    *AWS_DUMMY_CREDENTIALS,
)


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
