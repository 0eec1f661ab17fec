"""Which students and contacts a copy names: one Aho-Corasick automaton over the roster.

`TokenIndex.build(roster)` normalizes every identifying token (student id and full name in
its usual orders, contact email and full name) into one automaton over word codes, not
characters (names share words more than prefixes). `scan(segments)` joins a message's
normalized segments and walks the automaton once per batch of about `_BATCH` characters
(long texts in overlapping windows), so the cost follows the length of the text, not the
size of the roster. Matches count only as whole tokens (`_bounded`), read leftmost-longest.
A token shared by several subjects (two students named Ann Lee, two contacts on one
mailbox) gives one Hit naming them all: ambiguity is for the checks to resolve.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import ahocorasick

from harness.oracle.normalize import normalize
from harness.oracle.segments import Segment, batches
from harness.oracle.words import split_words as _split_words
from harness.roster.model import Contact, Roster, Student

__all__ = [
    "CONTEXT",
    "Hit",
    "Kind",
    "TextVisitor",
    "TokenIndex",
    "contact_tokens",
    "student_tokens",
]

Kind = Literal["student", "contact"]
TextVisitor = Callable[[list[Segment], list[str]], None]

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

    The automaton runs over words, not characters (see `_Vocabulary`): a district's names
    share few character prefixes but many words, so a 600,000-student roster takes a few
    times fewer trie nodes, memory and build time. It maps each encoded token to a slot
    number; per slot the index keeps the token's encoded length, shape (email, name, id)
    and its student and contact owners.
    """

    def __init__(self) -> None:
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        self._vocabulary = _Vocabulary()
        self._slots: dict[str, int] | None = {}  # encoded token -> slot, while building
        self._lengths = array("I")  # encoded length per slot
        self._shapes = bytearray()
        self._students: list[_Owners] = []
        self._contacts: list[_Owners] = []

    @classmethod
    def build(cls, roster: Roster) -> TokenIndex:
        """The tokens of `student_tokens` and `contact_tokens` for the whole roster.

        Encoded per person rather than per token: a name's code is computed once per
        spelling (a district has a few thousand first names) and the orders of a full name
        are concatenations of codes, so a 600,000-student roster builds in seconds.
        """
        index = cls()
        encode = index._vocabulary.encode_token
        names: dict[str, tuple[str, str]] = {}  # as written -> (normalized, encoded)

        def name(written: str) -> tuple[str, str]:
            known = names.get(written)
            if known is None:
                normalized = normalize(written)
                known = names[written] = (normalized, encode(normalized))
            return known

        def add(encoded: str, shape: int, table: list[_Owners], owner: str) -> None:
            slot = index._encoded_slot(encoded, shape)
            table[slot] = _add_owner(table[slot], owner)

        def add_full_name(
            person: Student | Contact, table: list[_Owners], *, reversed_forms: bool
        ) -> None:
            """The orders of `_full_name_tokens`, in codes."""
            (first, first_code), (last, last_code) = (
                name(person.first_name),
                name(person.last_name),
            )
            if not first or not last:
                return
            shape = _shape(f"{first} {last}")
            add(f"{first_code} {last_code}", shape, table, person.id)
            add(f"{last_code}, {first_code}", shape, table, person.id)
            if reversed_forms:
                add(f"{last_code},{first_code}", shape, table, person.id)
                add(f"{last_code} {first_code}", shape, table, person.id)

        persons: Iterable[Student | Contact] = itertools.chain(roster.students, roster.contacts)
        for person in persons:  # names first: they get the short codes
            name(person.first_name)
            name(person.last_name)
        students, contacts = index._students, index._contacts
        for student in roster.students:
            add_full_name(student, students, reversed_forms=True)
            student_id = normalize(student.id)
            if student_id:
                add(encode(student_id), _shape(student_id), students, student.id)
        for contact in roster.contacts:
            add_full_name(contact, contacts, reversed_forms=False)
            if contact.address:
                address = normalize(contact.address)
                add(encode(address), _shape(address), contacts, contact.id)
        index._freeze()
        return index

    def _encoded_slot(self, encoded: str, shape: int) -> int:
        assert self._slots is not None, "the index is already built"
        slot = self._slots.get(encoded)
        if slot is None:
            slot = self._slots[encoded] = len(self._lengths)
            self._lengths.append(len(encoded))
            self._shapes.append(shape)
            self._students.append(None)
            self._contacts.append(None)
        return slot

    def _freeze(self) -> None:
        slots, self._slots = self._slots, None
        assert slots is not None
        add_word = self._automaton.add_word
        while slots:  # each token freed once in the automaton: a lower peak
            add_word(*slots.popitem())
        del slots
        if self._lengths:
            self._automaton.make_automaton()

    def __len__(self) -> int:
        """How many distinct normalized tokens the index holds."""
        return len(self._lengths)

    def __contains__(self, token: object) -> bool:
        if not isinstance(token, str):
            return False
        encoded = self._vocabulary.encode_known(normalize(token))
        return encoded is not None and encoded in self._automaton

    def scan(self, segments: Iterable[Segment], visit: TextVisitor | None = None) -> list[Hit]:
        """Every token found on word boundaries in the segments, in order of appearance,
        without repeating an identical (kind, subject ids, token, location).

        The segments are normalized, encoded and scanned as one text, joined by a character
        that no token holds and that glues to nothing (`_BREAK`), so no match spans two
        segments: one pass per message instead of one per header and part. A message of many
        megabytes is scanned in batches of about `_BATCH` characters, so that what the scan
        copies stays in proportion to a batch, not to the message. `visit`, when given, is
        handed each batch's segments and their normalized texts (another scan of the same
        text then costs no second normalization)."""
        if not self._lengths:
            return []
        hits: list[Hit] = []
        seen: set[tuple[int, int, str]] = set()  # (slot, 0 student / 1 contact, location)
        for batch in batches(segments, _BATCH, _OVERLAP):
            hits += self._scan_batch(batch, seen, visit)
        return hits

    def _scan_batch(
        self,
        segments: list[Segment],
        seen: set[tuple[int, int, str]],
        visit: TextVisitor | None,
    ) -> list[Hit]:
        texts = _normalized_texts(segments)
        if visit is not None:
            visit(segments, texts)
        joined = _BREAK.join(texts)
        starts = [0, *itertools.accumulate(len(text) + 1 for text in texts)]
        parts, encoded_parts = self._vocabulary.encode_text(joined)
        encoded = "".join(encoded_parts)
        length = len(encoded)
        lengths, shapes = self._lengths, self._shapes
        matches = [
            (end - lengths[slot], end, slot)
            for end, slot in ((last + 1, slot) for last, slot in self._automaton.iter(encoded))
            if _bounded(encoded, end - lengths[slot], end, length, shapes[slot])
        ]
        if not matches:
            return []
        to_text = _PositionMap(parts, encoded_parts)
        owner_tables = ((0, self._students), (1, self._contacts))
        hits: list[Hit] = []
        for start, end, slot in _leftmost_longest(matches):
            joined_start = to_text(start)
            number = bisect.bisect_right(starts, joined_start) - 1
            location = segments[number].location
            for which, table in owner_tables:
                owners = table[slot]
                if owners is None or (slot, which, location) in seen:
                    continue
                seen.add((slot, which, location))
                text, offset = texts[number], starts[number]
                text_start, text_end = joined_start - offset, to_text(end) - offset
                hits.append(
                    Hit(
                        kind="contact" if which else "student",
                        subject_ids=_as_ids(owners),
                        token=text[text_start:text_end],
                        location=location,
                        context=text[max(0, text_start - CONTEXT) : text_end + CONTEXT],
                        context_start=min(text_start, CONTEXT),
                    )
                )
        return hits


