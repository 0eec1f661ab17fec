"""Token detection: normalization, word boundaries, ambiguity, deduplication."""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from harness.oracle.decode import Segment
from harness.oracle.normalize import normalize
from harness.oracle.tokens import (
    CONTEXT,
    Hit,
    TokenIndex,
    contact_tokens,
    student_tokens,
)
from harness.oracle.words import split_words as _split_words
from harness.roster.model import Contact, Roster, Student

JOSE = "S-7Q3K9X2M"


def student(sid: str, first: str, last: str) -> Student:
    return Student(sid, first, last, 5, "Maple Grove Elementary", "2015-04-01", {})


ROSTER = Roster(
    students=(
        student(JOSE, "José", "Núñez"),
        student("S-ANNLEE01", "Ann", "Lee"),
        student("S-ANNLEE02", "Ann", "Lee"),  # same full name: ambiguous
        student("S-OBRIEN01", "Liam", "O'Brien"),
        student("S-NONAME01", "", "Madonna"),  # a lone name identifies nobody
    ),
    contacts=(
        Contact("C-JO", "Jo", "Núñez", "jo@example.com"),
        Contact("C-ANN", "Ann", "Lee", "ann.lee@example.org"),  # a parent named like a child
        Contact("C-GUS", "Gus", "Kim", "kims@example.com"),
        Contact("C-HANA", "Hana", "Kim", " KIMS@Example.com "),  # one mailbox, two contacts
        Contact("C-NOMAIL", "Luis", "Diaz", None),
    ),
    links=(),
)
INDEX = TokenIndex.build(ROSTER)


def scan(text: str, location: str = "part 1 text/plain") -> list[Hit]:
    return INDEX.scan([Segment(location, text)])


def ids(text: str) -> set[str]:
    return {subject for hit in scan(text) for subject in hit.subject_ids}


# ------------------------------------------------------------------------------ normalize


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("José Núñez", "jose nunez"),
        ("JOSE  NUNEZ", "jose nunez"),
        ("Jo\u00adsé\u200b Nú\u200cñ\u200dez\u2060\ufeff", "jose nunez"),
        ("Jose\u00a0\r\n\t Nunez ", "jose nunez"),  # NBSP, line breaks, tabs
        ("Jose\u0301", "jose"),  # a combining accent
        ("\uff2a\uff2f\uff33\uff25", "jose"),  # full-width (NFKC)
        ("Straße", "strasse"),  # casefold
        ("İlkay Søren Łukasz", "ilkay soren lukasz"),
        ("S\u20117Q3K9X2M", "s-7q3k9x2m"),  # a non-breaking hyphen
        ("O\u2019Brien", "o'brien"),  # a typographic apostrophe
        ("", ""),
        (" \u200b ", ""),
    ],
)
def test_normalize(text: str, normalized: str) -> None:
    assert normalize(text) == normalized


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert once == once.strip()
    assert "  " not in once


# ------------------------------------------------------------------------------- tokens


def test_student_and_contact_tokens() -> None:
    assert student_tokens(ROSTER.students[0]) == {
        "s-7q3k9x2m",
        "jose nunez",
        "nunez, jose",
        "nunez,jose",
        "nunez jose",
    }
    assert contact_tokens(ROSTER.contacts[3]) == {"hana kim", "kim, hana", "kims@example.com"}
    assert contact_tokens(ROSTER.contacts[4]) == {"luis diaz", "diaz, luis"}  # no email
    assert student_tokens(ROSTER.students[4]) == {"s-noname01"}  # no full name


def test_index_size_and_membership() -> None:
    assert "JOSÉ NÚÑEZ" in INDEX
    assert "kims@EXAMPLE.com" in INDEX
    assert "Madonna" not in INDEX
    assert len(INDEX) == len(
        set().union(*map(student_tokens, ROSTER.students), *map(contact_tokens, ROSTER.contacts))
    )


@pytest.mark.parametrize(
    "text",
    [
        "Dear family of José Núñez,",
        "JOSE NUNEZ",
        "jose nunez",
        "Núñez, José",
        "NUNEZ,JOSE",
        "Nunez Jose",
        "Jo\u00adsé\u200b Nú\u00adñez",  # soft hyphens and a zero-width space
        "José\n   Núñez",  # wrapped across lines
        "José Núñez's record",
        "(José Núñez)",
        "Student S-7Q3K9X2M:",
        "s-7q3k9x2m",
        "https://portal.example.org/?id=S-7Q3K9X2M&x=1",
        "S-7Q3K9X2M_report.csv",
    ],
)
def test_student_found(text: str) -> None:
    assert ids(text) == {JOSE}


