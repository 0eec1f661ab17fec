"""What the oracle reads out of a message: text segments, and the places it could not read."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Segment"]


@dataclass(frozen=True)
class Segment:
    """A text a recipient can read, and where in the message (``part 2 text/html``)."""

    location: str
    text: str
