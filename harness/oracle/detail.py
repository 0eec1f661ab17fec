"""`wrong-detail`: a copy about a student that shows another student's sensitive detail.

This is the LAUSD misalignment when only the sensitive column shifts: the names are right,
the result is someone else's. A detail has little entropy ("negative on 2026-10-02" is shared
by many students), so a detail found in a copy says nothing by itself about whose it is: it is
compared with the own details of the students the copy is about.

A detail is read as its components (`Tdap, Meningococcal` is `tdap` and `meningococcal`; a
test result is its result and its follow-up): a pipeline may list them in another order.
Components that the campaign's own template text shows to everybody are not evidence of
anything and are left out. A copy shows a wrong detail when one of its students' own
components is nowhere in it while a component of another student's detail is.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import ahocorasick

from harness.oracle.normalize import normalize
from harness.oracle.segments import Segment

__all__ = ["CONTEXT", "DetailHit", "DetailIndex", "detail_components"]

CONTEXT = 40  # characters of normalized text kept on either side of a match
_SEPARATORS = re.compile(r"\s*[;,]\s*")
_MIN_LENGTH = 3  # a shorter component ("4") names nothing


def detail_components(detail: str) -> frozenset[str]:
    """The normalized parts of one detail, as a reader would list them apart."""
    parts = (part.strip() for part in _SEPARATORS.split(normalize(detail)))
    return frozenset(part for part in parts if len(part) >= _MIN_LENGTH)


def _literal_text(template: str) -> str:
    """What a template shows every recipient: its text without the fields."""
    try:
        return "".join(literal for literal, _, _, _ in string.Formatter().parse(template))
    except ValueError:
        return template


@dataclass(frozen=True)
class DetailHit:
    component: str  # the normalized component found
    location: str  # Segment.location
    context: str  # normalized text around it
    context_start: int  # where the component begins in `context`


class DetailIndex:
    """The components of every selected student's detail, and an automaton to find them."""

    def __init__(self, details: Mapping[str, str], templates: Iterable[str] = ()) -> None:
        boilerplate = normalize(" \x00 ".join(_literal_text(t) for t in templates))
        self._own: dict[str, frozenset[str]] = {}
        vocabulary: set[str] = set()
        for student_id, detail in details.items():
            components = frozenset(
                c for c in detail_components(detail) if not _contains_word(boilerplate, c)
            )
            self._own[student_id] = components
            vocabulary |= components
        self._automaton: ahocorasick.Automaton | None = None
        if vocabulary:
            self._automaton = ahocorasick.Automaton()
            for component in vocabulary:
                self._automaton.add_word(component, component)
            self._automaton.make_automaton()

    def __bool__(self) -> bool:
        return self._automaton is not None

    def own(self, student_id: str) -> frozenset[str]:
        """The student's components (none when not selected or nothing distinctive)."""
        return self._own.get(student_id, frozenset())

    def has_detail(self, student_id: str) -> bool:
        return student_id in self._own

    def scan(self, segments: Sequence[Segment], texts: Sequence[str]) -> list[DetailHit]:
        """Every component found on word boundaries in the normalized `texts` (one per
        segment), leftmost-longest, once per (component, location)."""
        if self._automaton is None:
            return []
        hits: list[DetailHit] = []
        seen: set[tuple[str, str]] = set()
        for segment, text in zip(segments, texts, strict=True):
            reach = 0
            matches = sorted(
                ((end + 1 - len(c), end + 1, c) for end, c in self._automaton.iter(text)),
                key=lambda m: (m[0], -m[1]),
            )
            for start, end, component in matches:
                if start < reach or not _on_word_boundaries(text, start, end):
                    continue
                reach = end
                if (component, segment.location) in seen:
                    continue
                seen.add((component, segment.location))
                hits.append(
                    DetailHit(
                        component,
                        segment.location,
                        text[max(0, start - CONTEXT) : end + CONTEXT],
                        min(start, CONTEXT),
                    )
                )
        return hits

    def wrong(
        self, about: Iterable[str], hits: Sequence[DetailHit]
    ) -> tuple[list[str], list[DetailHit]]:
        """For a copy about these students that shows these components: the students whose
        own detail it does not show while it shows another's, and the hits of the others'."""
        about = [s for s in about if s in self._own]
        shown = {hit.component for hit in hits}
        own = set().union(*(self._own[s] for s in about)) if about else set()
        foreign = [hit for hit in hits if hit.component not in own]
        if not foreign:
            return [], []
        missing = sorted(s for s in about if not self._own[s] <= shown)
        return (missing, foreign) if missing else ([], [])


def _on_word_boundaries(text: str, start: int, end: int) -> bool:
    return (start == 0 or not text[start - 1].isalnum()) and (
        end == len(text) or not text[end].isalnum()
    )


def _contains_word(text: str, component: str) -> bool:
    start = text.find(component)
    while start >= 0:
        if _on_word_boundaries(text, start, start + len(component)):
            return True
        start = text.find(component, start + 1)
    return False
