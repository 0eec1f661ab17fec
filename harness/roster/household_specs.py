"""What Hypothesis draws for one household of a generated roster, before it meets the roster
(`harness.roster.strategies` builds the records from these specs). Every choice shrinks
towards the plain case: flags off, one child, one contact with an email of its own."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from harness.roster.tables import EMAIL_DOMAINS, LOCALES

__all__ = [
    "ContactSpec",
    "HouseholdSpec",
    "LinkFlags",
    "Person",
    "Rates",
    "chance",
    "draw_flags",
    "household_specs",
]

_LOCALES = tuple(LOCALES)  # en_US first: names shrink towards it
_DOMAINS = tuple(EMAIL_DOMAINS)
_ROLES = ("mother", "father", "guardian", "grandparent", "stepparent", "other")


def chance(draw: st.DrawFn, rate: float) -> bool:
    """True about `rate` of the time; shrinks to False."""
    if rate <= 0:
        return False
    if rate >= 1:
        return True
    return draw(st.integers(0, 999)) >= 1000 - round(rate * 1000)


@dataclass(frozen=True)
class Rates:
    siblings: float
    partial_links: float
    shared_addresses: float
    restricted: float
    missing_email: float
    no_mail: float
    non_ascii: float
    look_alike: float
    cross_school: float
    same_surname: float
    selected: float


@dataclass(frozen=True)
class Person:
    female: bool
    non_ascii: bool
    first: int  # index into the first-name pool (the next free one is taken)


@dataclass(frozen=True)
class LinkFlags:
    no_mail: bool
    restricted: bool


@dataclass(frozen=True)
class ContactSpec:
    role: str
    person: Person
    own_family: bool  # keeps the household's family name
    family: int  # else: index into the last-name pool
    email: str  # "own", "none" or "shared"
    ref: int  # which earlier mailbox, when shared
    domain: int
    linked: tuple[bool, ...] | None  # which siblings, None for all
    flags: tuple[LinkFlags, ...]  # one per child


@dataclass(frozen=True)
class HouseholdSpec:
    """Everything drawn for one household, before it meets the roster: references to
    earlier households are indices taken modulo their number, so deleting a household while
    shrinking leaves every other one valid."""

    locale: str
    family: str  # "fresh", "same" or "look-alike"
    family_ref: int
    family_pick: int
    non_ascii_family: bool
    school: int
    children: tuple[tuple[int, Person, bool], ...]  # (grade, person, selected)
    contacts: tuple[ContactSpec, ...]
    cross: tuple[int, str, tuple[LinkFlags, ...]] | None  # (earlier contact, role, flags)


def draw_flags(draw: st.DrawFn, rates: Rates, count: int) -> tuple[LinkFlags, ...]:
    return tuple(
        LinkFlags(chance(draw, rates.no_mail), chance(draw, rates.restricted)) for _ in range(count)
    )


def person_spec(draw: st.DrawFn, rates: Rates, female: bool) -> Person:
    return Person(female, chance(draw, rates.non_ascii), draw(st.integers(0, 1023)))


@st.composite
def household_specs(draw: st.DrawFn, rates: Rates) -> HouseholdSpec:
    size = draw(st.integers(2, 4)) if chance(draw, rates.siblings) else 1
    locale = draw(st.sampled_from(_LOCALES))
    family = "fresh"
    if chance(draw, rates.same_surname):
        family = "same"
    elif chance(draw, rates.look_alike):
        family = "look-alike"
    family_ref = draw(st.integers(0, 1023)) if family != "fresh" else 0
    family_pick = draw(st.integers(0, 1023))
    non_ascii_family = chance(draw, rates.non_ascii)
    school = draw(st.integers(0, 1))
    children = tuple(
        (
            draw(st.integers(0, 12)),
            person_spec(draw, rates, draw(st.booleans())),
            chance(draw, rates.selected),
        )
        for _ in range(size)
    )
    contacts = []
    for index in range(draw(st.integers(1, 3))):
        role = draw(st.sampled_from(_ROLES))
        female = role == "mother" or (role != "father" and draw(st.booleans()))
        person = person_spec(draw, rates, female)
        own_family = not chance(draw, 0.25)
        family_index = 0 if own_family else draw(st.integers(0, 1023))
        email, ref, domain = "own", 0, 0
        if chance(draw, rates.missing_email):
            email = "none"
        elif chance(draw, rates.shared_addresses):
            email, ref = "shared", draw(st.integers(0, 1023))
        else:
            domain = draw(st.integers(0, len(_DOMAINS) - 1))
        linked = None
        if index and size > 1 and chance(draw, rates.partial_links):
            linked = tuple(draw(st.booleans()) for _ in range(size))
        flags = draw_flags(draw, rates, size)
        contacts.append(
            ContactSpec(role, person, own_family, family_index, email, ref, domain, linked, flags)
        )
    cross = None
    if chance(draw, rates.cross_school):
        role = draw(st.sampled_from(("stepparent", "other")))
        cross = (draw(st.integers(0, 1023)), role, draw_flags(draw, rates, size))
    return HouseholdSpec(
        locale, family, family_ref, family_pick, non_ascii_family, school, children,
        tuple(contacts), cross,
    )  # fmt: skip
