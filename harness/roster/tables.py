"""The reference tables of the synthetic district: alphabets, locales, mail domains, schools,
the school year and the sensitive facts a student may carry.

Weighted tables are tuples indexed with `int(random() * len(table))` (see `weighted`): much
faster than `Random.choices`, and each draw takes exactly one number from the generator, so
the order of draws, and with it every roster for a seed, stays fixed.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import date, timedelta
from random import Random
from typing import TypeVar

__all__ = [
    "EMAIL_DOMAINS",
    "ID_ALPHABET",
    "ID_PAIRS",
    "LEVELS",
    "LOCALES",
    "RELATIONSHIPS",
    "SCHOOL_YEAR_START",
    "SENSITIVE_KEYS",
    "TERM_DAYS",
    "VACCINE_DETAILS",
    "level_of",
    "school_names",
    "weighted",
]

T = TypeVar("T")

# 32 unambiguous characters: no 0/O, no 1/I.
ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
# Two characters of an id at once: one index of 10 random bits.
ID_PAIRS = tuple(a + b for a in ID_ALPHABET for b in ID_ALPHABET)
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
SENSITIVE_KEYS = ("vaccines_missing", "covid_test", "absences")
_VACCINES = ("Tdap", "Meningococcal", "MMR", "Varicella", "Hepatitis B", "Polio (IPV)")
# "Tdap", "Tdap, MMR", ...: one, two or three vaccines in any order, fewer more often.
VACCINE_DETAILS = tuple(
    ", ".join(combo) for k in (1, 1, 2, 2, 3) for combo in itertools.permutations(_VACCINES, k)
)
TERM_DAYS = tuple((date(2026, 9, 8) + timedelta(days=d)).isoformat() for d in range(100))
LEVELS = ("Elementary School", "Middle School", "High School")


def weighted(weights: Mapping[T, int]) -> tuple[T, ...]:
    """Each item `weight` times: a table to index with int(random() * len(table))."""
    return tuple(item for item, weight in weights.items() for _ in range(weight))


def level_of(grade: int) -> str:
    return LEVELS[0] if grade <= 5 else LEVELS[1] if grade <= 8 else LEVELS[2]


def school_names(rng: Random, students: int) -> dict[str, tuple[str, ...]]:
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
        for level, count in zip(LEVELS, counts, strict=True)
    }
