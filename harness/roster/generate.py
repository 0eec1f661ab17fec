"""Synthetic rosters: realistic families, deterministic for a seed, every edge case planted.

`generate_roster(students, seed)` builds a roster of households: random ones
(`households.py`), and among them, spread through the roster, the planted households that
carry every edge case the checks need (`planting.py`). Names come from per-seed Faker pools
and stay unique after folding (`names.py`); ids, emails, birth dates and sensitive facts are
drawn by `records.py` from the district's reference tables (`tables.py`). Every random
choice goes through one `random.Random(seed)`, so a seed gives the same roster in any
process.

The names this module exported before the split are re-exported from here.
"""

from __future__ import annotations

import gc
from collections import deque

from harness.errors import RosterError
from harness.roster.households import HOUSEHOLD_SIZES, Households
from harness.roster.model import Roster
from harness.roster.names import (
    Name,
    NamePools,
    NameRegistry,
    fold_name,
    join_names,
    make_name,
    name_pools,
)
from harness.roster.planting import PLANT_MIN_STUDENTS, schedule
from harness.roster.records import RecordBuilder
from harness.roster.tables import (
    EMAIL_DOMAINS,
    ID_ALPHABET,
    LOCALES,
    RELATIONSHIPS,
    SCHOOL_YEAR_START,
)

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
    records = RecordBuilder(students, seed)
    households = Households(records)
    planted = deque(schedule(students))
    pending = sum(planting.students for planting in planted)
    while len(records.students) < students:
        made = len(records.students)
        room = students - made - pending
        if planted and (made >= planted[0].due or room <= 0):
            planting = planted.popleft()
            planting.plant(records)
            pending -= planting.students
            continue
        households.add(min(records.pick(HOUSEHOLD_SIZES), room))
    return records.roster()
