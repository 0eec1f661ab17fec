"""The harness's own correct sender: one copy per (recipient, student), Bcc-safe.

At district scale the sink's SMTP parsing, not the sender, sets the pace: the reference
composes its notices as bytes (`notice_bytes`) one at a time, as they are sent, and keeps
several SMTP connections busy from as many threads, so the sink never waits for the next
message to be composed.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator

from harness.adapters.base import AdapterOutcome, SmtpTarget
from harness.adapters.compose import Outgoing, greeted_contact, send_all
from harness.adapters.notice_bytes import notice_bytes
from harness.oracle.plan import Plan
from harness.roster.campaign import Campaign
from harness.roster.model import Roster

CONNECTIONS = 4
# Fewer notices than this go over one connection: nothing to gain from more.
_PER_CONNECTION = 200
_BATCH = 1000  # notices a thread takes at a time (and sends over one connection)


def reference_transactions(plan: Plan) -> Iterator[Outgoing]:
    """One notice per (recipient address, selected student), composed as it is needed."""
    roster, campaign = plan.roster, plan.campaign
    for student_id in campaign.selected:
        student = roster.student_by_id[student_id]
        for address in sorted(plan.recipients[student_id]):
            contact = greeted_contact(roster, student_id, address)
            raw = notice_bytes(campaign, student, contact)
            yield Outgoing(campaign.sender, (contact.email or address,), raw)


def send_concurrently(smtp: SmtpTarget, transactions: Iterator[Outgoing], connections: int) -> None:
    """Send every transaction from `connections` threads, each taking the next batch and
    sending it with `send_all` (its retries of temporary failures included)."""
    lock = threading.Lock()
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            while not failures:
                with lock:
                    batch = list(itertools.islice(transactions, _BATCH))
                if not batch:
                    return
                send_all(smtp, batch)
        except BaseException as exc:  # re-raised in the caller's thread
            failures.append(exc)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


class ReferenceAdapter:
    spec = "reference"

    def __init__(self, connections: int = CONNECTIONS) -> None:
        self.connections = connections

    def send(self, roster: Roster, campaign: Campaign, smtp: SmtpTarget) -> AdapterOutcome:
        plan = Plan(roster, campaign)
        wanted = 1 + plan.expected_copies // _PER_CONNECTION
        send_concurrently(smtp, reference_transactions(plan), max(1, min(self.connections, wanted)))
        return AdapterOutcome(spec=self.spec)
