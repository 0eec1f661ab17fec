from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import unicodedata
from collections import Counter, defaultdict
from datetime import date
from functools import cache

import pytest

from harness.errors import RosterError
from harness.roster import generate
from harness.roster.campaign import CAMPAIGN_KINDS, build_campaign
from harness.roster.generate import (
    EMAIL_DOMAINS,
    LOCALES,
    RELATIONSHIPS,
    SCHOOL_YEAR_START,
    Name,
    NamePools,
    fold_name,
    generate_roster,
    make_name,
)
from harness.roster.io import roster_to_dict
from harness.roster.model import Roster

STUDENT_ID = re.compile(r"S-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}")
CONTACT_ID = re.compile(r"C-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}")
SENSITIVE_KEYS = {"vaccines_missing", "covid_test", "absences"}

# Every (students, seed) the edge-case guarantees are checked on.
GUARANTEED = [(200, 0), (200, 1), (200, 2), (200, 3), (300, 7), (300, 11), (1000, 5), (1000, 42)]
ROSTER_CASES = {
    "siblings-share-contact",
    "one-contact",
    "four-contacts",
    "no-email",
    "no-mail",
    "restricted",
    "restricted-receives-mail-with-email",
    "shared-address",
    "cross-school-contact",
    "non-ascii-name",
}
# Link-level cases each campaign kind must select at least one student for.
PER_KIND_CASES = {
    "restricted-receives-mail-with-email",
    "no-mail-with-email",
    "no-email",
    "shared-address",
    "siblings-share-mail-contact",
}


@cache
def roster(students: int, seed: int) -> Roster:
    return generate_roster(students, seed)


