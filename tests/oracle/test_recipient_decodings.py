"""What a recipient's software decodes, the oracle decodes: compressed files, UTF-16 and
UTF-32 text, tokens in links. (The evasion corpus holds one hidden leak of each kind.)"""

from __future__ import annotations

import base64
import bz2
import gzip
import io
import json
import lzma
import os
import tarfile
from collections.abc import Callable

import pytest

from harness.oracle.budget import Budget
from harness.oracle.charsets import decode_bytes, sniff_text, wide_unicode
from harness.oracle.extractors import extract
from harness.oracle.link_tokens import link_token_text

TEXT = "Dear Helen Park, José Núñez (S-7Q3K9X2M) was absent.\r\n"


@pytest.mark.parametrize(
    "codec", ["utf-16", "utf-32", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]
)
def test_wide_unicode_is_read_with_or_without_a_byte_order_mark(codec: str) -> None:
    data = TEXT.encode(codec)
    assert sniff_text(data) == TEXT
    assert decode_bytes(data, "utf-8") == TEXT  # the label loses to what the bytes are


def test_narrow_text_and_binaries_are_not_wide() -> None:
    assert wide_unicode(TEXT.encode()) is None
    assert wide_unicode(TEXT.encode("cp1252")) is None
    assert wide_unicode(bytes(range(256)) * 8) is None
    assert wide_unicode(os.urandom(4096)) is None  # may hold NULs, in no pattern


def read(content_type: str, filename: str, data: bytes, budget: Budget | None = None) -> str:
    found = extract(content_type, filename, data, None, budget or Budget())
    return "\n".join(text for _, text in found)


@pytest.mark.parametrize(
    ("compress", "filename"),
    [
        (lambda d: gzip.compress(d, mtime=0), "list.csv.gz"),
        (bz2.compress, "list.csv.bz2"),
        (lzma.compress, "list.csv.xz"),
    ],
)
def test_compressed_files_are_read_by_their_magic_whatever_their_type(
    compress: Callable[[bytes], bytes], filename: str
) -> None:
    data = compress(TEXT.encode())
    assert "José Núñez" in read("application/octet-stream", "attachment.bin", data)
    assert "José Núñez" in read("text/csv", filename, data)


def tar_gz(files: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_a_tar_inside_a_gzip_is_read_member_by_member() -> None:
    text = read("application/gzip", "x.tgz", tar_gz({"a/list.csv": TEXT.encode()}))
    assert "José Núñez" in text
    assert "a/list.csv" in text  # the member names, as an archive tool lists them


class SmallBudget(Budget):
    MAX_BYTES = 1000


def test_what_decompresses_over_the_budget_is_noted_not_read() -> None:
    budget = SmallBudget()
    data = gzip.compress(b"x" * 5000 + TEXT.encode())
    assert read("application/gzip", "big.gz", data, budget) == ""
    [unread] = budget.unread
    assert "over the budget" in unread.reason


def test_a_tar_member_over_the_budget_is_noted_and_the_rest_read() -> None:
    budget = SmallBudget()
    data = tar_gz({"big.txt": b"x" * 5000, "small.txt": TEXT.encode()}, mode="w")
    assert "José Núñez" in read("application/octet-stream", "t.bin", data, budget)
    assert [u.location for u in budget.unread] == [" > big.txt"]


def test_a_broken_compressed_file_is_noted() -> None:
    budget = Budget()
    assert read("application/gzip", "x.gz", b"\x1f\x8b\x08\x00broken", budget) == ""
    assert "broken compressed file" in budget.unread[0].reason


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_link_tokens_decode_base64_jwt_and_json() -> None:
    record = json.dumps({"student": "José Núñez"}).encode()
    header = b64url(b'{"alg":"none"}')
    jwt = f"{header}.{b64url(record)}.sig"
    text = link_token_text(
        f"see https://a.example.org/r/{b64url(record)} and "
        f"<https://a.example.org/login?t={jwt}> or "
        "https://a.example.org/q?d=%7B%22n%22%3A%22Jos%5Cu00e9%22%7D"
    )
    assert text is not None
    assert text.splitlines() == ["student José Núñez", "alg none", "n José"]


def test_ids_that_decode_to_no_text_add_nothing() -> None:
    ids = [b64url(os.urandom(n)) for n in range(9, 40)]
    links = " ".join(f"https://t.example.com/c/{i}?m={i}" for i in ids)
    assert link_token_text(links + " https://example.org/newsletter/2026?utm_source=mail") is None
    assert link_token_text("no link here, just S-7Q3K9X2M") is None
