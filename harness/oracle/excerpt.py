"""Evidence in the recipient's own text: a match the token scan found in the normalized text
(lower case, accents, invisible characters and extra white space removed) mapped back to the
decoded text the recipient reads, so a report shows "Dear Ms. José Núñez" with "José Núñez"
marked, and keeps the normalized form only as a detail.

The map goes word by word: normalizing keeps the words of a text (white-space separated) in
order, one for one, and maps each within itself. Where that does not hold (a word made only of
invisible characters, a compatibility character that decomposes into a space), the mapped span
fails the check that it normalizes to the matched token, and the evidence stays normalized:
never a wrong text marked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from harness.oracle.normalize import normalize
from harness.oracle.segments import Segment
from harness.oracle.tokens import CONTEXT, Hit

__all__ = ["ShownHit", "shown_as_received"]

_WORD = re.compile(r"\S+")
# Line breaks and tabs shown as spaces: one character for one, so offsets hold.
_FLAT = str.maketrans("\r\n\t\f\v", "     ")


class _Source:
    """One segment's decoded text, with what the map needs computed once, when first asked."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def normalized(self) -> str:
        return normalize(self.text.replace("\x00", " "))  # as the token scan read it

    @cached_property
    def words(self) -> list[tuple[int, int]]:
        return [match.span() for match in _WORD.finditer(self.text)]

    def excerpt(self, context: str, context_start: int, length: int) -> Excerpt | None:
        normalized = self.normalized
        found = normalized.find(context)
        if found < 0:
            return None
        start = found + context_start
        end = start + length
        span = self._original(start, end)
        if span is None:
            return None
        a, b = span
        if normalize(self.text[a:b]) != normalized[start:end]:
            return None
        first, last = max(0, a - CONTEXT), min(len(self.text), b + CONTEXT)
        shown = self.text[first:last].translate(_FLAT)
        return Excerpt(shown, (a - first, b - first))

    def _original(self, start: int, end: int) -> tuple[int, int] | None:
        """The span of the decoded text that normalizes to normalized[start:end]."""
        first = self._word_position(start, at_end=False)
        last = self._word_position(end, at_end=True)
        if first is None or last is None:
            return None
        return first, last

    def _word_position(self, offset: int, *, at_end: bool) -> int | None:
        normalized = self.normalized
        # The normalized word holding the offset (for an end: the one holding its last char).
        probe = offset - 1 if at_end else offset
        number = normalized.count(" ", 0, probe)
        within = offset - (normalized.rfind(" ", 0, probe) + 1)
        if number >= len(self.words):
            return None
        word_start, word_end = self.words[number]
        word = self.text[word_start:word_end]
        if word.isascii():
            return word_start + within if within <= len(word) else None
        return word_start + _prefix_length(word, within, at_end=at_end)


def _prefix_length(word: str, wanted: int, *, at_end: bool) -> int:
    """How many characters of `word` normalize to its first `wanted` normalized characters:
    the fewest for a start, the most (taking the accents and invisible characters that follow
    along) for an end. len(normalize(word[:p])) does not decrease with p: a binary search."""

    def reached(p: int) -> bool:
        size = len(normalize(word[:p]))
        return size > wanted if at_end else size >= wanted

    low, high = 0, len(word)
    while low < high:
        middle = (low + high) // 2
        if reached(middle):
            high = middle
        else:
            low = middle + 1
    return low - 1 if at_end and reached(low) else low


@dataclass(frozen=True)
class Excerpt:
    text: str  # the recipient's text around the match
    match: tuple[int, int]  # where the match is in it


@dataclass(frozen=True)
class ShownHit(Hit):
    """A Hit that can show itself in the recipient's text (computed when a report asks)."""

    source: _Source | None = field(default=None, compare=False, repr=False)

    def shown(self) -> Excerpt | None:
        """The match in the recipient's text, or None where it cannot be mapped back."""
        if self.source is None or not self.context:
            return None
        return self.source.excerpt(self.context, self.context_start, len(self.token))


def shown_as_received(hits: Iterable[Hit], segments: Iterable[Segment]) -> list[Hit]:
    """The hits of one scan over these segments, each able to show itself as received."""
    sources: dict[str, _Source] = {}
    for segment in segments:
        sources.setdefault(segment.location, _Source(segment.text))
    return [
        ShownHit(
            hit.kind,
            hit.subject_ids,
            hit.token,
            hit.location,
            hit.context,
            hit.context_start,
            sources.get(hit.location),
        )
        for hit in hits
    ]
