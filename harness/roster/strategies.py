"""Hypothesis strategies for rosters and campaigns: Hypothesis draws the structure.

`rosters(...)` draws households one after another until the roster holds the drawn number of
students: how many children, which contacts, which siblings each contact is linked to, and
the flags of every link (`receives_mail`, `contact_restricted`, independently), contacts
without email, two contacts on one mailbox, a contact of an earlier household linked again
(often at another school), family names shared by unrelated households, look-alike and
non-ASCII names. Each edge case has a rate knob. Every choice is a Hypothesis draw that
shrinks towards the plain case (fewer students and contacts, flags off, the first name of a
pool), so a failing roster shrinks to the few records the failure needs, and replays exactly.

Names come from the generator's Faker pools (`name_pools`, Faker seeded once with a fixed
seed) and obey its uniqueness rule (`NameRegistry`); ids are canaries made by a bijection of
the record's position, so they never collide; addresses use reserved domains only.

Households are drawn as a list of specs that refer to earlier households only by index
modulo their number, so shrinking deletes whole households. At most `DRAWN_STUDENTS`
students are drawn this way; a roster around a batch size (`batch_sizes`) is topped up with
plain households built from one drawn seed: Hypothesis bounds how many choices one example
may make, and a batch boundary needs the count of those rows, not their detail.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from random import Random

from hypothesis import strategies as st

from harness.roster.campaign import CAMPAIGN_KINDS, Campaign, build_campaign
from harness.roster.generate import (
    EMAIL_DOMAINS,
    ID_ALPHABET,
    LOCALES,
    SCHOOL_YEAR_START,
    Name,
    NamePools,
    NameRegistry,
    join_names,
    make_name,
    name_pools,
)
from harness.roster.household_specs import (
    ContactSpec,
    HouseholdSpec,
    LinkFlags,
    Person,
    Rates,
    chance,
    household_specs,
)
from harness.roster.model import Contact, Link, Roster, Student

__all__ = [
    "BATCH_SIZES",
    "DRAWN_STUDENTS",
    "campaigns",
    "canary",
    "roster_campaigns",
    "rosters",
]

BATCH_SIZES = (25, 50, 100, 500)
DRAWN_STUDENTS = 64
_POOL_SEED = 0
_CONTACT_SALT = 0x5A5A5A5A5A  # contact ids need not look like the student ids
_LOCALES = tuple(LOCALES)  # en_US first: names shrink towards it
_DOMAINS = tuple(EMAIL_DOMAINS)
_KINDS = tuple(CAMPAIGN_KINDS)  # vaccine first
_LEVELS = ("Elementary School", "Middle School", "High School")
_SCHOOLS = {level: (f"Alder Creek {level}", f"Quail Ridge {level}") for level in _LEVELS}
_DETAILS = {
    "vaccines_missing": ("Tdap", "MMR", "Tdap, Meningococcal", "Varicella"),
    "covid_test": (
        "positive on 2026-09-14; resume testing on 2026-09-28",
        "negative on 2026-10-02; test again in 7 days",
    ),
    "absences": ("4 unexcused absences", "11 unexcused absences", "17 unexcused absences"),
}


def canary(prefix: str, position: int, salt: int = 0) -> str:
    """A unique id for a position: multiplying by an odd number is a bijection mod 2**40."""
    value = (position * 0x9E3779B97F + salt) % (1 << 40)
    return prefix + "".join(ID_ALPHABET[value >> (5 * i) & 31] for i in range(8))


@cache
def _pools() -> dict[str, NamePools]:
    return name_pools(_POOL_SEED)


@cache
def _non_ascii_pools() -> NamePools:
    """Every pool name with a letter outside ASCII, over all locales."""
    pools = _pools().values()

    def pick(names: Sequence[Name]) -> tuple[Name, ...]:
        return tuple(n for n in names if not n.text.isascii())

    return NamePools(
        pick([n for p in pools for n in p.female]),
        pick([n for p in pools for n in p.male]),
        pick([n for p in pools for n in p.last]),
    )


@dataclass
class _Draft:
    """The roster being drawn, with the registries that keep it valid."""

    rates: Rates
    names: NameRegistry = field(default_factory=NameRegistry)
    students: list[Student] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    emails: set[str] = field(default_factory=set)
    families: list[Name] = field(default_factory=list)

    def roster(self) -> Roster:
        return Roster(tuple(self.students), tuple(self.contacts), tuple(self.links))

    def claim_first(self, pool: Sequence[Name], start: int, last: Name) -> tuple[Name, Name]:
        """The first free full name from pool[start] on; a double family name if none is."""
        for step in range(len(pool)):
            first = pool[(start + step) % len(pool)]
            if self.names.claim(first, last):
                return first, last
        for second in _pools()["en_US"].last:
            if second.key != last.key:
                joined = join_names(last, second, "-")
                for first in pool:
                    if self.names.claim(first, joined):
                        return first, joined
        raise AssertionError("the name pools are exhausted")  # pragma: no cover

    def email(self, first: Name, last: Name, domain: str) -> str:
        base = f"{first.ascii[:20]}.{last.ascii[:20]}"
        address, number = f"{base}@{domain}", 1
        while address in self.emails:
            number += 1
            address = f"{base}{number}@{domain}"
        self.emails.add(address)
        return address

    def student(self, first: Name, last: Name, grade: int, school: int, picked: bool) -> Student:
        position = len(self.students)
        latest = SCHOOL_YEAR_START.replace(year=SCHOOL_YEAR_START.year - grade - 5)
        level = _LEVELS[0] if grade <= 5 else _LEVELS[1] if grade <= 8 else _LEVELS[2]
        sensitive = {k: v[position % len(v)] for k, v in _DETAILS.items()} if picked else {}
        student = Student(
            canary("S-", position),
            first.text,
            last.text,
            grade,
            _SCHOOLS[level][school],
            (latest - timedelta(days=position * 37 % 365)).isoformat(),
            sensitive,
        )
        self.students.append(student)
        return student

    def contact(self, first: Name, last: Name, email: str | None, locale: str) -> Contact:
        contact = Contact(
            canary("C-", len(self.contacts), _CONTACT_SALT),
            first.text,
            last.text,
            email,
            LOCALES[locale][1],
        )
        self.contacts.append(contact)
        return contact


def rosters(
    min_students: int = 1,
    max_students: int = 8,
    *,
    siblings: float = 0.4,
    partial_links: float = 0.2,
    shared_addresses: float = 0.1,
    restricted: float = 0.15,
    missing_email: float = 0.1,
    no_mail: float = 0.15,
    non_ascii: float = 0.2,
    look_alike: float = 0.15,
    cross_school: float = 0.15,
    same_surname: float = 0.2,
    selected: float = 0.8,
    batch_sizes: Sequence[int] = (),
    batch_rate: float = 0.1,
) -> st.SearchStrategy[Roster]:
    """Rosters of `min_students` to `max_students` students. With `batch_sizes` (e.g.
    `BATCH_SIZES`), about `batch_rate` of them instead hold up to two more students than
    one of those sizes: half of those near the size, half anywhere below it.

    Rates are probabilities per household, contact or link: `siblings` (a household of 2-4
    children), `partial_links` (a contact linked to only some of the siblings),
    `shared_addresses` (a contact on another contact's mailbox, typed in another case),
    `restricted`, `missing_email`, `no_mail` (`receives_mail` false), `non_ascii` and
    `look_alike` names, `cross_school` (a contact of an earlier household linked to this
    one's children too), `same_surname` (an unrelated household with an earlier family name),
    `selected` (a student carries the sensitive fields each built-in campaign selects on).
    """
    if not 1 <= min_students <= max_students <= DRAWN_STUDENTS:
        raise ValueError(
            f"need 1 <= min_students <= max_students <= {DRAWN_STUDENTS}, got "
            f"{min_students}, {max_students}; larger rosters come with batch_sizes"
        )
    rates = Rates(
        siblings, partial_links, shared_addresses, restricted, missing_email, no_mail,
        non_ascii, look_alike, cross_school, same_surname, selected,
    )  # fmt: skip
    boundaries = tuple(sorted(b for b in batch_sizes if b + 2 >= min_students))
    return _rosters(min_students, max_students, boundaries, batch_rate, rates)


@st.composite
def _rosters(
    draw: st.DrawFn,
    min_students: int,
    max_students: int,
    boundaries: tuple[int, ...],
    batch_rate: float,
    rates: Rates,
) -> Roster:
    target = 0
    if boundaries and chance(draw, batch_rate):
        boundary = draw(st.sampled_from(boundaries))
        # The wide branch first: shrinking moves a size near the boundary into it, then down.
        target = draw(
            st.one_of(
                st.integers(min_students, boundary + 2),
                st.integers(max(min_students, boundary - 2), boundary + 2),
            )
        )
    # After the size: the shrinker simplifies earlier choices first, and the size is what a
    # batch boundary needs shrunk.
    households = draw(
        st.lists(household_specs(rates), min_size=min_students, max_size=max_students)
    )
    draft = _Draft(rates)
    limit = min(max_students, target) if target and target < max_students else max_students
    for spec in households:
        if len(draft.students) >= limit:
            break
        _household(draft, spec, limit - len(draft.students))
    if len(draft.students) < target:
        filler = Random(draw(st.integers(0, 2**32 - 1)))
        while len(draft.students) < target:
            _plain_household(filler, draft)
    return draft.roster()


def _household(draft: _Draft, spec: HouseholdSpec, room: int) -> None:
    earlier = len(draft.contacts)
    family = _family_name(draft, spec)
    children = []
    for grade, person, selected in spec.children[:room]:
        first, last = _person(draft, spec.locale, person, family)
        children.append(draft.student(first, last, grade, spec.school, selected))
    for contact_spec in spec.contacts:
        last = family
        if not contact_spec.own_family:
            pool = _pools()[spec.locale].last
            last = pool[contact_spec.family % len(pool)]
        first, last = _person(draft, spec.locale, contact_spec.person, last)
        contact = draft.contact(
            first, last, _address(draft, contact_spec, first, last), spec.locale
        )
        chosen = contact_spec.linked or (True,) * len(children)
        linked = [
            (kid, f)
            for kid, f, keep in zip(children, contact_spec.flags, chosen, strict=False)
            if keep
        ]
        for kid, flags in linked or [(children[-1], contact_spec.flags[len(children) - 1])]:
            _link(draft, kid, contact, contact_spec.role, flags)
    if earlier and spec.cross is not None:
        ref, role, flags_list = spec.cross
        other = draft.contacts[ref % earlier]
        for kid, flags in zip(children, flags_list, strict=False):
            _link(draft, kid, other, role, flags)


def _link(draft: _Draft, kid: Student, contact: Contact, role: str, flags: LinkFlags) -> None:
    draft.links.append(Link(kid.id, contact.id, role, not flags.no_mail, flags.restricted))


def _family_name(draft: _Draft, spec: HouseholdSpec) -> Name:
    families = draft.families
    if families and spec.family == "same":
        return families[spec.family_ref % len(families)]
    if families and spec.family == "look-alike":
        name = _look_alike(families[spec.family_ref % len(families)], spec.family_pick)
    else:
        pool = _non_ascii_pools().last if spec.non_ascii_family else _pools()[spec.locale].last
        name = pool[spec.family_pick % len(pool)]
    families.append(name)
    return name


def _look_alike(name: Name, pick: int) -> Name:
    """A family name a careless join confuses with `name`: a letter more or less, the
    accents dropped, or `name` within a double name."""
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", name.text) if not unicodedata.combining(c)
    )
    variants = [make_name(name.text + "s"), join_names(name, _pools()["en_US"].last[0], "-")]
    shorter = name.text[:-1].strip(" -'")
    if len(name.text) > 3 and make_name(shorter).key:
        variants.append(make_name(shorter))
    if stripped != name.text:
        variants.append(make_name(stripped))
    return variants[pick % len(variants)]


def _person(draft: _Draft, locale: str, person: Person, last: Name) -> tuple[Name, Name]:
    pools = _non_ascii_pools() if person.non_ascii else _pools()[locale]
    pool = pools.female if person.female else pools.male
    return draft.claim_first(pool, person.first % len(pool), last)


def _address(draft: _Draft, spec: ContactSpec, first: Name, last: Name) -> str | None:
    if spec.email == "none":
        return None
    mailed = [c.email for c in draft.contacts if c.email]
    if mailed and spec.email == "shared":
        shared = mailed[-1 - spec.ref % len(mailed)]  # the latest first: usually a spouse
        return shared.upper() if shared != shared.upper() else shared.lower()
    return draft.email(first, last, _DOMAINS[spec.domain])


def _plain_household(rng: Random, draft: _Draft) -> None:
    """One selected child and one guardian who receives mail: the bulk of a large roster,
    so that a roster of about a batch size also makes about that many notices."""
    pools = _pools()[rng.choice(_LOCALES)]
    family = pools.last[rng.randrange(len(pools.last))]
    pool = pools.female if rng.random() < 0.5 else pools.male
    first, last = draft.claim_first(pool, rng.randrange(len(pool)), family)
    kid = draft.student(first, last, rng.randrange(13), rng.randrange(2), True)
    first, last = draft.claim_first(pools.female, rng.randrange(len(pools.female)), family)
    address = draft.email(first, last, rng.choice(_DOMAINS))
    guardian = draft.contact(first, last, address, "en_US")
    draft.links.append(Link(kid.id, guardian.id, "mother", True, False))


@st.composite
def campaigns(draw: st.DrawFn, roster: Roster, subsets: float = 0.0) -> Campaign:
    """A built-in campaign kind on `roster`; with `subsets`, about that share of campaigns
    select only some of the students the kind selects (a campaign file reproduces those)."""
    campaign = build_campaign(roster.students, draw(st.sampled_from(_KINDS)))
    if campaign.selected and chance(draw, subsets):
        kept = tuple(s for s in campaign.selected if draw(st.booleans()))
        campaign = dataclasses.replace(
            campaign, selected=kept, details={s: campaign.details[s] for s in kept}
        )
    return campaign


@st.composite
def roster_campaigns(
    draw: st.DrawFn, /, subsets: float = 0.0, **roster_options: object
) -> tuple[Roster, Campaign]:
    """(roster, campaign): a roster drawn by `rosters(**roster_options)`, then a campaign."""
    roster = draw(rosters(**roster_options))  # type: ignore[arg-type]
    return roster, draw(campaigns(roster, subsets))
