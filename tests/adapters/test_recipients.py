"""The reference sender's own recipient rule: hand-written cases, its agreement with the
oracle's Plan on generated rosters, and its independence from the oracle's code."""

from __future__ import annotations

import ast
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.adapters import reference
from harness.adapters.base import SmtpTarget
from harness.adapters.compose import Outgoing
from harness.adapters.recipients import Mailing, student_recipients
from harness.adapters.reference import ReferenceAdapter
from harness.oracle.plan import Plan
from harness.roster.campaign import Campaign
from harness.roster.model import Contact, Link, Roster, Student
from harness.strategies import roster_campaigns

ADAPTERS = Path(__file__).resolve().parents[2] / "harness" / "adapters"


def _roster(contacts: Iterable[tuple[str, str | None, bool, bool]]) -> Roster:
    """One student S-1, linked to each (contact id, email, receives_mail, restricted)."""
    rows = list(contacts)
    return Roster(
        students=(Student("S-1", "Ada", "Lee", 3, "Oak", "2016-01-01"),),
        contacts=tuple(Contact(cid, "Pat", cid, email) for cid, email, _, _ in rows),
        links=tuple(
            Link("S-1", cid, "parent", mail, restricted) for cid, _, mail, restricted in rows
        ),
    )


def _chosen(roster: Roster) -> list[tuple[str, str]]:
    return [(r.address, r.contact.id) for r in student_recipients(roster, "S-1")]


def test_only_contacts_with_an_email_that_receive_mail_and_are_not_restricted() -> None:
    roster = _roster(
        [
            ("C-1", "a@x.org", True, False),
            ("C-2", None, True, False),
            ("C-3", "  ", True, False),
            ("C-4", "d@x.org", False, False),
            ("C-5", "e@x.org", True, True),
        ]
    )
    assert _chosen(roster) == [("a@x.org", "C-1")]


def test_an_address_a_restricted_contact_also_uses_gets_nothing() -> None:
    # C-2 is restricted and does not even receive mail; its mailbox is still forbidden.
    roster = _roster([("C-1", "Home@X.org ", True, False), ("C-2", "home@x.org", False, True)])
    assert _chosen(roster) == []


def test_one_copy_per_mailbox_greeting_the_lowest_contact_id() -> None:
    roster = _roster(
        [
            ("C-9", "B@x.org", True, False),
            ("C-3", "b@x.org", True, False),
            ("C-5", "a@x.org", True, False),
        ]
    )
    assert _chosen(roster) == [("a@x.org", "C-5"), ("b@x.org", "C-3")]


def test_a_mailing_covers_the_selected_students_only() -> None:
    roster = _roster([("C-1", "a@x.org", True, False)])
    nobody = Campaign("c", "absence", "s@d.org", "Subject", "Text", None, selected=())
    assert Mailing(roster, nobody).recipients == {}
    assert Mailing(roster, nobody).copies == 0


def reference_deliveries(roster: Roster, campaign: Campaign) -> Counter[tuple[str, str]]:
    """(student id, address) -> copies, of what ReferenceAdapter.send hands to SMTP."""
    composed: dict[int, tuple[str, bytes]] = {}  # id(raw) -> student (raw kept alive)
    sent: list[Outgoing] = []
    lock = threading.Lock()
    real_notice_bytes = reference.notice_bytes

    def notice_bytes(campaign: Campaign, student: Student, contact: Contact) -> bytes:
        raw = real_notice_bytes(campaign, student, contact)
        with lock:
            composed[id(raw)] = (student.id, raw)
        return raw

    def send_all(smtp: SmtpTarget, outgoing: Iterable[Outgoing]) -> None:
        with lock:
            sent.extend(outgoing)

    with (
        mock.patch.object(reference, "notice_bytes", notice_bytes),
        mock.patch.object(reference, "send_all", send_all),
        mock.patch.object(reference, "PROCESS_MIN_COPIES", 10**9),
    ):
        ReferenceAdapter().send(roster, campaign, SmtpTarget("127.0.0.1", 9))
    deliveries: Counter[tuple[str, str]] = Counter()
    for item in sent:
        assert isinstance(item.message, bytes)
        student_id = composed[id(item.message)][0]
        deliveries.update((student_id, rcpt.strip().casefold()) for rcpt in item.rcpt_tos)
    return deliveries


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        roster_campaigns(subsets=0.3),
        # Shared mailboxes and flags often enough that a restricted contact shares one.
        roster_campaigns(subsets=0.3, shared_addresses=0.4, restricted=0.3, no_mail=0.3),
    )
)
def test_the_reference_delivers_exactly_what_the_plan_intends(
    pair: tuple[Roster, Campaign],
) -> None:
    roster, campaign = pair
    intended = Counter(
        (student_id, address)
        for student_id, addresses in Plan(roster, campaign).recipients.items()
        for address in addresses
    )
    assert reference_deliveries(roster, campaign) == intended


def test_no_adapter_imports_the_oracle() -> None:
    """The reference is a second opinion: it must not borrow the oracle's code."""
    offenders = []
    for path in sorted(ADAPTERS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""  # `from harness import oracle` counts too
                names = [module, *(f"{module}.{alias.name}" for alias in node.names)]
            else:
                continue
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("harness.oracle")]
    assert len(list(ADAPTERS.glob("*.py"))) > 5
    assert offenders == []
