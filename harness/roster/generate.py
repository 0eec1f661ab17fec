"""Synthetic rosters: realistic families, deterministic for a seed, every edge case planted.

`generate_roster(students, seed)` builds a roster of households. Most households are random:
1-4 children who share a family name, grades and schools, and 1-4 household contacts
(mother, father, guardian, grandparent, stepparent, other), with the flags of a real student
information system: some contacts have no email, some links say `receives_mail` false, a few
say `contact_restricted` (a custody or no-contact order) and often still `receives_mail`,
some couples share one family mailbox, some contacts reappear in a second household (a
step-family), and siblings in different grades go to different schools.

Why plant. The oracle's checks only bite when the roster holds the shapes pipelines get wrong.
Random draws make each shape likely in a large roster, never certain in every one, and a
campaign selects only part of the roster: a suite that passes because seed 7 drew no
restricted parent among the students missing Tdap proves nothing. So every roster of at least
`PLANT_MIN_STUDENTS` students also carries dedicated households, built deterministically:

- a blended family: two siblings at different schools (elementary and middle), four contacts
  each. Mother and stepparent share one mailbox (spelt in different case), both receive mail
  and are linked to both children (a guardian who must get two notices); the father has an
  email and is restricted for both children while his links still say `receives_mail` (the
  dangerous combination); a grandparent without email is linked to the younger child; an
  aunt or uncle with an email whose link says `receives_mail` false is linked to the older.
  The family name has non-ASCII letters.
- a single child in high school with exactly one contact, a guardian who receives mail.

The planted children carry all three sensitive fields, so every campaign kind
(`CAMPAIGN_KINDS`) selects them: each link-level edge case concerns a selected student of
each kind, whatever the random rates. One pair of planted households comes per 1,000
students (at least one pair), at evenly spread points of the roster and never at its start,
so a pipeline that treats the first rows specially cannot hide. Planted households draw their
names, ids and emails from the same pools and registries as random ones: only the structure
tells them apart.

Speed. Faker is called only to draw pools of a few hundred names per locale and per seed;
every record combines pool entries with one `random.Random(seed)`. Full names are unique
across all persons after folding (case, diacritics, punctuation), and no person's
"Last First" equals another's "First Last" (see `NameRegistry.claim`). A family name drawn
often is combined with a second one ("Nguyen-Schmidt", "García López"), so that a district
of 600,000 students still finds unused first names at the first draw or so.
"""

from __future__ import annotations

import gc
import itertools
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache
from random import Random
from typing import NamedTuple, TypeVar

from faker import Faker

from harness.errors import RosterError
from harness.roster.model import Contact, Link, Roster, Student

__all__ = [
    "EMAIL_DOMAINS",
    "ID_ALPHABET",
    "LOCALES",
    "PLANT_MIN_STUDENTS",
    "RELATIONSHIPS",
    "SCHOOL_YEAR_START",
    "Name",
    "NamePools",
    "NameRegistry",
    "fold_name",
    "generate_roster",
    "join_names",
    "make_name",
    "name_pools",
]

T = TypeVar("T")

# 32 unambiguous characters: no 0/O, no 1/I.
ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
RELATIONSHIPS = ("mother", "father", "guardian", "grandparent", "stepparent", "other")
# locale -> (weight, language of its contacts)
LOCALES: dict[str, tuple[int, str]] = {
    "en_US": (44, "en"),
    "es_MX": (18, "es"),
    "vi_VN": (8, "vi"),
    "fr_FR": (6, "fr"),
    "de_DE": (6, "de"),
    "pl_PL": (6, "pl"),
    "pt_BR": (6, "pt"),
    "it_IT": (6, "it"),
}
# Reserved domains only (RFC 2606 / 6761): a misconfigured run can never mail a real person.
EMAIL_DOMAINS: dict[str, int] = {
    "example.com": 30,
    "example.org": 14,
    "example.net": 14,
    "mail.example": 12,
    "inbox.example": 6,
    "families.test": 12,
    "home.invalid": 6,
    "parents.test": 6,
}
# The school year every grade and date refers to: age on this day is grade + 5.
SCHOOL_YEAR_START = date(2026, 9, 1)
PLANT_MIN_STUDENTS = 5
_PLANT_EVERY = 1000
_CROWD = 12
_POOL_SIZE = 300
_SENSITIVE_KEYS = ("vaccines_missing", "covid_test", "absences")
_VACCINES = ("Tdap", "Meningococcal", "MMR", "Varicella", "Hepatitis B", "Polio (IPV)")
# "Tdap", "Tdap, MMR", ...: one, two or three vaccines in any order, fewer more often.
_VACCINE_DETAILS = tuple(
    ", ".join(combo) for k in (1, 1, 2, 2, 3) for combo in itertools.permutations(_VACCINES, k)
)
_TERM_DAYS = tuple((date(2026, 9, 8) + timedelta(days=d)).isoformat() for d in range(100))
_ID_PAIRS = tuple(a + b for a in ID_ALPHABET for b in ID_ALPHABET)
_LEVELS = ("Elementary School", "Middle School", "High School")

