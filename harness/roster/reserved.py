"""Reserved mail domains (RFC 2606, RFC 6761): addresses that can never reach a real person."""

from __future__ import annotations

from harness.errors import HarnessError
from harness.roster.model import Contact, Roster

RESERVED_DOMAINS = ("example.com", "example.org", "example.net")
RESERVED_TLDS = ("example", "test", "invalid")
DESCRIPTION = "example.com/.org/.net and their subdomains, *.example, *.test, *.invalid"


class RealAddressError(HarnessError):
    """A roster with an address outside the reserved domains, run without consent."""


def is_reserved_address(address: str) -> bool:
    domain = address.strip().rpartition("@")[2].strip().rstrip(".").lower()
    if domain in RESERVED_DOMAINS or domain in RESERVED_TLDS:
        return True
    return domain.endswith(tuple(f".{d}" for d in (*RESERVED_DOMAINS, *RESERVED_TLDS)))


def first_real_address(roster: Roster) -> Contact | None:
    """The first contact (in roster order) whose address is outside the reserved domains."""
    for contact in roster.contacts:
        if contact.email is not None and not is_reserved_address(contact.email):
            return contact
    return None


def require_reserved(roster: Roster) -> None:
    """Raise RealAddressError naming the first contact with a deliverable-looking address."""
    contact = first_real_address(roster)
    if contact is not None:
        raise RealAddressError(
            f"roster contact {contact.id} ({contact.full_name}) has the address "
            f"{contact.email!r}, outside the reserved domains ({DESCRIPTION}); mail to it "
            "could reach a real person: pass --allow-real-addresses if that is intended"
        )