@pytest.mark.parametrize(
    "text",
    [
        "jo@example.com",
        "Reply to JO@EXAMPLE.COM.",
        "<jo@example.com>",
        "mailto:jo@example.com?subject=x",
        '"jo@example.com",',
    ],
)
def test_contact_email_found(text: str) -> None:
    assert ids(text) == {"C-JO"}


@pytest.mark.parametrize(
    "text",
    [
        "Joann Leeds",  # "Ann Lee" inside longer words
        "Mary-Ann Lee-Smith",  # ... or inside hyphenated names
        "Leann Lee",
        "Ann Leeds",
        "SAnn Lee",
        "mojo@example.com",  # "jo@" inside a longer local part
        "x.jo@example.com",
        "x+jo@example.com",
        "x-jo@example.com",
        "jo@example.com.au",  # ... or a longer domain
        "jo@example.community",
        "jo@example.com-mail.org",
        "S-7Q3K9X2M0",  # a longer id
        "XS-7Q3K9X2M",
        "José Núñez-Garcia",
        "Madonna",
        "Ann",
        "Lee",
    ],
)
def test_word_boundaries(text: str) -> None:
    assert ids(text) == set()


def test_same_full_name_is_one_hit_naming_both() -> None:
    hits = [h for h in scan("Records for LEE, Ann") if h.kind == "student"]
    assert len(hits) == 1
    assert hits[0].subject_ids == {"S-ANNLEE01", "S-ANNLEE02"}
    assert hits[0].token == "lee, ann"


def test_a_student_and_a_contact_with_one_name_stay_apart() -> None:
    hits = scan("Ann Lee")
    assert {(h.kind, h.subject_ids) for h in hits} == {
        ("student", frozenset({"S-ANNLEE01", "S-ANNLEE02"})),
        ("contact", frozenset({"C-ANN"})),
    }


def test_two_contacts_on_one_mailbox_are_one_hit() -> None:
    hits = scan("To: kims@example.com")
    assert [(h.kind, h.subject_ids, h.token) for h in hits] == [
        ("contact", frozenset({"C-GUS", "C-HANA"}), "kims@example.com")
    ]


def test_hits_are_deduplicated_per_location() -> None:
    text = "José Núñez and José Núñez and again JOSE NUNEZ"
    hits = INDEX.scan([Segment("header:Subject", text), Segment("part 1 text/plain", text)])
    assert [(h.token, h.location) for h in hits] == [
        ("jose nunez", "header:Subject"),
        ("jose nunez", "part 1 text/plain"),
    ]


def test_hits_come_in_order_with_context() -> None:
    filler = "x" * 100
    hits = scan(f"{filler} S-7Q3K9X2M {filler} jo@example.com", location="header:To")
    assert [(h.kind, h.token) for h in hits] == [
        ("student", "s-7q3k9x2m"),
        ("contact", "jo@example.com"),
    ]
    first = hits[0]
    assert first.location == "header:To"
    assert first.context == f"{'x' * (CONTEXT - 1)} s-7q3k9x2m {'x' * (CONTEXT - 1)}"
    assert hits[1].context.endswith("jo@example.com")


def test_an_empty_roster_finds_nothing() -> None:
    empty = TokenIndex.build(Roster((), (), ()))
    assert len(empty) == 0
    assert empty.scan([Segment("header:To", "José Núñez S-7Q3K9X2M")]) == []


def test_empty_and_blank_segments() -> None:
    assert INDEX.scan([]) == []
    assert INDEX.scan([Segment("header:To", ""), Segment("header:Cc", " \u200b\n")]) == []


# ------------------------------------------------------------------------------ overlaps

OVERLAP_ROSTER = Roster(
    students=(student("S-LANVU001", "Lan", "Vu"), student("S-XUANHO01", "Xuan Vu", "Hoang")),
    contacts=(
        Contact("C-TRI", "Tri Lan", "Vu", "tri@example.com"),
        Contact("C-VHM", "Van Huy", "Mai", "vhm@example.com"),
        Contact("C-XM", "Xuan", "Mai", "xm@example.com"),
    ),
    links=(),
)
OVERLAP = TokenIndex.build(OVERLAP_ROSTER)


