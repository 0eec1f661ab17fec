"""The roster: students, contacts and the links between them (docs/contract.md, Terms)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property


def normalize_address(address: str) -> str:
    """Addresses compare without regard to case or surrounding white space."""
    return address.strip().casefold()


@dataclass(frozen=True)
class Student:
    id: str
    first_name: str
    last_name: str
    grade: int
    school: str
    birth_date: str
    # Sensitive facts a notice may carry, e.g. {"vaccines_missing": "Tdap"}.
    sensitive: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Contact:
    id: str
    first_name: str
    last_name: str
    email: str | None
    language: str = "en"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def address(self) -> str | None:
        """The normalized email address, or None when the contact has none."""
        return normalize_address(self.email) if self.email and self.email.strip() else None


@dataclass(frozen=True)
class Link:
    student_id: str
    contact_id: str
    relationship: str
    receives_mail: bool
    contact_restricted: bool


@dataclass(frozen=True)
class Roster:
    students: tuple[Student, ...]
    contacts: tuple[Contact, ...]
    links: tuple[Link, ...]

    @cached_property
    def student_by_id(self) -> dict[str, Student]:
        return {s.id: s for s in self.students}

    @cached_property
    def contact_by_id(self) -> dict[str, Contact]:
        return {c.id: c for c in self.contacts}

    @cached_property
    def links_by_student(self) -> dict[str, tuple[Link, ...]]:
        grouped: dict[str, list[Link]] = {s.id: [] for s in self.students}
        for link in self.links:
            grouped.setdefault(link.student_id, []).append(link)
        return {k: tuple(v) for k, v in grouped.items()}

    @cached_property
    def links_by_contact(self) -> dict[str, tuple[Link, ...]]:
        grouped: dict[str, list[Link]] = {}
        for link in self.links:
            grouped.setdefault(link.contact_id, []).append(link)
        return {k: tuple(v) for k, v in grouped.items()}

    @cached_property
    def links_by_address(self) -> dict[str, tuple[Link, ...]]:
        """Every link whose contact uses the address, whatever the flags."""
        grouped: dict[str, list[Link]] = {}
        for link in self.links:
            address = self.contact_by_id[link.contact_id].address
            if address is not None:
                grouped.setdefault(address, []).append(link)
        return {k: tuple(v) for k, v in grouped.items()}

    @cached_property
    def contacts_by_address(self) -> dict[str, tuple[Contact, ...]]:
        grouped: dict[str, list[Contact]] = {}
        for contact in self.contacts:
            if contact.address is not None:
                grouped.setdefault(contact.address, []).append(contact)
        return {k: tuple(v) for k, v in grouped.items()}
