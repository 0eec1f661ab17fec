"""What reading one message may cost, and every place the oracle left unread.

Everything a hostile or broken file could inflate is bounded here: the bytes decompressed out
of archives and office documents, the archive members opened, the archive nesting depth, the
PDF pages read, the characters of text produced. What is not read for want of budget, or
because its reader refused it, is noted (`Budget.skip`) with where and why: a copy with
unread content is a finding (`unreadable-content`), never a silent pass.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Budget", "Unread", "size_text"]


@dataclass(frozen=True)
class Unread:
    """A place in a message the oracle did not read, and why."""

    location: str  # as a Segment's: "part 2 attachment class-list.zip (application/zip)"
    reason: str  # "class-list.csv: 40 MB uncompressed, over the 32 MB budget"


def size_text(size: int) -> str:
    """A byte count as people read it: "512 bytes", "4.5 KB", "40 MB" (powers of 1024)."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            value = size / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{size} bytes"


class Budget:
    """What one message (with everything nested in it) may still cost. Shared down the
    nesting, so a zip of zips of spreadsheets is bounded as a whole, not per level."""

    MAX_DEPTH = 3  # archives within archives
    MAX_MEMBERS = 256  # archive members and document parts opened
    # Decompressed out of archives and documents: as much as the largest message the sink
    # accepts by default (64 MiB) holds uncompressed.
    MAX_BYTES = 64 * 1024 * 1024
    MAX_PAGES = 300  # of PDFs
    MAX_CHARS = 64 * 1024 * 1024  # of text produced from the attachments of one message

    def __init__(self) -> None:
        self.members = self.MAX_MEMBERS
        self.bytes = self.MAX_BYTES
        self.pages = self.MAX_PAGES
        self.chars = self.MAX_CHARS
        self.depth = 0  # archives currently open around the one being read
        self.cut = False  # something was left unread for want of budget
        self.where = ""  # the location being read: what `skip` suffixes
        self.unread: list[Unread] = []

    def skip(self, suffix: str, reason: str) -> None:
        """Note that something at `where + suffix` was left unread, and why."""
        self.unread.append(Unread(self.where + suffix, reason))

    def exhausted(self) -> bool:
        """Has anything run out (so that some content may have been left unread)?"""
        return self.cut or min(self.members, self.bytes, self.pages, self.chars) <= 0

    def take_member(self, size: int) -> bool:
        """Reserve one member of `size` decompressed bytes; False when over budget."""
        if self.members <= 0 or size > self.bytes:
            self.cut = True
            return False
        self.members -= 1
        self.bytes -= size
        return True

    def over_bytes(self, size: int) -> str:
        """Why `size` decompressed bytes were not read."""
        if size > self.MAX_BYTES:
            return f"{size_text(size)} uncompressed, over the {size_text(self.MAX_BYTES)} budget"
        left = size_text(max(self.bytes, 0))
        return (
            f"{size_text(size)} uncompressed, over the {left} left of the "
            f"{size_text(self.MAX_BYTES)} budget"
        )

    def over_chars(self) -> str:
        return f"text over the budget of {self.MAX_CHARS:,} characters per message: the rest"

    def take_text(self, text: str, suffix: str = "") -> str:
        kept = text[: max(self.chars, 0)]
        self.chars -= len(kept)
        if len(kept) < len(text):
            self.cut = True
            self.skip(suffix, self.over_chars())
        return kept