def overlap_ids(text: str) -> set[str]:
    return {s for hit in OVERLAP.scan([Segment("body", text)]) for s in hit.subject_ids}


def test_a_name_inside_a_longer_name_is_the_longer_ones() -> None:
    assert overlap_ids("Dear Tri Lan Vu,") == {"C-TRI"}
    assert overlap_ids("About Lan Vu.") == {"S-LANVU001"}


def test_a_name_spanning_the_comma_after_a_greeting_is_nobodys() -> None:
    # "Mai, Xuan" (Last, First of contact C-XM) spans the greeting's comma.
    assert overlap_ids("Dear Van Huy Mai,\n\nXuan Vu Hoang is missing Tdap") == {
        "C-VHM",
        "S-XUANHO01",
    }
    assert overlap_ids("Cc: Mai, Xuan") == {"C-XM"}


# ------------------------------------------------------------ the definition, written out
#
# The property tests below check the automaton against the documented behaviour, written
# here from tokens.py's docstrings and the examples above, sharing none of its private code:
# - a word character is a letter or digit, but not a wide (CJK) one;
# - a token is whole when no word character touches it, nor a character that glues to its
#   shape: "._%+-" before and "-_" after an email, "-" on either side of a name (a token
#   with a space or a comma), nothing around an id; after an email, "." glues when a word
#   character follows it (jo@example.com.au);
# - overlapping matches are read leftmost-longest, without overlaps.


def is_word_char(char: str) -> bool:
    return char.isalnum() and (char.isascii() or unicodedata.east_asian_width(char) not in "WF")


def glue(token: str) -> tuple[str, str]:
    """(characters that glue before, after) a token of this shape."""
    if "@" in token:
        return "._%+-", "-_"
    if " " in token or "," in token:
        return "-", "-"
    return "", ""


def definition_tokens(roster: Roster) -> dict[str, set[str]]:
    """Normalized token -> owner ids: a student's id, "First Last", "Last, First",
    "Last,First" and "Last First"; a contact's address, "First Last" and "Last, First".
    A lone first or last name is no token."""
    owners: dict[str, set[str]] = {}

    def own(token: str, owner: str) -> None:
        if token:
            owners.setdefault(token, set()).add(owner)

    for person in roster.students:
        first, last = normalize(person.first_name), normalize(person.last_name)
        own(normalize(person.id), person.id)
        if first and last:
            for token in (
                f"{first} {last}",
                f"{last}, {first}",
                f"{last},{first}",
                f"{last} {first}",
            ):
                own(token, person.id)
    for contact in roster.contacts:
        first, last = normalize(contact.first_name), normalize(contact.last_name)
        own(normalize(contact.email or ""), contact.id)
        if first and last:
            for token in (f"{first} {last}", f"{last}, {first}"):
                own(token, contact.id)
    return owners


def is_whole(text: str, start: int, end: int, token: str) -> bool:
    glue_before, glue_after = glue(token)
    if start > 0 and (is_word_char(text[start - 1]) or text[start - 1] in glue_before):
        return False
    if end < len(text):
        after = text[end]
        if is_word_char(after) or after in glue_after:
            return False
        more_domain = end + 1 < len(text) and is_word_char(text[end + 1])
        if "@" in token and after == "." and more_domain:
            return False
    return True