_BATCH = 1 << 20  # characters of segment text scanned in one pass
# A longer text is scanned in overlapping windows at its location. The overlap is far longer
# than any name, id or address, however the text spaces it out.
_OVERLAP = 1 << 14


# Between two segments' texts in one scan. Not a word character, not in any glue set, not
# white space (normalize keeps it), and in no token.
_BREAK = "\x00"


def _normalized_texts(segments: list[Segment]) -> list[str]:
    """Each segment's normalized text, normalized in one call over all of them (normalize
    neither drops nor makes a _BREAK, so there is one text per segment)."""
    raw = _BREAK.join(segment.text.replace(_BREAK, " ") for segment in segments)
    return [text.strip(" ") for text in normalize(raw).split(_BREAK)]


# -------------------------------------------------------------------- the word encoding


# Word codes: base-64 digits from the private-use plane 15. pyahocorasick looks up a node's
# children by a linear search, so a word must not be one character out of a million: a small
# radix keeps every node's fan-out small. The first digit tells the code's length (prefix-free):
# leads 0-31 take 2 digits, 32-47 take 3, 48-62 take 4, and 63 takes 6; the words numbered
# first (the roster's names, see TokenIndex.build) get the short codes.
_CODE_BASE = 0xF0000
_DIGITS = [chr(_CODE_BASE + digit) for digit in range(64)]
_CODE_CLASSES = ((0, 1), (32, 2), (48, 3), (63, 5))  # (first lead, digits after the lead)
_CLASS_SIZES = ((32 << 6), (16 << 12), (15 << 18), (1 << 30) - 1)
_UNKNOWN = _DIGITS[63] * 6  # the last code, never given: no token's word, still a word
_CODE_CHARS = re.compile("[\U000f0000-\U0010ffff]")
_BLOCKED = "\ufffd"  # a code character in the text itself stands for no word


