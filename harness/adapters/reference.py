"""The harness's own correct sender: one copy per (recipient, student), Bcc-safe."""

from __future__ import annotations

from harness.adapters.base import AdapterOutcome, SmtpTarget
from harness.adapters.compose import per_recipient_notices, send_all
from harness.oracle.plan import Plan
from harness.roster.campaign import Campaign
from harness.roster.model import Roster


class ReferenceAdapter:
    spec = "reference"

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        send_all(smtp, per_recipient_notices(Plan(roster, campaign)))
        return AdapterOutcome(spec=self.spec)
