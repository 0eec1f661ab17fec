"""Records: the students, contacts and links of one roster, with their ids, emails, birth
dates and sensitive facts, all drawn from one `random.Random(seed)`.

`RecordBuilder` accumulates them; households (`households.py`) and the planted edge cases
(`planting.py`) decide who belongs with whom. Every random choice goes through the builder's
`rng`, in a fixed order, so a seed gives the same roster in any process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from random import Random
from typing import TypeVar

from harness.roster.model import Contact, Link, Roster, Student
from harness.roster.names import Name, PersonNames, name_pools
from harness.roster.tables import (
    EMAIL_DOMAINS,
    ID_PAIRS,
    LOCALES,
    SCHOOL_YEAR_START,
    SENSITIVE_KEYS,
    TERM_DAYS,
    VACCINE_DETAILS,
    level_of,
    school_names,
    weighted,
)

__all__ = ["RecordBuilder", "other_case"]

T = TypeVar("T")

_SIBLING_STEPS = (-4, -3, -2, 2, 3, 4)


def other_case(address: str) -> str:
    """The same mailbox as typed by the other parent."""
    return address.lower() if address != address.lower() else address.capitalize()


class RecordBuilder:
    """Accumulates one roster; every random choice goes through one Random(seed)."""

    def __init__(self, students: int, seed: int) -> None:
        self.rng = Random(seed)
        self.random = self.rng.random
        pools = name_pools(seed)
        self.locales = weighted({locale: weight for locale, (weight, _) in LOCALES.items()})
        self.domains = weighted(EMAIL_DOMAINS)
        self.schools = school_names(self.rng, students)
        self.rates = [self.rng.uniform(0.3, 0.6) for _ in SENSITIVE_KEYS]
        self.names = PersonNames(self.rng, pools)
        self.students: list[Student] = []
        self.contacts: list[Contact] = []
        self.links: list[Link] = []
        self.taken_ids: set[str] = set()
        self.taken_emails: set[str] = set()
        self.births: dict[int, tuple[str, ...]] = {}

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.random() * len(items))]

    def roster(self) -> Roster:
        return Roster(tuple(self.students), tuple(self.contacts), tuple(self.links))

    # -- ids, emails -------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        while True:
            bits = self.rng.getrandbits(40)
            pairs = ID_PAIRS
            ident = (
                prefix
                + pairs[bits & 1023]
                + pairs[bits >> 10 & 1023]
                + pairs[bits >> 20 & 1023]
                + pairs[bits >> 30]
            )
            if ident not in self.taken_ids:
                self.taken_ids.add(ident)
                return ident

    def email(self, base: str) -> str:
        """base + a number + a reserved domain, unique; some typed with capitals."""
        random = self.random
        domain = self.pick(self.domains)
        number = 1 + int(random() * 99)
        address = f"{base}{number}@{domain}"
        while address in self.taken_emails:
            number += 1 + int(random() * 99)
            address = f"{base}{number}@{domain}"
        self.taken_emails.add(address)
        roll = random()
        if roll < 0.08:  # addresses compare case-insensitively
            return f"{base.title()}{number}@{domain}"
        if roll < 0.11:
            return address.upper()
        return address

    def personal_email(self, first: Name, last: Name) -> str:
        f, ln = first.ascii[:20], last.ascii[:20]
        pattern = int(self.random() * 5)
        base = (f"{f}.{ln}", f"{f}{ln}", f"{f[0]}{ln}", f"{f}_{ln}", f"{ln}.{f}")[pattern]
        return self.email(base)

    # -- records -----------------------------------------------------------------------

    def contact(self, locale: str, female: bool, last: Name, email: str | bool) -> Contact:
        """email: an address to use, True to derive one from the name, False for none."""
        first, last = self.names.person(locale, female, last)
        if email is True:
            email = self.personal_email(first, last)
        language = LOCALES[locale][1]
        if language != "en" and self.random() < 0.4:
            language = "en"
        contact = Contact(self.new_id("C-"), first.text, last.text, email or None, language)
        self.contacts.append(contact)
        return contact

    def sensitive(self, all_keys: bool) -> dict[str, str]:
        random = self.random
        rates = self.rates
        found: dict[str, str] = {}
        if all_keys or random() < rates[0]:
            found["vaccines_missing"] = self.pick(VACCINE_DETAILS)
        if all_keys or random() < rates[1]:
            index = int(random() * 70)
            day = TERM_DAYS[index]
            if random() < 0.6:
                back = TERM_DAYS[index + self.pick((10, 14, 21, 29))]
                found["covid_test"] = f"positive on {day}; resume testing on {back}"
            else:
                found["covid_test"] = f"negative on {day}; test again in 7 days"
        if all_keys or random() < rates[2]:
            found["absences"] = f"{3 + int(random() * 23)} unexcused absences"
        return found

    def birth_date(self, grade: int) -> str:
        """Age on SCHOOL_YEAR_START is grade + 5: born in the year up to that day."""
        days = self.births.get(grade)
        if days is None:
            latest = SCHOOL_YEAR_START.replace(year=SCHOOL_YEAR_START.year - grade - 5)
            days = tuple((latest - timedelta(days=d)).isoformat() for d in range(365))
            self.births[grade] = days
        return self.pick(days)

    def student(
        self,
        locale: str,
        last: Name,
        grade: int,
        schools: Mapping[str, str],
        *,
        birth: str | None = None,
        all_keys: bool = False,
    ) -> Student:
        first, last = self.names.person(locale, self.random() < 0.5, last)
        student = Student(
            self.new_id("S-"),
            first.text,
            last.text,
            grade,
            schools[level_of(grade)],
            birth or self.birth_date(grade),
            self.sensitive(all_keys),
        )
        self.students.append(student)
        return student

    def link(
        self,
        student: Student,
        contact: Contact,
        relationship: str,
        receives_mail: bool = True,
        restricted: bool = False,
    ) -> None:
        self.links.append(Link(student.id, contact.id, relationship, receives_mail, restricted))

    def household_schools(self) -> dict[str, str]:
        """Siblings at one level go to one school; at different levels, to different ones."""
        return {level: self.pick(names) for level, names in self.schools.items()}

    def grades(self, count: int) -> list[int]:
        """Siblings' grades: a few years apart, sometimes twins."""
        grades = [int(self.random() * 13)]
        while len(grades) < count:
            if self.random() < 0.06:
                grades.append(grades[-1])  # twins
            else:
                grades.append(min(12, max(0, grades[-1] + self.pick(_SIBLING_STEPS))))
        return grades
