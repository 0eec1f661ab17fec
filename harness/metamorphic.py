"""Metamorphic relations: transformations of a roster that must not change who gets whose data.

Shuffling the roster's rows, sending the campaign in two halves, and renaming the students
(new names and ids) are invisible to a correct pipeline: its delivery matrix, how many
copies to each recipient concern each student, stays the same once renamed ids are mapped
back. A relation makes one or more variants (roster, campaign, id map); `compare` judges the
registered relation checks (`metamorphic-difference`, `oracle/run_checks.py`): a violation per
recipient whose row of the matrix changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from random import Random

from harness.oracle.checks import RELATION_CHECKS
from harness.oracle.matrix import DeliveryMatrix
from harness.oracle.violation import Violation
from harness.roster.campaign import Campaign
from harness.roster.generate import NameRegistry, make_name, name_pools
from harness.roster.model import Roster, Student
from harness.roster.strategies import canary

__all__ = ["RELATIONS", "Variant", "compare", "mapped", "variants"]


@dataclass(frozen=True)
class Variant:
    relation: str
    roster: Roster
    campaign: Campaign
    original_id: Mapping[str, str]  # variant student id -> the id in the original roster


def _identity(roster: Roster) -> dict[str, str]:
    return {s.id: s.id for s in roster.students}


def _shuffle(roster: Roster, campaign: Campaign, seed: int) -> list[Variant]:
    rng = Random(seed)
    students, contacts, links = list(roster.students), list(roster.contacts), list(roster.links)
    rng.shuffle(students)
    rng.shuffle(contacts)
    rng.shuffle(links)
    shuffled = Roster(tuple(students), tuple(contacts), tuple(links))
    chosen = set(campaign.selected)
    selected = tuple(s.id for s in shuffled.students if s.id in chosen)
    variant = dataclasses.replace(campaign, selected=selected)
    return [Variant("shuffle", shuffled, variant, _identity(roster))]


def _split(roster: Roster, campaign: Campaign, seed: int) -> list[Variant]:
    half = len(campaign.selected) // 2
    parts = (campaign.selected[:half], campaign.selected[half:])
    return [
        Variant(
            "split",
            roster,
            dataclasses.replace(
                campaign,
                selected=part,
                details={s: campaign.details[s] for s in part if s in campaign.details},
            ),
            _identity(roster),
        )
        for part in parts
        if part
    ]


def _rename(roster: Roster, campaign: Campaign, seed: int) -> list[Variant]:
    """New first names and ids for every student; contacts keep theirs (who receives is
    unchanged), and the new names obey the roster's uniqueness rule."""
    rng = Random(seed)
    names = NameRegistry()
    for contact in roster.contacts:
        names.claim(make_name(contact.first_name), make_name(contact.last_name))
    pool = name_pools(0)["en_US"]
    given = [*pool.female, *pool.male]
    renamed: dict[str, Student] = {}
    for position, student in enumerate(roster.students):
        last = make_name(student.last_name)
        start = rng.randrange(len(given))
        for step in range(len(given)):
            first = given[(start + step) % len(given)]
            if first.key != make_name(student.first_name).key and names.claim(first, last):
                break
        else:  # pragma: no cover - hundreds of given names for one family name
            raise AssertionError(f"no free first name for {student.last_name}")
        new_id = canary("S-", position, salt=seed | 1 << 20)
        renamed[student.id] = dataclasses.replace(student, id=new_id, first_name=first.text)
    new_roster = Roster(
        tuple(renamed[s.id] for s in roster.students),
        roster.contacts,
        tuple(
            dataclasses.replace(link, student_id=renamed[link.student_id].id)
            for link in roster.links
        ),
    )
    new_campaign = dataclasses.replace(
        campaign,
        selected=tuple(renamed[s].id for s in campaign.selected),
        details={renamed[s].id: d for s, d in campaign.details.items() if s in renamed},
    )
    original = {new.id: old for old, new in renamed.items()}
    return [Variant("rename", new_roster, new_campaign, original)]


RELATIONS: dict[str, Callable[[Roster, Campaign, int], list[Variant]]] = {
    "shuffle": _shuffle,
    "split": _split,
    "rename": _rename,
}


def variants(relation: str, roster: Roster, campaign: Campaign, seed: int) -> list[Variant]:
    return RELATIONS[relation](roster, campaign, seed)


def mapped(matrix: DeliveryMatrix, original_id: Mapping[str, str]) -> DeliveryMatrix:
    """The matrix with variant student ids mapped back to the original roster's."""
    return matrix.mapped(original_id)


def compare(relation: str, original: DeliveryMatrix, variant: DeliveryMatrix) -> list[Violation]:
    """What the registered relation checks find between a run and its variants' total."""
    return [v for check in RELATION_CHECKS for v in check.judge(relation, original, variant)]
