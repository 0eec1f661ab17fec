"""The intended plan: who must receive what, derived from the roster and the campaign alone."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from harness.oracle.detail import DetailIndex
from harness.roster.campaign import Campaign
from harness.roster.model import Roster


@dataclass(frozen=True)
class Plan:
    roster: Roster
    campaign: Campaign

    @cached_property
    def recipients(self) -> dict[str, frozenset[str]]:
        """Selected student id -> the normalized addresses that must get its notice.

        Contacts with an email, receives_mail and not restricted, less any address that a
        contact restricted for the student also uses: restriction wins.
        """
        plan: dict[str, frozenset[str]] = {}
        for student_id in self.campaign.selected:
            allowed: set[str] = set()
            for link in self.roster.links_by_student.get(student_id, ()):
                address = self.roster.contact_by_id[link.contact_id].address
                if address and link.receives_mail and not link.contact_restricted:
                    allowed.add(address)
            plan[student_id] = frozenset(allowed - self.restricted_addresses(student_id))
        return plan

    def prepare(self) -> Plan:
        """Build every table judging looks up, now rather than on the first message (at
        600,000 students that takes seconds; forked judges then share one copy)."""
        roster = self.roster
        # Reading a cached property builds it and keeps it on the instance.
        _ = (
            roster.student_by_id,
            roster.contact_by_id,
            roster.links_by_student,
            roster.links_by_contact,
            roster.links_by_address,
            roster.contacts_by_address,
            self.recipients,
            self._restricted,
            self.authorized,
            self.details,
        )
        return self

    @cached_property
    def details(self) -> DetailIndex:
        """Each selected student's own detail, as the components `wrong-detail` compares."""
        return DetailIndex(self.campaign.details, self.campaign.templates().values())

    def restricted_addresses(self, student_id: str) -> frozenset[str]:
        return self._restricted.get(student_id, frozenset())

    @cached_property
    def _restricted(self) -> dict[str, frozenset[str]]:
        grouped: dict[str, set[str]] = {}
        for link in self.roster.links:
            address = self.roster.contact_by_id[link.contact_id].address
            if link.contact_restricted and address:
                grouped.setdefault(link.student_id, set()).add(address)
        return {k: frozenset(v) for k, v in grouped.items()}

    @cached_property
    def authorized(self) -> dict[str, frozenset[str]]:
        """Address -> the selected students whose notice it must receive."""
        grouped: dict[str, set[str]] = {}
        for student_id, addresses in self.recipients.items():
            for address in addresses:
                grouped.setdefault(address, set()).add(student_id)
        return {k: frozenset(v) for k, v in grouped.items()}

    def authorized_for(self, address: str) -> frozenset[str]:
        return self.authorized.get(address, frozenset())

    def linked(self, address: str) -> frozenset[str]:
        """Every student linked to a contact using this address, whatever the flags."""
        return frozenset(link.student_id for link in self.roster.links_by_address.get(address, ()))

    def allowed_contacts(self, address: str) -> frozenset[str]:
        """Contact ids a copy to this address may reveal: its own, and the contacts of the
        students it is authorized for."""
        own = {c.id for c in self.roster.contacts_by_address.get(address, ())}
        for student_id in self.authorized_for(address):
            own.update(link.contact_id for link in self.roster.links_by_student[student_id])
        return frozenset(own)

    @cached_property
    def expected_copies(self) -> int:
        return sum(len(addresses) for addresses in self.recipients.values())
