"""Which students and contacts a copy names: one Aho-Corasick automaton over the roster.

`TokenIndex.build(roster)` normalizes every identifying token (student id and full name in
its usual orders, contact email and full name) into one automaton; `scan(segments)` walks
each segment's normalized text once, so the cost follows the length of the text, not the size
of the roster. A token shared by several subjects (two students named Ann Lee, two contacts
on one mailbox) gives one Hit naming them all: ambiguity is for the checks to resolve.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import ahocorasick

from harness.oracle.decode import Segment
from harness.oracle.normalize import normalize
from harness.roster.model import Contact, Roster, Student

__all__ = ["CONTEXT", "Hit", "Kind", "TokenIndex", "contact_tokens", "student_tokens"]

Kind = Literal["student", "contact"]

CONTEXT = 40  # characters of normalized text kept on either side of a match


@dataclass(frozen=True)
class Hit:
    kind: Kind
    subject_ids: frozenset[str]
    token: str  # the normalized token that matched
    location: str  # Segment.location
    context: str  # normalized text around the match
    context_start: int = 0  # where the token begins in `context`


def _full_name_tokens(first: str, last: str, *, reversed_forms: bool) -> set[str]:
    first, last = normalize(first), normalize(last)
    if not first or not last:
        return set()  # a lone first or last name identifies nobody
    forms = {f"{first} {last}", f"{last}, {first}"}
    if reversed_forms:
        forms |= {f"{last} {first}", f"{last},{first}"}
    return forms


def student_tokens(student: Student) -> set[str]:
    """Normalized: the id; "First Last", "Last, First", "Last,First", "Last First"."""
    tokens = _full_name_tokens(student.first_name, student.last_name, reversed_forms=True)
    student_id = normalize(student.id)
    if student_id:
        tokens.add(student_id)
    return tokens


def contact_tokens(contact: Contact) -> set[str]:
    """Normalized: the email address; "First Last", "Last, First"."""
    tokens = _full_name_tokens(contact.first_name, contact.last_name, reversed_forms=False)
    if contact.address:
        tokens.add(normalize(contact.address))
    return tokens


# Characters that glue onto a token of each shape, besides letters and digits: "jo@" is not
# whole inside "mojo@" or "x.jo@", and "Ann Lee" is not whole inside "Mary-Ann Lee-Smith".
# After an email, "." glues only when more domain follows (jo@example.com.au).
_EMAIL, _NAME, _ID = 0, 1, 2
_GLUE_BEFORE = {_EMAIL: frozenset("._%+-"), _NAME: frozenset("-"), _ID: frozenset()}
_GLUE_AFTER = {_EMAIL: frozenset("-_"), _NAME: frozenset("-"), _ID: frozenset()}


def _shape(token: str) -> int:
    if "@" in token:
        return _EMAIL
    if " " in token or "," in token:
        return _NAME
    return _ID


def _is_word_char(char: str) -> bool:
    """Letters and digits glue onto a token, except wide (CJK) characters: those scripts
    write no spaces between words, so a name there may touch the next word."""
    return char.isalnum() and (char.isascii() or unicodedata.east_asian_width(char) not in "WF")


# The owners of one token of one kind: a subject id, or several when the token is ambiguous.
# (A 1-tuple or a str costs far less than a frozenset: a district has millions of tokens.)
_Owners = str | tuple[str, ...] | None


def _add_owner(owners: _Owners, subject_id: str) -> _Owners:
    if owners is None:
        return subject_id
    if isinstance(owners, str):
        return owners if owners == subject_id else (owners, subject_id)
    return owners if subject_id in owners else (*owners, subject_id)


def _as_ids(owners: str | tuple[str, ...]) -> frozenset[str]:
    return frozenset((owners,)) if isinstance(owners, str) else frozenset(owners)


class TokenIndex:
    """One automaton over all normalized tokens of a roster. Build once, scan many copies.

    The automaton maps each token to a slot number; per slot the index keeps the token's
    length, shape (email, name, id) and its student and contact owners.
    """

    def __init__(self) -> None:
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        self._slots: dict[str, int] | None = {}  # token -> slot, while building
        self._lengths: list[int] = []
        self._shapes = bytearray()
        self._students: list[_Owners] = []
        self._contacts: list[_Owners] = []

    @classmethod
    def build(cls, roster: Roster) -> TokenIndex:
        index = cls()
        for student in roster.students:
            for token in student_tokens(student):
                slot = index._slot(token)
                index._students[slot] = _add_owner(index._students[slot], student.id)
        for contact in roster.contacts:
            for token in contact_tokens(contact):
                slot = index._slot(token)
                index._contacts[slot] = _add_owner(index._contacts[slot], contact.id)
        index._freeze()
        return index

    def _slot(self, token: str) -> int:
        assert self._slots is not None, "the index is already built"
        slot = self._slots.get(token)
        if slot is None:
            slot = self._slots[token] = len(self._lengths)
            self._lengths.append(len(token))
            self._shapes.append(_shape(token))
            self._students.append(None)
            self._contacts.append(None)
        return slot

    def _freeze(self) -> None:
        assert self._slots is not None
        for token, slot in self._slots.items():
            self._automaton.add_word(token, slot)
        if self._slots:
            self._automaton.make_automaton()
        self._slots = None

    def __len__(self) -> int:
        """How many distinct normalized tokens the index holds."""
        return len(self._lengths)

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and normalize(token) in self._automaton

    def scan(self, segments: Iterable[Segment]) -> list[Hit]:
        """Every token found on word boundaries in the segments, in order of appearance,
        without repeating an identical (kind, subject ids, token, location)."""
        if not self._lengths:
            return []
        lengths, shapes = self._lengths, self._shapes
        owner_tables = ((0, self._students), (1, self._contacts))
        hits: list[Hit] = []
        seen: set[tuple[int, int, str]] = set()  # (slot, 0 student / 1 contact, location)
        for segment in segments:
            text = normalize(segment.text)
            if not text:
                continue
            length = len(text)
            location = segment.location
            for start, end, slot in _leftmost_longest(
                (end - lengths[slot], end, slot)
                for end, slot in ((last + 1, slot) for last, slot in self._automaton.iter(text))
                if _bounded(text, end - lengths[slot], end, length, shapes[slot])
            ):
                for which, table in owner_tables:
                    owners = table[slot]
                    if owners is None or (slot, which, location) in seen:
                        continue
                    seen.add((slot, which, location))
                    hits.append(
                        Hit(
                            kind="contact" if which else "student",
                            subject_ids=_as_ids(owners),
                            token=text[start:end],
                            location=location,
                            context=text[max(0, start - CONTEXT) : end + CONTEXT],
                            context_start=min(start, CONTEXT),
                        )
                    )
        return hits


def _leftmost_longest(matches: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Read matches leftmost-longest, without overlaps, as a reader would: in "Mary Ann Lee"
    the name is Mary Ann Lee's, not also Ann Lee's; in "Dear Van Huy Mai, Xuan Vu Hoang" the
    "Mai, Xuan" that spans the comma is nobody's name."""
    kept: list[tuple[int, int, int]] = []
    reach = 0
    for match in sorted(matches, key=lambda m: (m[0], -m[1])):
        if match[0] < reach:
            continue
        kept.append(match)
        reach = match[1]
    return kept


def _bounded(text: str, start: int, end: int, length: int, shape: int) -> bool:
    """Is text[start:end] a whole token, not part of a longer word, address or name?"""
    if start > 0:
        before = text[start - 1]
        if _is_word_char(before) or before in _GLUE_BEFORE[shape]:
            return False
    if end < length:
        after = text[end]
        if _is_word_char(after) or after in _GLUE_AFTER[shape]:
            return False
        if shape == _EMAIL and after == "." and end + 1 < length:
            return not _is_word_char(text[end + 1])
    return True