_FOLD_EXTRA = str.maketrans(
    {"ł": "l", "đ": "d", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "\u0131": "i", "þ": "th"}
)


def fold_name(text: str) -> str:
    """Lower-case ASCII words: case, diacritics and punctuation folded away.

    Stricter than casefold plus NFKD, and word by word: "Łukasz O'Brien-Nguyễn" ->
    "lukasz obriennguyen". Two names equal after casefold and NFKD fold equal here.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD_EXTRA))
    kept = "".join(
        ch if ch.isspace() or (ch.isascii() and ch.isalnum()) else ""
        for ch in decomposed
        if not unicodedata.combining(ch)
    )
    return " ".join(kept.split())


class Name(NamedTuple):
    text: str  # as displayed: "Hernández"
    key: str  # folded words: "hernandez"
    ascii: str  # letters for an email local part: "hernandez"
    single: bool  # the key is one word


def make_name(text: str) -> Name:
    key = fold_name(text)
    return Name(text, key, key.replace(" ", ""), " " not in key)


def join_names(first: Name, second: Name, sep: str) -> Name:
    """A double name: "García López" (two words) or "Nguyen-Schmidt" (one word)."""
    if sep == " ":
        return Name(
            f"{first.text} {second.text}",
            f"{first.key} {second.key}",
            first.ascii + second.ascii,
            False,
        )
    return Name(
        first.text + sep + second.text,
        first.key + second.key,
        first.ascii + second.ascii,
        first.single and second.single,
    )


def _table(weights: Mapping[T, int]) -> tuple[T, ...]:
    """A tuple to index with int(random() * len): much faster than Random.choices."""
    return tuple(item for item, weight in weights.items() for _ in range(weight))


class NamePools(NamedTuple):
    female: tuple[Name, ...]
    male: tuple[Name, ...]
    last: tuple[Name, ...]


@lru_cache(maxsize=16)
def _faker(locale: str) -> Faker:
    return Faker(locale)


def _draw(produce: Callable[[], object], size: int) -> tuple[Name, ...]:
    """Up to `size` distinct names; stops early once the provider has no new ones."""
    seen: dict[str, Name] = {}
    drawn: set[str] = set()
    misses = 0
    for _ in range(size * 6):
        raw = str(produce())
        if raw in drawn:
            misses += 1
            if misses >= 100:
                break
            continue
        drawn.add(raw)
        misses = 0
        name = make_name(raw)
        if name.ascii and name.key not in seen:
            seen[name.key] = name
            if len(seen) >= size:
                break
    return tuple(seen.values())


@lru_cache(maxsize=8)
def name_pools(seed: int) -> dict[str, NamePools]:
    """Name pools per locale: the only Faker calls, a few thousand per seed."""
    pools: dict[str, NamePools] = {}
    for locale in LOCALES:
        fake = _faker(locale)
        fake.seed_instance(seed)
        female = _draw(fake.first_name_female, _POOL_SIZE)
        male = _draw(fake.first_name_male, _POOL_SIZE)
        last = _draw(fake.last_name, _POOL_SIZE)
        if locale == "vi_VN":
            # Few given names: compose them with middle names, as Vietnamese names are.
            middles = _draw(fake.middle_name, 20)
            female += tuple(join_names(m, g, " ") for m in middles for g in female[:15])
            male += tuple(join_names(m, g, " ") for m in middles for g in male[:15])
        pools[locale] = NamePools(female, male, last)
    return pools


def _school_names(rng: Random, students: int) -> dict[str, tuple[str, ...]]:
    """A small invented district: level -> school names."""
    first = [
        "Alder", "Aspen", "Birch", "Juniper", "Heron", "Granite", "Larkspur",
        "Meadow", "Sycamore", "Willow", "Quail", "Red Fern", "Osprey", "Bluestem",
    ]  # fmt: skip
    second = ["Creek", "Hill", "Ridge", "Grove", "Hollow", "Point", "Springs", "Crossing", "Bend"]
    rng.shuffle(first)
    counts = (3, 2, 1) if students >= 1000 else (2, 1, 1)
    return {
        level: tuple(f"{first.pop()} {rng.choice(second)} {level}" for _ in range(count))
        for level, count in zip(_LEVELS, counts, strict=True)
    }


def _level(grade: int) -> str:
    return _LEVELS[0] if grade <= 5 else _LEVELS[1] if grade <= 8 else _LEVELS[2]


def _other_case(address: str) -> str:
    """The same mailbox as typed by the other parent."""
    return address.lower() if address != address.lower() else address.capitalize()


_HOUSEHOLD_SIZES = _table({1: 42, 2: 36, 3: 16, 4: 6})
_CONTACT_COUNTS = _table({1: 18, 2: 58, 3: 17, 4: 7})
_SINGLE_ROLES = _table({"mother": 50, "father": 20, "guardian": 20, "grandparent": 10})
_ROLE_PAIRS = _table(
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
_SIBLING_STEPS = (-4, -3, -2, 2, 3, 4)


class NameRegistry:
    """The full names taken so far: unique after folding, and no "Last First" equal to
    another person's "First Last". Shared by the generator and the Hypothesis strategies."""

    def __init__(self) -> None:
        self.taken_pairs: set[str] = set()  # names of two one-word parts, see claim()
        self.taken_long: set[str] = set()  # both orders of every other name

    def claim(self, first: Name, last: Name) -> bool:
        """Take a full name unless its "First Last" or "Last First" is another person's.

        Two one-word parts: both orders are one unordered pair, so one canonical key is
        checked. Otherwise the words may split differently ("Ana Quintero" "Parra" against
        "Ana" "Quintero Parra"), so both orders are checked as strings, against the names
        with as many words: only those of other persons with a name of several words.
        """
        if first.single and last.single:
            a, b = first.key, last.key
            pair = f"{a} {b}" if a <= b else f"{b} {a}"
            if pair in self.taken_pairs:
                return False
            self.taken_pairs.add(pair)
            return True
        taken = self.taken_long
        forward = f"{first.key} {last.key}"
        if forward in taken:
            return False
        backward = f"{last.key} {first.key}"
        if backward in taken:
            return False
        taken.add(forward)
        taken.add(backward)
        return True