def spec_key(text: str) -> str:
    """Names compare after casefold and with diacritics stripped (NFKD, no combining marks)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def cases(r: Roster, selected: set[str] | None = None) -> set[str]:
    """The edge cases present among the links of the selected students (default: all)."""

    def chosen(student_id: str) -> bool:
        return selected is None or student_id in selected

    found: set[str] = set()
    sharing = {address for address, users in r.contacts_by_address.items() if len(users) > 1}
    students_of: dict[str, set[str]] = defaultdict(set)
    mail_students_of: dict[str, set[str]] = defaultdict(set)
    schools_of: dict[str, set[str]] = defaultdict(set)
    for link in r.links:
        if not chosen(link.student_id):
            continue
        contact = r.contact_by_id[link.contact_id]
        address = contact.address
        students_of[contact.id].add(link.student_id)
        schools_of[contact.id].add(r.student_by_id[link.student_id].school)
        if address is None:
            found.add("no-email")
        elif address in sharing:
            found.add("shared-address")
        if not link.receives_mail:
            found.add("no-mail")
            if address:
                found.add("no-mail-with-email")
        if link.contact_restricted:
            found.add("restricted")
            if link.receives_mail and address:
                found.add("restricted-receives-mail-with-email")
        if address and link.receives_mail and not link.contact_restricted:
            mail_students_of[contact.id].add(link.student_id)
    if any(len(s) > 1 for s in students_of.values()):
        found.add("siblings-share-contact")
    if any(len(s) > 1 for s in mail_students_of.values()):
        found.add("siblings-share-mail-contact")
    if any(len(s) > 1 for s in schools_of.values()):
        found.add("cross-school-contact")
    counts = Counter(link.student_id for link in r.links if chosen(link.student_id))
    if 1 in counts.values():
        found.add("one-contact")
    if 4 in counts.values():
        found.add("four-contacts")
    persons = [*r.students, *r.contacts]
    if any(not (p.first_name + p.last_name).isascii() for p in persons):
        found.add("non-ascii-name")
    return found


def assert_valid(r: Roster, students: int) -> None:
    assert len(r.students) == students
    student_ids = [s.id for s in r.students]
    contact_ids = [c.id for c in r.contacts]
    assert all(STUDENT_ID.fullmatch(i) for i in student_ids), student_ids[:5]
    assert all(CONTACT_ID.fullmatch(i) for i in contact_ids), contact_ids[:5]
    assert len(set(student_ids)) == len(student_ids)
    assert len(set(contact_ids)) == len(contact_ids)
    pairs = [(link.student_id, link.contact_id) for link in r.links]
    assert len(set(pairs)) == len(pairs), "a student is linked twice to one contact"
    assert {s for s, _ in pairs} == set(student_ids)
    assert {c for _, c in pairs} == set(contact_ids), "every contact belongs to a student"
    per_student = Counter(s for s, _ in pairs)
    assert set(per_student.values()) <= {1, 2, 3, 4}
    assert {link.relationship for link in r.links} <= set(RELATIONSHIPS)
    for s in r.students:
        assert 0 <= s.grade <= 12
        assert set(s.sensitive) <= SENSITIVE_KEYS
        assert all(isinstance(v, str) and v for v in s.sensitive.values())
        born = date.fromisoformat(s.birth_date)
        age = SCHOOL_YEAR_START.year - born.year
        if (born.month, born.day) > (SCHOOL_YEAR_START.month, SCHOOL_YEAR_START.day):
            age -= 1
        assert age == s.grade + 5, (s, age)
    assert_names_unique(r)
    assert_reserved_emails(r)


def assert_names_unique(r: Roster) -> None:
    forward: dict[str, str] = {}
    for person in [*r.students, *r.contacts]:
        key = spec_key(f"{person.first_name} {person.last_name}")
        assert key not in forward, f"{person.id} and {forward[key]} share the name {key!r}"
        forward[key] = person.id
    for person in [*r.students, *r.contacts]:
        backward = spec_key(f"{person.last_name} {person.first_name}")
        other = forward.get(backward)
        assert other in (None, person.id), f"{person.id} reversed is {other}'s name {backward!r}"


def reserved(domain: str) -> bool:
    domain = domain.lower()
    return any(
        domain == d or domain.endswith("." + d)
        for d in ("example.com", "example.org", "example.net")
    ) or domain.rsplit(".", 1)[-1] in {"example", "test", "invalid"}


def assert_reserved_emails(r: Roster) -> None:
    students_of: dict[str, set[str]] = defaultdict(set)
    for link in r.links:
        students_of[link.contact_id].add(link.student_id)
    for contact in r.contacts:
        if contact.email is None:
            continue
        assert contact.email == contact.email.strip()
        local, _, domain = contact.email.partition("@")
        assert local and reserved(domain), contact.email
        assert re.fullmatch(r"[A-Za-z0-9._]+", local), contact.email
    for address, users in r.contacts_by_address.items():
        # Unique except for two contacts deliberately sharing a family mailbox.
        assert len(users) <= 2, address
        if len(users) == 2:
            first, second = users
            assert students_of[first.id] & students_of[second.id], f"{address}: strangers"
        # Derived from a name of one of its users.
        local = address.split("@")[0]
        assert any(
            fold_name(name).replace(" ", "")[:6] in local
            for c in users
            for name in (c.first_name, c.last_name)
        ), address


# -- determinism -------------------------------------------------------------------------


def test_same_seed_same_roster() -> None:
    first = generate_roster(300, 17)
    generate_roster(300, 18)  # the cached Faker instances are reseeded in between
    generate.name_pools.cache_clear()
    again = generate_roster(300, 17)
    assert again == first
    assert again.students == first.students and again.links == first.links


def test_different_seeds_differ() -> None:
    a, b = roster(200, 0), roster(200, 1)
    assert {s.id for s in a.students}.isdisjoint({s.id for s in b.students})
    assert [s.full_name for s in a.students] != [s.full_name for s in b.students]


# -- validity ----------------------------------------------------------------------------


@pytest.mark.parametrize(("students", "seed"), GUARANTEED)
def test_roster_is_valid(students: int, seed: int) -> None:
    assert_valid(roster(students, seed), students)


@pytest.mark.parametrize("students", [0, 1, 2, 3, 4, 5, 6, 7, 13])
def test_small_rosters_are_valid(students: int) -> None:
    for seed in (0, 1):
        assert_valid(generate_roster(students, seed), students)


def test_five_students_already_carry_the_planted_cases() -> None:
    assert cases(generate_roster(5, 3)) >= ROSTER_CASES


@pytest.mark.parametrize("bad", [-1, True, 2.5, "10"])
def test_bad_student_count_is_a_roster_error(bad: object) -> None:
    with pytest.raises(RosterError, match="non-negative integer"):
        generate_roster(bad, 1)  # type: ignore[arg-type]


# -- edge cases --------------------------------------------------------------------------


@pytest.mark.parametrize(("students", "seed"), GUARANTEED)
def test_every_edge_case_occurs(students: int, seed: int) -> None:
    missing = ROSTER_CASES - cases(roster(students, seed))
    assert not missing


@pytest.mark.parametrize(("students", "seed"), GUARANTEED)
@pytest.mark.parametrize("kind", sorted(CAMPAIGN_KINDS))
def test_every_campaign_kind_selects_each_link_edge_case(
    students: int, seed: int, kind: str
) -> None:
    r = roster(students, seed)
    selected = set(build_campaign(r.students, kind).selected)
    missing = PER_KIND_CASES - cases(r, selected)
    assert not missing, f"{kind} selects no student with {sorted(missing)}"


def test_planted_households_are_spread_not_first() -> None:
    r = roster(1000, 5)
    # The planted blended family: four links, one of them restricted yet receiving mail.
    planted = [
        index
        for index, s in enumerate(r.students)
        if len(r.links_by_student[s.id]) == 4
        and any(
            link.contact_restricted and link.receives_mail and link.relationship == "father"
            for link in r.links_by_student[s.id]
        )
        and set(s.sensitive) == SENSITIVE_KEYS
    ]
    assert planted and min(planted) > 0
    big = generate_roster(4000, 5)  # four pairs of planted households
    starts = [
        index
        for index, s in enumerate(big.students)
        if any(link.relationship == "grandparent" for link in big.links_by_student[s.id])
        and any(
            link.contact_restricted and link.receives_mail for link in big.links_by_student[s.id]
        )
        and set(s.sensitive) == SENSITIVE_KEYS
    ]
    assert starts and max(starts) - min(starts) > 2000


# -- realism -----------------------------------------------------------------------------


def test_families_schools_and_rates_look_real() -> None:
    r = roster(1000, 42)
    assert 3 <= len({s.school for s in r.students}) <= 6
    assert {link.relationship for link in r.links} == set(RELATIONSHIPS)
    for key in SENSITIVE_KEYS:
        share = sum(key in s.sensitive for s in r.students) / len(r.students)
        assert 0.25 <= share <= 0.65, (key, share)
    # Siblings mostly share a last name with each other.
    by_contact: dict[str, set[str]] = defaultdict(set)
    for link in r.links:
        by_contact[link.contact_id].add(r.student_by_id[link.student_id].last_name)
    shared = [names for names in by_contact.values() if names]
    assert sum(len(n) == 1 for n in shared) / len(shared) > 0.9
    languages = Counter(c.language for c in r.contacts)
    assert len(languages) >= 4 and languages.most_common(1)[0][0] == "en"
    emails = [c.email for c in r.contacts if c.email]
    assert any(e != e.lower() for e in emails), "some addresses carry capitals"
    assert {e.rsplit("@", 1)[1].lower() for e in emails} <= set(EMAIL_DOMAINS)
    assert sum(c.email is None for c in r.contacts) / len(r.contacts) < 0.3


def test_household_sizes_vary() -> None:
    r = roster(1000, 5)
    per_contact = Counter(link.contact_id for link in r.links)
    assert {1, 2, 3, 4} <= set(per_contact.values())


def test_twenty_thousand_students_stay_unique() -> None:
    r = generate_roster(20_000, 3)
    assert len(r.students) == 20_000
    assert_names_unique(r)
    assert len({c.address for c in r.contacts if c.address}) >= 0.9 * sum(
        c.email is not None for c in r.contacts
    )


def test_same_roster_in_another_process() -> None:
    # Nothing may depend on set order or string hashing (PYTHONHASHSEED differs per process).
    code = (
        "import hashlib, json\n"
        "from harness.roster.generate import generate_roster\n"
        "from harness.roster.io import roster_to_dict\n"
        "data = json.dumps(roster_to_dict(generate_roster(300, 23)), sort_keys=True)\n"
        "print(hashlib.sha256(data.encode()).hexdigest())\n"
    )
    here = json.dumps(roster_to_dict(generate_roster(300, 23)), sort_keys=True)
    there = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert there == hashlib.sha256(here.encode()).hexdigest()


def test_fold_name_is_stricter_than_the_spec() -> None:
    assert fold_name("Łukasz  O'Brien-Nguyễn") == "lukasz obriennguyen"
    assert fold_name("GARCÍA López") == spec_key("garcia lopez")


# -- golden rosters ----------------------------------------------------------------------
# A refactor of the generator must keep every roster of a seed byte for byte: a changed
# hash means a changed roster (and every stored counterexample and report of that seed).


def roster_sha256(r: Roster) -> str:
    return hashlib.sha256(json.dumps(roster_to_dict(r), sort_keys=True).encode()).hexdigest()


def fixed_pools(seed: int) -> dict[str, NamePools]:
    """Name pools without Faker, so the hash below holds whatever Faker's version."""
    syllables = ("ka", "lo", "mi", "ré", "su", "ta", "ven", "dor", "lin", "ba", "ñe", "zo")
    words = [a + b for a in syllables for b in syllables]

    def pool(offset: int) -> tuple[Name, ...]:
        return tuple(make_name(w.capitalize()) for w in words[offset:] + words[:offset])

    return {
        locale: NamePools(pool(index), pool(index + 40), pool(index + 80))
        for index, locale in enumerate(LOCALES)
    }