def leftmost_longest(matches: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """From the left: the longest match starting first; then again after its end."""
    kept = []
    position = 0
    while True:
        later = [m for m in matches if m[0] >= position]
        if not later:
            return kept
        first_start = min(m[0] for m in later)
        chosen = max((m for m in later if m[0] == first_start), key=lambda m: m[1])
        kept.append(chosen)
        position = chosen[1]


def definition_scan(owners: dict[str, set[str]], text: str) -> set[tuple[str, str]]:
    """(token, owner) of every token the definition finds in the text."""
    text = normalize(text)
    matches = []
    for token in owners:
        start = text.find(token)
        while start >= 0:
            if is_whole(text, start, start + len(token), token):
                matches.append((start, start + len(token), token))
            start = text.find(token, start + 1)
    return {(token, owner) for _, _, token in leftmost_longest(matches) for owner in owners[token]}


def test_the_definitions_tokens_are_the_index_tokens() -> None:
    owners = definition_tokens(ROSTER)
    assert set(owners) == set().union(
        *map(student_tokens, ROSTER.students), *map(contact_tokens, ROSTER.contacts)
    )


# The roster of the property test: the one above, the overlapping names, and a name that
# begins another one ("Lan Vu" and "Lan Vu Hoang") for leftmost-longest to choose between.
PROPERTY_ROSTER = Roster(
    students=(*ROSTER.students, *OVERLAP_ROSTER.students),
    contacts=(
        *ROSTER.contacts,
        *OVERLAP_ROSTER.contacts,
        Contact("C-LVH", "Lan", "Vu Hoang", "lvh@example.com"),
    ),
    links=(),
)
PROPERTY_INDEX = TokenIndex.build(PROPERTY_ROSTER)
PROPERTY_OWNERS = definition_tokens(PROPERTY_ROSTER)

_TOKENS = sorted(PROPERTY_OWNERS)
_WORDS = ["Ann", "Lee", "Jo", "Kim", "Lan", "Vu", "Hoang", "O'Brien", "example.com", "au"]
# What may touch a token: nothing, white space, punctuation that glues or not, word
# characters (narrow, wide) and a private-use character (the index codes words with them).
_TOUCHING = ["", " ", ", ", ",", "-", ".", ".org", "_", "@", "+", "%", "'", "\n"]
_TOUCHING += ["x", "2", "ö", "山", "\U000f0101"]
_CHUNKS = st.tuples(
    st.sampled_from(_TOUCHING),
    st.sampled_from(_TOKENS) | st.sampled_from(_TOKENS).map(str.upper) | st.sampled_from(_WORDS),
    st.sampled_from(_TOUCHING),
).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.lists(_CHUNKS, max_size=6))
@example(["jo@example.com.au"])
@example(["x+jo@example.com"])
@example(["lan vu hoang"])
@example(["tri lan vu"])
def test_scan_finds_what_the_definition_finds(chunks: list[str]) -> None:
    text = "".join(chunks)
    found = {
        (hit.token, s)
        for hit in PROPERTY_INDEX.scan([Segment("body", text)])
        for s in hit.subject_ids
    }
    assert found == definition_scan(PROPERTY_OWNERS, text)


def test_words_are_runs_of_word_characters() -> None:
    from harness.oracle import words as t

    disagree = [
        hex(cp)
        for cp in range(0x110000)
        if bool(t.WORDS.fullmatch(chr(cp))) != is_word_char(chr(cp))
    ]
    assert disagree == []


def test_hits_report_text_positions_around_words_and_codes() -> None:
    hits = scan("山田 x José Núñez\U000f0101 and jo@example.com!")
    assert [(h.token, h.context) for h in hits] == [
        ("jose nunez", "山田 x jose nunez\U000f0101 and jo@example.com!"),
        ("jo@example.com", "山田 x jose nunez\U000f0101 and jo@example.com!"),
    ]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_index_holds_exactly_the_tokens_of_every_person(seed: int) -> None:
    from harness.roster.generate import generate_roster

    roster = generate_roster(300, seed)
    index = TokenIndex.build(roster)
    tokens = set().union(
        *map(student_tokens, roster.students), *map(contact_tokens, roster.contacts)
    )
    assert len(index) == len(tokens)
    assert all(token in index for token in tokens)
    for person in roster.students[::7]:
        found = index.scan(
            [Segment("body", f"{person.id}: {person.last_name}, {person.first_name}")]
        )
        assert {s for hit in found for s in hit.subject_ids} == {person.id}


def definition_words(text: str) -> list[str]:
    """The text as [non-word, word, non-word, ..., non-word]: words are maximal runs of word
    characters."""
    parts = [""]
    for is_word, run in itertools.groupby(text, key=is_word_char):
        if is_word:
            parts += ["".join(run), ""]
        else:
            parts[-1] = "".join(run)
    return parts


@given(
    st.text(
        alphabet=st.one_of(
            st.characters(max_codepoint=0x7F),
            st.characters(min_codepoint=0x80, max_codepoint=0x10FF),
            st.characters(min_codepoint=0x1100, max_codepoint=0x2FFFF),
        )
    )
)
def test_words_split_as_the_definition_splits_them(text: str) -> None:
    assert _split_words(text) == definition_words(text)
