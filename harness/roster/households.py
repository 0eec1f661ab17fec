"""Random households: 1-4 children who share a family name, grades and schools, and 1-4
household contacts (mother, father, guardian, grandparent, stepparent, other), with the flags
of a real student information system.

Some contacts have no email, some links say `receives_mail` false, a few say
`contact_restricted` (a custody or no-contact order) and often still `receives_mail`, some
couples share one family mailbox, some contacts reappear in a second household (a
step-family), and siblings in different grades go to different schools.
"""

from __future__ import annotations

from harness.roster.model import Contact, Student
from harness.roster.records import RecordBuilder, other_case
from harness.roster.tables import weighted

__all__ = ["HOUSEHOLD_SIZES", "Households"]

HOUSEHOLD_SIZES = weighted({1: 42, 2: 36, 3: 16, 4: 6})
_CONTACT_COUNTS = weighted({1: 18, 2: 58, 3: 17, 4: 7})
_SINGLE_ROLES = weighted({"mother": 50, "father": 20, "guardian": 20, "grandparent": 10})
_ROLE_PAIRS = weighted(
    {
        ("mother", "father"): 65,
        ("mother", "stepparent"): 10,
        ("father", "stepparent"): 5,
        ("mother", "grandparent"): 10,
        ("guardian", "other"): 5,
        ("grandparent", "grandparent"): 5,
    }
)
_EXTRA_ROLES = ("grandparent", "stepparent", "other", "guardian")
_KEEPS_FAMILY_NAME = {"mother": 0.75, "father": 0.95, "grandparent": 0.5}


class Households:
    """Adds random households to `records`; remembers the parents who may reappear in a
    step-family later in the roster."""

    def __init__(self, records: RecordBuilder) -> None:
        self.records = records
        self.reusable: list[Contact] = []

    def roles(self) -> list[str]:
        pick = self.records.pick
        count = pick(_CONTACT_COUNTS)
        if count == 1:
            return [pick(_SINGLE_ROLES)]
        roles = list(pick(_ROLE_PAIRS))
        while len(roles) < count:
            roles.append(pick(_EXTRA_ROLES))
        return roles

    def add(self, size: int) -> None:
        """One household of `size` children."""
        records = self.records
        random = records.random
        locale = records.pick(records.locales)
        family = records.names.family(locale)
        roles = self.roles()
        shared_mailbox = (
            len(roles) >= 2
            and roles[0] == "mother"
            and roles[1] in ("father", "stepparent")
            and random() < 0.05
        )
        members: list[tuple[Contact, str]] = []
        mailbox = ""
        for index, role in enumerate(roles):
            female = role == "mother" or (role != "father" and random() < 0.6)
            keep = _KEEPS_FAMILY_NAME.get(role, 0.3)
            last = family if random() < keep else records.names.family(locale)
            email: str | bool = random() < (0.6 if role in ("grandparent", "other") else 0.9)
            if shared_mailbox and index == 0:
                mailbox = email = records.email(f"{last.ascii[:20]}.family")
            elif shared_mailbox and index == 1:
                email = other_case(mailbox) if random() < 0.5 else mailbox
            contact = records.contact(locale, female, last, email)
            members.append((contact, role))
        grades = records.grades(size)
        schools = records.household_schools()
        kids: list[Student] = []
        for grade in grades:
            twin = kids and kids[-1].grade == grade
            birth = kids[-1].birth_date if twin else None
            kids.append(records.student(locale, family, grade, schools, birth=birth))
        for index, (contact, role) in enumerate(members):
            receives = random() >= (0.25 if role in ("grandparent", "other") else 0.05)
            parent = role in ("mother", "father", "stepparent")
            restricted = random() < (0.03 if parent else 0.01)
            linked = kids
            if index and len(kids) > 1 and role not in ("mother", "father") and random() < 0.4:
                linked = records.rng.sample(kids, 1 + int(random() * (len(kids) - 1)))
            for kid in linked:
                records.link(kid, contact, role, receives, restricted or random() < 0.005)
        if self.reusable and len(members) < 4 and random() < 0.02:
            # A step-family: a parent of an earlier household is linked to these children too.
            contact = records.pick(self.reusable)
            role = records.pick(("stepparent", "stepparent", "other"))
            for kid in kids:
                records.link(kid, contact, role, random() >= 0.05, random() < 0.05)
        # Only now, so a household never meets its own parents as a step-family.
        for contact, role in members:
            if role in ("mother", "father") and random() < 0.05:
                self.reusable.append(contact)
