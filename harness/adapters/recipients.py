"""Who the reference sender mails, chosen as a vendor would from the `cmd:` contract.

This is the sender's own reading of the contract, written apart from the oracle's
`harness.oracle.plan.Plan` on purpose: the harness judges a sender against Plan, so the
reference must hold a second, independent opinion of who gets what (a property test checks
that the two agree). Nothing under harness.adapters imports harness.oracle.

The rule (README, "Writing a cmd: adapter"): for each selected student, one copy per address
of the contacts linked to the student with an email, receives_mail and not
contact_restricted, less any address that a contact restricted for the student also uses.
Addresses compare without regard to case or surrounding white space.
"""

from __future__ import annotations

from functools import cached_property
from typing import NamedTuple

from harness.roster.campaign import Campaign
from harness.roster.model import Contact, Roster


class Recipient(NamedTuple):
    """One copy of a student's notice: the mailbox and the contact the notice greets."""

    address: str  # compared form: stripped, case-folded
    contact: Contact  # the lowest contact id among the chosen contacts using the address


def mailbox(email: str | None) -> str | None:
    """The address as the contract compares it, or None for a missing or blank email."""
    if email is None or not email.strip():
        return None
    return email.strip().casefold()


def student_recipients(roster: Roster, student_id: str) -> tuple[Recipient, ...]:
    """The copies of one student's notice, in address order."""
    linked = [
        (roster.contact_by_id[link.contact_id], link)
        for link in roster.links_by_student.get(student_id, ())
    ]
    forbidden = {
        address
        for contact, link in linked
        if link.contact_restricted and (address := mailbox(contact.email)) is not None
    }
    chosen: dict[str, Contact] = {}
    for contact, link in sorted(linked, key=lambda pair: pair[0].id):
        address = mailbox(contact.email)
        if address is None or address in forbidden:
            continue
        if link.receives_mail and not link.contact_restricted:
            chosen.setdefault(address, contact)
    return tuple(Recipient(address, chosen[address]) for address in sorted(chosen))


class Mailing:
    """A campaign on a roster, as the reference sender plans to deliver it."""

    def __init__(self, roster: Roster, campaign: Campaign) -> None:
        self.roster = roster
        self.campaign = campaign

    @cached_property
    def recipients(self) -> dict[str, tuple[Recipient, ...]]:
        """Selected student id -> its copies (built at once: forked senders share it)."""
        return {
            student_id: student_recipients(self.roster, student_id)
            for student_id in self.campaign.selected
        }

    def addresses(self, student_id: str) -> tuple[str, ...]:
        """The addresses a selected student's notice goes to, sorted."""
        return tuple(recipient.address for recipient in self.recipients[student_id])

    @cached_property
    def copies(self) -> int:
        return sum(len(copies) for copies in self.recipients.values())