@pytest.mark.parametrize(
    ("students", "seed", "expected"),
    [
        (13, 7, "ede551913f4c9f505890c51c0b2692cea9f9b2cfdc81ef13b7cfd58244da5fa0"),
        (600, 7, "cfb02f47eec80c2d3809b2074b3d2fec7c6c4f23ab0ae5e49c0a0cc835a8ab83"),
        (2000, 7, "12ef258e66f6edbca85725c49d162bc75e0a90bb71e4ac64d17170983d0d4f8a"),
    ],
)
def test_roster_of_a_seed_is_unchanged(
    monkeypatch: pytest.MonkeyPatch, students: int, seed: int, expected: str
) -> None:
    monkeypatch.setattr("harness.roster.records.name_pools", fixed_pools)
    assert roster_sha256(generate_roster(students, seed)) == expected


# Faker's name lists change between its releases; this hash holds for the version named.
FAKER_GOLDEN = {
    "40.63.0": {
        600: "6547d3d6090c67afbcf3d5804b0f9eef28ab5b8748ad3f6b1005ac649d292d64",
        2000: "b9a2b0b7432d26feaabf8ff29e89e817d07719b028ce251b8be2522e067f3896",
    }
}


@pytest.mark.parametrize("students", [600, 2000])
def test_roster_with_faker_names_is_unchanged(students: int) -> None:
    version = importlib.metadata.version("faker")
    if version not in FAKER_GOLDEN:
        pytest.skip(f"no golden hash for Faker {version} (see test_roster_of_a_seed_is_unchanged)")
    assert roster_sha256(generate_roster(students, 7)) == FAKER_GOLDEN[version][students]
