"""One text normalization, applied alike to roster tokens and to what a recipient sees.

`normalize("José\u00adNúñez")`, `normalize("JOSE  NUNEZ")` and `normalize("Jose\u200b Nunez")`
all give ``"jose nunez"``, so a name still matches after a pipeline re-cased it, stripped its
accents, wrapped it across lines or sprinkled invisible characters into it.
"""

from __future__ import annotations

import unicodedata

# Characters a reader does not see, or sees as the same thing: dropped or folded to one form.
_FOLDED: dict[int, str | None] = {
    0x034F: None,  # combining grapheme joiner (a mark of combining class 0)
    # Hyphens and dashes a word processor substitutes for "-" (ids like S-7Q3K9X2M).
    **dict.fromkeys((0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE63), "-"),
    # Apostrophes and single quotes (O'Brien).
    **dict.fromkeys((0x2018, 0x2019, 0x201B, 0x02BC, 0x2032, 0xFF07), "'"),
    # Letters without a Unicode decomposition, but commonly ASCII-folded:
    # o, l, d, eth, h, dotless i, t with a stroke; ligatures ae, oe; thorn.
    **dict(zip(map(ord, "\u00f8\u0142\u0111\u00f0\u0127\u0131\u0167"), "olddhit", strict=True)),
    **{0x00E6: "ae", 0x0153: "oe", 0x00FE: "th"},
}


def _build_table() -> dict[int, str | None]:
    """Every combining mark (canonical combining class > 0) and every format character
    (category Cf: zero-width space/joiners, word joiner, BOM, soft hyphen, bidi controls, tags)
    maps to None. Outside these ranges Unicode assigns neither (checked up to Unicode 15)."""
    table: dict[int, str | None] = {}
    for span in (range(0x80, 0x20000), range(0xE0000, 0xE1000)):
        for cp in span:
            char = chr(cp)
            if unicodedata.combining(char) or unicodedata.category(char) == "Cf":
                table[cp] = None
    table.update(_FOLDED)
    return table


_TABLE = _build_table()


def normalize(text: str) -> str:
    """NFKC, drop zero-width and format characters (U+200B-U+200D, U+2060, U+FEFF, U+00AD...),
    strip diacritics, casefold, and fold every run of white space into one space (trimmed).

    Implemented as NFKD -> casefold -> NFKD -> drop marks/format characters -> NFC, which is the
    same thing with the casefold done before the marks are dropped (so that marks a casefold
    introduces, as in U+0130, are dropped too). Idempotent. Pure-ASCII text takes a fast path.
    """
    if text.isascii():
        return " ".join(text.lower().split())
    folded = unicodedata.normalize("NFKD", text).casefold()
    folded = unicodedata.normalize("NFKD", folded).translate(_TABLE)
    return " ".join(unicodedata.normalize("NFC", folded).split())