class _Builder:
    """Accumulates one roster; every random choice goes through one Random(seed)."""

    def __init__(self, students: int, seed: int) -> None:
        self.rng = Random(seed)
        self.random = self.rng.random
        self.pools = name_pools(seed)
        self.locales = _table({locale: weight for locale, (weight, _) in LOCALES.items()})
        self.any_locale = tuple(LOCALES)
        self.domains = _table(EMAIL_DOMAINS)
        self.schools = _school_names(self.rng, students)
        self.rates = [self.rng.uniform(0.3, 0.6) for _ in _SENSITIVE_KEYS]
        # Family names in slots, one set per locale. A slot drawn this many times takes a
        # double name on the same surname, so that first names drawn for a family name
        # rarely collide however large the roster (about three persons carry a family name
        # each time it is drawn).
        self.capacity = {
            locale: max(2, min(len(p.female), len(p.male)) // _CROWD)
            for locale, p in self.pools.items()
        }
        self.family_slots = {locale: list(p.last) for locale, p in self.pools.items()}
        self.family_uses = {locale: [0] * len(p.last) for locale, p in self.pools.items()}
        self.students: list[Student] = []
        self.contacts: list[Contact] = []
        self.links: list[Link] = []
        self.names = NameRegistry()
        self.taken_ids: set[str] = set()
        self.taken_emails: set[str] = set()
        self.reusable: list[Contact] = []  # parents who may reappear in a step-family
        self.births: dict[int, tuple[str, ...]] = {}
        self.accented: list[tuple[str, Name]] = []  # family names with non-ASCII letters

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.random() * len(items))]

    # -- names, ids, emails ------------------------------------------------------------

    def person(self, locale: str, female: bool, last: Name) -> tuple[Name, Name]:
        """A unique (first, last): a first name of the locale, of any locale, or a double name."""
        random = self.random
        claim = self.names.claim
        pools = self.pools[locale]
        pool = pools.female if female else pools.male
        for attempt in range(12):
            if attempt == 6:
                pools = self.pools[self.pick(self.any_locale)]
                pool = pools.female if female else pools.male
            first = pool[int(random() * len(pool))]
            if claim(first, last):
                return first, last
        while True:
            double = self.double(last, self.pick(self.any_locale))
            pools = self.pools[self.pick(self.any_locale)]
            pool = pools.female if female else pools.male
            first = pool[int(random() * len(pool))]
            if claim(first, double):
                return first, double

    def double(self, last: Name, locale: str) -> Name:
        """`last` and a second surname of the locale (of any, where the locale has few)."""
        pool = self.pools[locale].last
        second = self.pick(pool)
        for _ in range(20):
            if len(pool) >= 100 and second.key != last.key:
                break
            pool = self.pools[self.pick(self.any_locale)].last
            second = self.pick(pool)
        return join_names(last, second, " " if locale in ("es_MX", "pt_BR") else "-")

    def last_name(self, locale: str) -> Name:
        """A family name of the locale: see family_slots."""
        slots, uses = self.family_slots[locale], self.family_uses[locale]
        slot = int(self.random() * len(slots))
        if uses[slot] >= self.capacity[locale]:
            slots[slot] = self.double(self.pools[locale].last[slot], locale)
            uses[slot] = 0
        uses[slot] += 1
        last = slots[slot]
        if locale == "es_MX" and self.random() < 0.3:
            last = self.double(last, locale)  # two surnames, as many Mexican families write
        return last

    def new_id(self, prefix: str) -> str:
        while True:
            bits = self.rng.getrandbits(40)
            pairs = _ID_PAIRS
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
        first, last = self.person(locale, female, last)
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
            found["vaccines_missing"] = self.pick(_VACCINE_DETAILS)
        if all_keys or random() < rates[1]:
            index = int(random() * 70)
            day = _TERM_DAYS[index]
            if random() < 0.6:
                back = _TERM_DAYS[index + self.pick((10, 14, 21, 29))]
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
        first, last = self.person(locale, self.random() < 0.5, last)
        student = Student(
            self.new_id("S-"),
            first.text,
            last.text,
            grade,
            schools[_level(grade)],
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
        grades = [int(self.random() * 13)]
        while len(grades) < count:
            if self.random() < 0.06:
                grades.append(grades[-1])  # twins
            else:
                grades.append(min(12, max(0, grades[-1] + self.pick(_SIBLING_STEPS))))
        return grades

    # -- households --------------------------------------------------------------------

    def roles(self) -> list[str]:
        count = self.pick(_CONTACT_COUNTS)
        if count == 1:
            return [self.pick(_SINGLE_ROLES)]
        roles = list(self.pick(_ROLE_PAIRS))
        while len(roles) < count:
            roles.append(self.pick(_EXTRA_ROLES))
        return roles

    def random_household(self, size: int) -> None:
        random = self.random
        locale = self.pick(self.locales)
        family = self.last_name(locale)
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
            last = family if random() < keep else self.last_name(locale)
            email: str | bool = random() < (0.6 if role in ("grandparent", "other") else 0.9)
            if shared_mailbox and index == 0:
                mailbox = email = self.email(f"{last.ascii[:20]}.family")
            elif shared_mailbox and index == 1:
                email = _other_case(mailbox) if random() < 0.5 else mailbox
            contact = self.contact(locale, female, last, email)
            members.append((contact, role))
        grades = self.grades(size)
        schools = self.household_schools()
        kids: list[Student] = []
        for grade in grades:
            twin = kids and kids[-1].grade == grade
            birth = kids[-1].birth_date if twin else None
            kids.append(self.student(locale, family, grade, schools, birth=birth))
        for index, (contact, role) in enumerate(members):
            receives = random() >= (0.25 if role in ("grandparent", "other") else 0.05)
            parent = role in ("mother", "father", "stepparent")
            restricted = random() < (0.03 if parent else 0.01)
            linked = kids
            if index and len(kids) > 1 and role not in ("mother", "father") and random() < 0.4:
                linked = self.rng.sample(kids, 1 + int(random() * (len(kids) - 1)))
            for kid in linked:
                self.link(kid, contact, role, receives, restricted or random() < 0.005)
        if self.reusable and len(members) < 4 and random() < 0.02:
            # A step-family: a parent of an earlier household is linked to these children too.
            contact = self.pick(self.reusable)
            role = self.pick(("stepparent", "stepparent", "other"))
            for kid in kids:
                self.link(kid, contact, role, random() >= 0.05, random() < 0.05)
        # Only now, so a household never meets its own parents as a step-family.
        for contact, role in members:
            if role in ("mother", "father") and random() < 0.05:
                self.reusable.append(contact)

    def non_ascii_family(self) -> tuple[str, Name]:
        if not self.accented:
            self.accented = [
                (locale, name)
                for locale in self.any_locale
                for name in self.pools[locale].last
                if not name.text.isascii()
            ] or [("es_MX", make_name("Hernández"))]  # every locale above has accented names
        return self.pick(self.accented)

    def planted_blended(self) -> None:
        """Two siblings, two schools, four contacts each: see the module docstring."""
        random = self.random
        locale, family = self.non_ascii_family()
        schools = self.household_schools()
        younger = self.student(locale, family, 1 + int(random() * 5), schools, all_keys=True)
        older = self.student(locale, family, 6 + int(random() * 3), schools, all_keys=True)
        mother = self.contact(locale, True, family, True)
        assert mother.email is not None
        step = self.contact(locale, False, self.last_name(locale), _other_case(mother.email))
        father = self.contact(locale, False, family, True)
        grandparent = self.contact(locale, random() < 0.5, family, False)
        aunt = self.contact(locale, random() < 0.5, self.last_name(locale), True)
        for kid in (younger, older):
            self.link(kid, mother, "mother")
            self.link(kid, step, "stepparent")
            self.link(kid, father, "father", receives_mail=True, restricted=True)
        self.link(younger, grandparent, "grandparent")
        self.link(older, aunt, "other", receives_mail=False)

    def planted_single(self) -> None:
        """One high-school student with exactly one contact, a guardian who receives mail."""
        locale = self.pick(self.locales)
        family = self.last_name(locale)
        grade = 9 + int(self.random() * 4)
        kid = self.student(locale, family, grade, self.household_schools(), all_keys=True)
        guardian = self.contact(locale, self.random() < 0.5, family, True)
        self.link(kid, guardian, "guardian")


def generate_roster(students: int, seed: int) -> Roster:
    """A roster of exactly `students` students; the same seed gives an equal roster."""
    if isinstance(students, bool) or not isinstance(students, int) or students < 0:
        raise RosterError(f"number of students must be a non-negative integer, got {students!r}")
    # Millions of small acyclic objects: the cyclic collector would only rescan them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _generate(students, seed)
    finally:
        if collecting:
            gc.enable()


def _generate(students: int, seed: int) -> Roster:
    builder = _Builder(students, seed)
    planted: list[tuple[int, Callable[[], None]]] = []  # (students, builder) in order
    if students >= PLANT_MIN_STUDENTS:
        pairs = max(1, students // _PLANT_EVERY)
        planted = [(2, builder.planted_blended), (1, builder.planted_single)] * pairs
    # Planted household i goes in once about (i + 0.5) / len(planted) of the roster is out.
    targets = [int((i + 0.5) * students / len(planted)) for i in range(len(planted))]
    pending = sum(size for size, _ in planted)
    while len(builder.students) < students:
        made = len(builder.students)
        room = students - made - pending
        if planted and (made >= targets[0] or room <= 0):
            targets.pop(0)
            size, plant = planted.pop(0)
            plant()
            pending -= size
            continue
        builder.random_household(min(builder.pick(_HOUSEHOLD_SIZES), room))
    return Roster(tuple(builder.students), tuple(builder.contacts), tuple(builder.links))
