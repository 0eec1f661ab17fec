"""Names: folding, pools drawn from Faker per seed, the registry that keeps full names
unique, and the drawing of persons' names and family names for the generator.

Faker is called only to draw pools of a few hundred names per locale and per seed; every
name in a roster combines pool entries with the generator's one `random.Random(seed)`. Full
names are unique across all persons after folding (case, diacritics, punctuation), and no
person's "Last First" equals another's "First Last" (see `NameRegistry.claim`). A family
name drawn often is combined with a second one ("Nguyen-Schmidt", "García López"), so that a
district of 600,000 students still finds unused first names at the first draw or so.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from random import Random
from typing import NamedTuple, TypeVar

from faker import Faker

from harness.roster.tables import LOCALES

__all__ = [
    "Name",
    "NamePools",
    "NameRegistry",
    "PersonNames",
    "accented_family_names",
    "fold_name",
    "join_names",
    "make_name",
    "name_pools",
]

T = TypeVar("T")

# Persons per family-name slot and per first name of the pool before a slot takes a double
# name: about three persons carry a family name each time it is drawn.
_CROWD = 12
_POOL_SIZE = 300

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


def accented_family_names(pools: dict[str, NamePools]) -> list[tuple[str, Name]]:
    """(locale, family name) for every family name of the pools with non-ASCII letters."""
    return [
        (locale, name)
        for locale, pool in pools.items()
        for name in pool.last
        if not name.text.isascii()
    ] or [("es_MX", make_name("Hernández"))]  # every locale above has accented names


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


class PersonNames:
    """Draws unique full names and family names from the pools with the generator's `rng`.

    Family names sit in slots, one set per locale. A slot drawn `capacity` times takes a
    double name on the same surname, so that first names drawn for a family name rarely
    collide however large the roster.
    """

    def __init__(self, rng: Random, pools: dict[str, NamePools]) -> None:
        self.random = rng.random
        self.pools = pools
        self.any_locale = tuple(LOCALES)
        self.registry = NameRegistry()
        self.capacity = {
            locale: max(2, min(len(p.female), len(p.male)) // _CROWD) for locale, p in pools.items()
        }
        self.family_slots = {locale: list(p.last) for locale, p in pools.items()}
        self.family_uses = {locale: [0] * len(p.last) for locale, p in pools.items()}

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.random() * len(items))]

    def person(self, locale: str, female: bool, last: Name) -> tuple[Name, Name]:
        """A unique (first, last): a first name of the locale, of any locale, or a double name."""
        random = self.random
        claim = self.registry.claim
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

    def family(self, locale: str) -> Name:
        """A family name of the locale: see the class docstring."""
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
