"""How the token index splits text into words: maximal runs of letters and digits, but for
wide (CJK) ones, which scripts written without spaces run together. Every other character
stands for itself."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["WORDS", "split_words"]


def _wide_alphanumeric_ranges() -> str:
    ranges: list[tuple[int, int]] = []
    for cp in range(0x1100, 0x20000):
        char = chr(cp)
        if char.isalnum() and unicodedata.east_asian_width(char) in "WF":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    ranges.append((0x20000, 0x3FFFF))  # the CJK supplementary planes: all wide
    return "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


WORDS = re.compile(f"([^\\W_{_wide_alphanumeric_ranges()}]+)")
# The same split, much faster, for texts without wide characters (most normalized text).
_NARROW_WORDS = re.compile(r"([^\W_]+)")
_ASCII_WORDS = re.compile(r"([A-Za-z0-9]+)")
_FIRST_WIDE = "\u1100"  # no wide alphanumeric below it (`_wide_alphanumeric_ranges`)


def split_words(text: str) -> list[str]:
    """The text as [non-word, word, non-word, ..., non-word] (re.split with a group)."""
    if text.isascii():
        return _ASCII_WORDS.split(text)
    if max(text) < _FIRST_WIDE:
        return _NARROW_WORDS.split(text)
    return WORDS.split(text)
