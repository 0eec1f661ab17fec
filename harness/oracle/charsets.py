"""Bytes to text the way mail clients do it: lenient about charset labels, never failing."""

from __future__ import annotations

__all__ = ["clean_charset", "decode_bytes", "sniff_text", "unsurrogate", "wide_unicode"]


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode in the declared charset, else UTF-8, else (for a charset Python does not know,
    or a single-byte one that failed) Latin-1, which never fails. Never raises.

    UTF-16 and UTF-32 go first, whatever the label: a byte order mark wins over the declared
    charset (as in browsers), and text whose every other (or every 2nd-4th) byte is NUL is
    wide text, as editors and spreadsheet programs detect it."""
    wide = wide_unicode(data)
    if wide is not None:
        return data.decode(wide, errors="replace")
    charset = clean_charset(charset)
    known = True
    if charset:
        try:
            return data.decode(charset)
        except LookupError:
            known = False
        except (UnicodeDecodeError, ValueError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if charset and known and charset not in _SINGLE_BYTE_OR_UTF8:
        # A multi-byte charset (Shift_JIS, GB2312...) with a few bad bytes: keep the rest.
        try:
            return data.decode(charset, errors="replace")
        except (LookupError, ValueError):  # a codec without "replace" (idna)
            pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_SINGLE_BYTE_OR_UTF8 = frozenset({"us-ascii", "ascii", "utf-8", "utf8", "cp1252"})


def clean_charset(charset: str | None) -> str | None:
    """The codec name for a declared charset label, or None for no (or a meaningless) label."""
    if not charset:
        return None
    # RFC 2231 language suffix ("utf-8*en"), quotes, stray white space.
    cleaned = charset.split("*", 1)[0].strip().strip("\"'").lower()
    if cleaned in ("", "unknown-8bit", "x-unknown", "x-user-defined", "default"):
        return None
    return _CHARSET_ALIASES.get(cleaned, cleaned)


# Labels mail clients read as a superset, or that Python does not know by that name. Latin-1
# labels are read as windows-1252 (as browsers and mail clients do): "O\x92Brien" is O'Brien.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "gb2312": "gbk",
    "x-gbk": "gbk",
    "x-sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "iso-8859-8-i": "iso-8859-8",
    "x-mac-roman": "mac-roman",
    "ks_c_5601-1987": "cp949",
    "x-euc-jp": "euc_jp",
}


def unsurrogate(value: str) -> str:
    """compat32 keeps raw 8-bit header bytes as surrogate escapes: decode them properly."""
    if value.isascii():
        return value
    try:
        data = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value  # real non-ASCII text, already decoded
    return decode_bytes(data, None)


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def wide_unicode(data: bytes) -> str | None:
    """The codec of UTF-16 or UTF-32 text, told by its byte order mark, or without one by
    where its NUL bytes fall (the high bytes of Latin, Greek... characters); else None."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec
    head = data[:4096]
    if len(head) < 8 or b"\x00" not in head:
        return None
    head = head[: len(head) // 4 * 4]
    zeros = [head[offset::4].count(0) for offset in range(4)]
    quarter = len(head) // 4
    # UTF-32: the top byte is always NUL, the next one for every character of the BMP.
    if zeros[2] == zeros[3] == quarter and zeros[0] < quarter // 2:
        return "utf-32-le"
    if zeros[0] == zeros[1] == quarter and zeros[3] < quarter // 2:
        return "utf-32-be"
    even, odd = zeros[0] + zeros[2], zeros[1] + zeros[3]
    half = 2 * quarter
    if odd >= half * 0.4 and even < half // 20 + 1:
        return "utf-16-le"
    if even >= half * 0.4 and odd < half // 20 + 1:
        return "utf-16-be"
    return None


def sniff_text(data: bytes) -> str | None:
    """The text of a payload of unknown type that is text: UTF-8, UTF-16 or UTF-32 with a
    byte order mark, UTF-16 or UTF-32 without one, UTF-8, or single-byte text without control
    characters. None for a binary."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
    wide = wide_unicode(data)
    if wide is not None:
        try:
            return data.decode(wide)
        except UnicodeDecodeError:  # a binary that happens to start like one
            return None
    head = data[:8192]
    if b"\x00" in head:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    controls = sum(1 for byte in head if byte < 0x20 and byte not in b"\t\r\n\f")
    if controls > len(head) // 100:
        return None
    return decode_bytes(data, None)
