"""What the oracle reads out of a message: text segments, and the places it could not read."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["Segment", "batches"]


@dataclass(frozen=True)
class Segment:
    """A text a recipient can read, and where in the message (``part 2 text/html``)."""

    location: str
    text: str


def batches(segments: Iterable[Segment], size: int, overlap: int) -> Iterator[list[Segment]]:
    """The segments in order, grouped into lists of at most `size` characters of text. A
    longer text comes in windows of `size` at its location, each overlapping the one before
    by `overlap` characters (so that anything shorter than that is whole in some window)."""
    batch: list[Segment] = []
    total = 0
    for segment in segments:
        for window in _windows(segment, size, overlap):
            if batch and total + len(window.text) > size:
                yield batch
                batch, total = [], 0
            batch.append(window)
            total += len(window.text)
    if batch:
        yield batch


def _windows(segment: Segment, size: int, overlap: int) -> Iterator[Segment]:
    text = segment.text
    if len(text) <= size:
        yield segment
        return
    for start in range(0, len(text) - overlap, size - overlap):
        yield Segment(segment.location, text[start : start + size])
