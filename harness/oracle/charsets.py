"""Bytes to text the way mail clients do it: lenient about charset labels, never failing."""

from __future__ import annotations

__all__ = ["clean_charset", "decode_bytes", "sniff_text", "unsurrogate"]


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode in the declared charset, else UTF-8, else (for a charset Python does not know,
    or a single-byte one that failed) Latin-1, which never fails. Never raises."""
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


def sniff_text(data: bytes) -> str | None:
    """The text of a payload of unknown type that is text: UTF-8 or UTF-16 with a byte order
    mark, UTF-8, or single-byte text without control characters. None for a binary."""
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
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
