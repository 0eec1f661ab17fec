"""The planted households: the edge cases every roster of `PLANT_MIN_STUDENTS` or more carries,
and the schedule that spreads them through the roster.

Why plant. The oracle's checks only bite when the roster holds the shapes pipelines get wrong.
Random draws make each shape likely in a large roster, never certain in every one, and a
campaign selects only part of the roster: a suite that passes because seed 7 drew no
restricted parent among the students missing Tdap proves nothing. So every roster of at least
`PLANT_MIN_STUDENTS` students also carries dedicated households, built deterministically:

- a blended family (`planted_blended`): two siblings at different schools (elementary and
  middle), four contacts each. Mother and stepparent share one mailbox (spelt in different
  case), both receive mail and are linked to both children (a guardian who must get two
  notices); the father has an email and is restricted for both children while his links
  still say `receives_mail` (the dangerous combination); a grandparent without email is
  linked to the younger child; an aunt or uncle with an email whose link says
  `receives_mail` false is linked to the older. The family name has non-ASCII letters.
- a single child in high school with exactly one contact, a guardian who receives mail
  (`planted_single`).

The planted children carry all three sensitive fields, so every campaign kind
(`CAMPAIGN_KINDS`) selects them: each link-level edge case concerns a selected student of
each kind, whatever the random rates. One pair of planted households comes per 1,000
students (at least one pair), at evenly spread points of the roster and never at its start,
so a pipeline that treats the first rows specially cannot hide. Planted households draw their
names, ids and emails from the same pools and registries as random ones: only the structure
tells them apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from harness.roster.names import accented_family_names
from harness.roster.records import RecordBuilder, other_case

__all__ = ["PLANT_MIN_STUDENTS", "Planting", "planted_blended", "planted_single", "schedule"]

PLANT_MIN_STUDENTS = 5
_PLANT_EVERY = 1000


def planted_blended(records: RecordBuilder) -> None:
    """Two siblings, two schools, four contacts each: see the module docstring."""
    random = records.random
    names = records.names
    locale, family = records.pick(accented_family_names(names.pools))
    schools = records.household_schools()
    younger = records.student(locale, family, 1 + int(random() * 5), schools, all_keys=True)
    older = records.student(locale, family, 6 + int(random() * 3), schools, all_keys=True)
    mother = records.contact(locale, True, family, True)
    assert mother.email is not None
    step = records.contact(locale, False, names.family(locale), other_case(mother.email))
    father = records.contact(locale, False, family, True)
    grandparent = records.contact(locale, random() < 0.5, family, False)
    aunt = records.contact(locale, random() < 0.5, names.family(locale), True)
    for kid in (younger, older):
        records.link(kid, mother, "mother")
        records.link(kid, step, "stepparent")
        records.link(kid, father, "father", receives_mail=True, restricted=True)
    records.link(younger, grandparent, "grandparent")
    records.link(older, aunt, "other", receives_mail=False)


def planted_single(records: RecordBuilder) -> None:
    """One high-school student with exactly one contact, a guardian who receives mail."""
    locale = records.pick(records.locales)
    family = records.names.family(locale)
    grade = 9 + int(records.random() * 4)
    kid = records.student(locale, family, grade, records.household_schools(), all_keys=True)
    guardian = records.contact(locale, records.random() < 0.5, family, True)
    records.link(kid, guardian, "guardian")


class Planting(NamedTuple):
    due: int  # planted once this many students are in the roster (or room runs out)
    students: int  # how many students it adds
    plant: Callable[[RecordBuilder], None]


def schedule(students: int) -> list[Planting]:
    """The planted households of a roster of `students`, in order: household i is due once
    about (i + 0.5) / len(schedule) of the roster is out."""
    if students < PLANT_MIN_STUDENTS:
        return []
    pairs = max(1, students // _PLANT_EVERY)
    kinds = [(2, planted_blended), (1, planted_single)] * pairs
    return [
        Planting(int((i + 0.5) * students / len(kinds)), size, plant)
        for i, (size, plant) in enumerate(kinds)
    ]