def _is_code(char: str) -> bool:
    return char >= "\U000f0000"


def _word_code(number: int) -> str:
    for (lead, digits), size in zip(_CODE_CLASSES, _CLASS_SIZES, strict=True):
        if number < size:
            code = [_DIGITS[lead + (number >> (6 * digits))]]
            code += [_DIGITS[number >> (6 * d) & 63] for d in range(digits - 1, -1, -1)]
            return "".join(code)
        number -= size
    raise OverflowError("too many distinct words for one token index")  # pragma: no cover


class _Vocabulary:
    """Word <-> code: text and tokens encoded alike, every word as one code."""

    def __init__(self) -> None:
        self._codes: dict[str, str] = {}

    def _code(self, word: str) -> str:
        code = self._codes.get(word)
        if code is None:
            code = self._codes[word] = _word_code(len(self._codes))
        return code

    def encode_token(self, token: str) -> str:
        parts = _split_words(_unblock(token))
        parts[1::2] = [self._code(word) for word in parts[1::2]]
        return "".join(parts)

    def encode_known(self, token: str) -> str | None:
        """The encoding of a token made only of known words, else None."""
        parts = _split_words(_unblock(token))
        codes = [self._codes.get(word) for word in parts[1::2]]
        known = [code for code in codes if code is not None]
        if len(known) < len(codes):
            return None
        parts[1::2] = known
        return "".join(parts)

    def encode_text(self, text: str) -> tuple[list[str], list[str]]:
        """The text split into non-words and words, and the same parts encoded."""
        parts = _split_words(_unblock(text))
        get = self._codes.get
        encoded = parts.copy()
        encoded[1::2] = [get(word, _UNKNOWN) for word in parts[1::2]]
        return parts, encoded


def _unblock(text: str) -> str:
    if text.isascii() or not _CODE_CHARS.search(text):
        return text
    return _CODE_CHARS.sub(_BLOCKED, text)


class _PositionMap:
    """Encoded position -> text position, for positions on word boundaries."""

    def __init__(self, parts: list[str], encoded_parts: list[str]) -> None:
        self._encoded_starts = [0, *itertools.accumulate(map(len, encoded_parts))]
        self._text_starts = [0, *itertools.accumulate(map(len, parts))]

    def __call__(self, position: int) -> int:
        index = bisect.bisect_right(self._encoded_starts, position) - 1
        offset = position - self._encoded_starts[index]
        if index % 2:  # a word's code: matches start and end only on its edges
            return self._text_starts[index]
        return self._text_starts[index] + offset


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


def _bounded(encoded: str, start: int, end: int, length: int, shape: int) -> bool:
    """Is encoded[start:end] a whole token, not part of a longer word, address or name?

    Words are whole by construction; what remains is the punctuation that glues.
    """
    if start > 0:
        before = encoded[start - 1]
        if _is_code(before) or before in _GLUE_BEFORE[shape]:
            return False
    if end < length:
        after = encoded[end]
        if _is_code(after) or after in _GLUE_AFTER[shape]:
            return False
        if shape == _EMAIL and after == "." and end + 1 < length:
            return not _is_code(encoded[end + 1])
    return True
