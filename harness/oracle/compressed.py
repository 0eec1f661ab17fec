"""Compressed files and tar archives, opened as the recipient's archive tool opens them.

A `.csv.gz`, a `.txt.bz2`, a `.json.xz` or a `.tar.gz` of class lists is one double-click
away from being read. Each is decompressed within the message's `Budget` (its bytes, members
and nesting depth are shared with ZIP archives), and what comes out is read by its own type,
so a gzip inside a tar inside a ZIP is read to the bottom, or noted as unread.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
from collections.abc import Callable

from harness.oracle.budget import Budget, size_text

__all__ = [
    "COMPRESSED_MAGIC",
    "COMPRESSED_TYPES",
    "decompressed",
    "inner_name",
    "is_tar",
    "tar_members",
]


def _gzip(raw: io.BytesIO) -> io.BufferedIOBase:
    return gzip.GzipFile(fileobj=raw)


def _bzip2(raw: io.BytesIO) -> io.BufferedIOBase:
    return bz2.BZ2File(raw)


def _xz(raw: io.BytesIO) -> io.BufferedIOBase:
    return lzma.LZMAFile(raw)


# (magic bytes, opener) of the single-file compressions.
COMPRESSED_MAGIC: tuple[tuple[bytes, Callable[[io.BytesIO], io.BufferedIOBase]], ...] = (
    (b"\x1f\x8b", _gzip),
    (b"BZh", _bzip2),
    (b"\xfd7zXZ\x00", _xz),
)
COMPRESSED_TYPES = frozenset(
    {
        "application/gzip",
        "application/x-gzip",
        "application/x-bzip2",
        "application/x-bzip",
        "application/x-xz",
        "application/x-tar",
        "application/x-gtar",
        "application/x-compressed-tar",
    }
)
_SUFFIXES = {"gz": "", "gzip": "", "bz2": "", "xz": "", "tgz": ".tar", "tbz2": ".tar"}


def inner_name(name: str | None) -> str:
    """The file a compressed file holds: class-list.csv.gz -> class-list.csv."""
    if not name or "." not in name:
        return name or "content"
    stem, extension = name.rsplit(".", 1)
    suffix = _SUFFIXES.get(extension.lower())
    return stem + suffix if suffix is not None else stem


def decompressed(data: bytes, budget: Budget) -> bytes | None:
    """The content of a gzip, bzip2 or xz file within the budget; None (noted) when it is
    over it or broken. The bytes left in the budget bound what is ever inflated."""
    opener = next((o for magic, o in COMPRESSED_MAGIC if data.startswith(magic)), None)
    if opener is None:
        return None
    limit = max(budget.bytes, 0)
    try:
        with opener(io.BytesIO(data)) as stream:
            content = stream.read(limit + 1)
    except (OSError, EOFError, lzma.LZMAError, ValueError) as error:
        budget.skip("", f"broken compressed file: {error}")
        return None
    if len(content) > limit:
        budget.cut = True
        budget.skip(
            "",
            f"more than {size_text(limit)} uncompressed, over the budget "
            f"({size_text(budget.MAX_BYTES)} per message): decompression stopped there",
        )
        return None
    if not budget.take_member(len(content)):
        budget.skip("", f"over the budget of {budget.MAX_MEMBERS} archive members per message")
        return None
    return content


def tar_members(data: bytes, budget: Budget) -> list[tuple[str, bytes]]:
    """(name, content) of each regular file of a tar archive, within the budget."""
    found: list[tuple[str, bytes]] = []
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            for info in archive:
                if not info.isfile():
                    continue
                if not budget.take_member(info.size):
                    budget.skip(f" > {info.name}", budget.over_bytes(info.size))
                    continue
                member = archive.extractfile(info)
                if member is not None:
                    found.append((info.name, member.read(info.size)))
    except tarfile.TarError as error:
        budget.skip("", f"broken tar archive: {error}")
    return found


def is_tar(data: bytes) -> bool:
    """A POSIX (ustar) or GNU tar archive: its magic at offset 257."""
    return data[257:262] == b"ustar"
